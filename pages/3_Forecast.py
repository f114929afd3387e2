"""Forecast: the interactive chart with bands and festivals, the table, downloads."""

from __future__ import annotations

import streamlit as st

from forecasting.i18n import t
from forecasting.ui import bootstrap, guard, widgets
from forecasting.ui.views import forecast as forecast_view

lang = bootstrap("forecast")
st.title(t("page.forecast.title", lang))
widgets.journey(lang, current="forecast")

with guard(lang):
    result = forecast_view.require_result(lang)
    forecast_view.result_line(result, lang)
    forecast_view.failed_models(result, lang)
    series, models, levels, festivals_on = forecast_view.forecast_controls(result, lang)
    fig = forecast_view.chart(result, series, models, levels, festivals_on, lang)
    forecast_view.table_section(result, series, models, levels, lang)
    forecast_view.downloads(result, fig, series, lang)
