"""Backtest: which model to trust — leaderboard, error over horizon, windows, festivals, auto's choice."""

from __future__ import annotations

import streamlit as st

from forecasting.charts import evaluation as eval_charts
from forecasting.i18n import t
from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import backtest as backtest_view

lang = bootstrap("backtest")
backtest_view.init_state()
st.title(t("page.backtest.title", lang))
st.caption(t("bt.intro", lang))
plot = {"theme": None, "config": {"displaylogo": False}}

view = settings = None
with guard(lang):
    view = backtest_view.data_or_hint(lang)
    if view is not None:
        widgets.data_line(view, lang)
        settings = backtest_view.settings_form(view, lang)
        backtest_view.run_button(view, settings, lang)

with guard(lang):
    report = backtest_view.current_report(view, settings, lang)
    if report is None:
        st.stop()
    backtest_view.report_header(report, lang)
    board, metric = backtest_view.leaderboard_section(report, lang)
    st.plotly_chart(
        eval_charts.leaderboard_figure(board, metric, lang), key="bt_board_chart", **plot
    )

    h_metric = backtest_view.horizon_controls(lang)
    st.plotly_chart(
        eval_charts.horizon_figure(report.horizon, lang, h_metric), key="bt_h_chart", **plot
    )

    series, models, band = backtest_view.window_controls(report, lang)
    fig = eval_charts.backtest_figure(report.result.cv, series, models, lang, band, report.history)
    st.plotly_chart(fig, key="bt_windows_chart", **plot)

    if backtest_view.festival_section(report, metric, lang):
        st.plotly_chart(
            eval_charts.festival_figure(report.festival, metric, lang), key="bt_fest_chart", **plot
        )

    backtest_view.choice_section(report, lang)
