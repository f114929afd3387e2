"""Forecast: the interactive chart with bands and festivals, the table, downloads, the link."""

from __future__ import annotations

import streamlit as st

from forecasting.i18n import t
from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import forecast as forecast_view
from forecasting.ui.views import insights
from forecasting.ui.views import overview as overview_view
from forecasting.ui.views import report as report_view

lang = bootstrap("forecast")
st.title(t("page.forecast.title", lang))
widgets.journey(lang, current="forecast")

with guard(lang):
    forecast_view.follow_link(lang)  # a shared link: load its data and settings first
    result = forecast_view.require_result(lang)
    overview_view.remember(result)  # each level's forecast, for the levels-add-up check
    forecast_view.stale_notice(lang)
    forecast_view.level_switch(result, lang)
    forecast_view.result_line(result, lang)
    forecast_view.failed_models(result, lang)
    recommended = insights.recommendation(result, lang)
    report_view.summary(result, lang, recommended=recommended)
    series, models, levels, festivals_on = forecast_view.forecast_controls(result, lang)
    insights.kpi_cards(result, series, recommended or models[0] if models else None, lang)
    fig = forecast_view.chart(result, series, models, levels, festivals_on, lang, recommended)
    insights.explanation(result, series, lang)
    forecast_view.table_section(result, series, models, levels, lang)
    if len(result.series) > 1 and st.toggle(t("overview.title", lang), key="fc_overview_on"):
        with st.container(border=True):
            overview_view.render(result, lang)
    forecast_view.downloads(result, fig, series, models, levels, lang)
    report_view.report_buttons(
        result, lang, recommended=recommended, scenario_kpis=report_view.latest_scenario_kpis()
    )
    forecast_view.share_link(result, series, models, lang)
