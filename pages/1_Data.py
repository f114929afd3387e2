"""Data: upload, check the column mapping, see the summary and warnings, pick the level."""

from __future__ import annotations

import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.i18n import t
from forecasting.ui import PAGES, actions, bootstrap, cache, guard, widgets

lang = bootstrap("data")
st.title(t("page.data.title", lang))
widgets.journey(lang, current="data")

with guard(lang):
    widgets.data_source(lang)
    if st.session_state["data_source"] is None:
        st.info(t("data.none", lang), icon=":material/info:")
        st.stop()
    widgets.sheet_picker(lang)
    raw = widgets.raw_preview(lang)
    widgets.mapping_editor(raw, lang)
    view = actions.current_view()
    widgets.level_controls(view, lang)
    widgets.plan_picker(view, lang)
    widgets.data_summary(view, lang)
    start, end = view.history["ds"].min(), view.history["ds"].max()
    fig = charts.history_figure(view.history, lang, festivals=cache.festivals(start, end, lang))
    st.plotly_chart(fig, theme=None, config={"displaylogo": False})
    st.page_link(PAGES["train"], label=t("data.next", lang), icon=":material/arrow_forward:")
