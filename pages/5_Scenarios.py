"""Scenarios: what if 618 runs at 20% or 35% off? Baseline vs scenarios, KPIs, stock."""

from __future__ import annotations

import streamlit as st

from forecasting.charts import scenarios as scenario_charts
from forecasting.i18n import t
from forecasting.ui import bootstrap, guard
from forecasting.ui.views import scenarios as scenario_view

lang = bootstrap("scenarios")
scenario_view.init_state()
st.title(t("page.scenarios.title", lang))
st.caption(t("sc.intro", lang))
plot = {"theme": None, "config": {"displaylogo": False}}

setup = scenarios = None
with guard(lang):
    setup = scenario_view.setup(lang)
    if setup is not None:
        scenarios = scenario_view.editor(setup, lang)

with guard(lang):
    if setup is None or scenarios is None:
        st.stop()
    st.subheader(t("sc.compare", lang))
    scenario_view.baseline_controls(setup, lang)
    comp = scenario_view.compare(setup, scenarios, lang)
    scenario_view.problems(comp, lang)
    scenario_view.kpi_cards(comp, lang)  # the numbers first, then the charts
    ids, target, band = scenario_view.chart_controls(setup, comp, lang)
    fig = scenario_charts.comparison_figure(
        comp.forecast,
        setup.alias,
        lang,
        comp.scenarios,
        ids,
        band,
        history=setup.result.history,
        target_label=target,
    )
    st.plotly_chart(fig, key="sc_chart", **plot)
    scenario_view.kpi_section(setup, comp, lang)
    if comp.scenarios:
        st.plotly_chart(scenario_charts.kpi_figure(comp.kpis, lang), key="sc_kpi_chart", **plot)

    scenario_view.response_section(setup, scenarios, lang)
    plan = scenario_view.inventory_section(setup, comp, lang)
    scenario_view.downloads(setup, comp, plan, lang)
