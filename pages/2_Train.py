"""Train: pick models, horizon, interval levels; train with progress; fit time per model."""

from __future__ import annotations

import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.i18n import t
from forecasting.ui import PAGES, actions, bootstrap, guard, widgets

lang = bootstrap("train")
st.title(t("page.train.title", lang))
widgets.journey(lang, current="train")

with guard(lang):
    view = actions.current_view()
    if view is None:
        st.info(t("train.no_data", lang), icon=":material/info:")
        st.page_link(PAGES["data"], label=t("nav.data", lang), icon=":material/table_chart:")
        st.stop()
    widgets.data_line(view, lang)
    widgets.model_picker(lang)
    widgets.train_settings(view.freq, lang)
    start, stop = st.columns([1, 1])
    if start.button(t("train.button", lang), type="primary", key="train_start", width="stretch"):
        slot = stop.empty()  # any click reruns the script, which stops the training
        slot.button(
            t("train.stop", lang), key="train_stop", icon=":material/stop_circle:", width="stretch"
        )
        with widgets.training_session():
            actions.run_training(view, actions.train_config(view.freq), lang)
        slot.empty()

with guard(lang):
    widgets.training_outcome(lang)
    if widgets.runs_table(lang) is not None:
        times = widgets.fit_times(lang)
        if len(times):
            st.plotly_chart(
                charts.fit_time_figure(times, lang), theme=None, config={"displaylogo": False}
            )
    if st.session_state["result"] is not None:
        st.page_link(
            PAGES["forecast"], label=t("train.to_forecast", lang), icon=":material/insights:"
        )
