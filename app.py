"""Shopcast home: what it does, one click to a forecast, where you are."""

from __future__ import annotations

import streamlit as st

from forecasting.i18n import t
from forecasting.ui import PAGES, actions, bootstrap, go, guard, widgets

lang = bootstrap("home")
widgets.hero(lang)
widgets.journey(lang, current="data")

with guard(lang):
    left, right = st.columns([3, 2], gap="large")
    with left:
        if st.button(
            t("home.sample_button", lang), type="primary", key="home_sample", width="stretch"
        ):
            with widgets.training_session():
                result = actions.quickstart(lang)
            if result is not None:
                go("forecast")
            widgets.training_outcome(lang)
        st.caption(t("home.sample_help", lang))
        widgets.result_banner(lang)
        widgets.sample_preview(lang)
    with right, st.container(border=True):
        st.markdown(f"**{t('home.own_data', lang)}**")
        st.markdown(t("home.own_data_text", lang))
        st.page_link(PAGES["data"], label=t("home.go_data", lang), icon=":material/upload_file:")
