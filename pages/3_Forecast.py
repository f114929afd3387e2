"""Forecast: the interactive chart with bands and festivals, the table, downloads, the link."""

from __future__ import annotations

import streamlit as st

from forecasting.i18n import t
from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import forecast as forecast_view

lang = bootstrap("forecast")
st.title(t("page.forecast.title", lang))
widgets.journey(lang, current="forecast")

with guard(lang):
    forecast_view.follow_link(lang)  # a shared link: load its data and settings first
    result = forecast_view.require_result(lang)
    forecast_view.stale_notice(lang)
    forecast_view.level_switch(result, lang)
    forecast_view.result_line(result, lang)
    forecast_view.failed_models(result, lang)
    # (room for the recommendation / summary in words: they read `result`)
    series, models, levels, festivals_on = forecast_view.forecast_controls(result, lang)
    fig = forecast_view.chart(result, series, models, levels, festivals_on, lang)
    forecast_view.table_section(result, series, models, levels, lang)
    # (room for the report download next to the other files)
    forecast_view.downloads(result, fig, series, models, levels, lang)
    forecast_view.share_link(result, series, models, lang)
