"""Forecast: the interactive chart with bands and festivals, the table, downloads."""

from __future__ import annotations

import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.i18n import t
from forecasting.ui import PAGES, bootstrap, cache, exports, guard, widgets

lang = bootstrap("forecast")
st.title(t("page.forecast.title", lang))
widgets.journey(lang, current="forecast")

with guard(lang):
    result = st.session_state["result"]
    if result is None:
        st.info(t("forecast.none", lang), icon=":material/info:")
        st.page_link(PAGES["home"], label=t("forecast.go_home", lang), icon=":material/home:")
        st.stop()
    widgets.result_line(result, lang)
    widgets.failed_models(result, lang)
    series, models, levels, show_festivals = widgets.forecast_controls(result, lang)
    start, end = result.history["ds"].min(), result.forecast["ds"].max()
    festivals = cache.festivals(start, end, lang) if show_festivals else None
    fig = charts.forecast_figure(
        result.history, result.forecast, series, models, levels, lang, festivals=festivals
    )
    st.plotly_chart(fig, theme=None, config={"displaylogo": False}, key="fc_chart")
    st.markdown(f"**{t('forecast.table', lang)}**")
    widgets.table(exports.forecast_table(result.forecast, lang, [series], models, levels))
    widgets.downloads(result, fig, series, lang)
