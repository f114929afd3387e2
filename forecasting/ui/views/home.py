"""Home page: what Shopcast does, one click to a forecast, the way to one's own data."""

from __future__ import annotations

import html

import streamlit as st

from forecasting.charts.forecast import model_label
from forecasting.i18n import t
from forecasting.ui import actions, cache, state, widgets
from forecasting.ui.messages import md_escape
from forecasting.ui.nav import PAGES, go


def hero(lang: str) -> None:
    """Headline and the two sentences saying what Shopcast does."""
    st.html(
        f"<div class='sc-hero'><h1>{html.escape(t('home.headline', lang))}</h1>"
        f"<p>{html.escape(t('home.intro', lang))}</p></div>"
    )


def start_section(lang: str) -> None:
    """Left: the sample button (trains, then opens the forecast); right: own data."""
    left, right = st.columns([3, 2], gap="large")
    with left:
        sample_button(lang)
        result_banner(lang)
        sample_preview(lang)
    with right, st.container(border=True):
        st.markdown(f"**{t('home.own_data', lang)}**")
        st.markdown(t("home.own_data_text", lang))
        st.page_link(PAGES["data"], label=t("home.go_data", lang), icon=":material/upload_file:")


def sample_button(lang: str) -> None:
    """Load the sample and train the default models; on success switch to the forecast."""
    if st.button(t("home.sample_button", lang), type="primary", key="home_sample", width="stretch"):
        with widgets.training_session():
            result = actions.quickstart(lang)
        if result is not None:
            go("forecast")
        widgets.training_outcome(lang)
    st.caption(t("home.sample_help", lang))


def result_banner(lang: str) -> None:
    """On the home page: a link to the existing forecast, if any."""
    result = state.current_result()
    if result is None:
        return
    names = ", ".join(md_escape(model_label(m, lang)) for m in result.models)
    with st.container(border=True):
        st.markdown(t("home.result_ready", lang, models=names))
        if actions.stale_reasons():  # made from other data or settings than the current ones
            st.caption(t("views.home.stale", lang))
        st.page_link(
            PAGES["forecast"], label=t("home.go_forecast", lang), icon=":material/insights:"
        )


def sample_preview(lang: str) -> None:
    """A small chart of the sample's total sales: shows what the sample is, and loads
    the chart library in the browser while the user reads (the forecast opens faster)."""
    from forecasting.charts.forecast import history_figure

    try:
        name, key, data = cache.sample_file()
        hist, _ = cache.history(key, name, None, "", "total", "auto", (), data)
    except Exception:  # noqa: BLE001 - decoration only: never block the home page
        return
    fig = history_figure(hist, lang, title=t("home.preview_title", lang), height=230)
    fig.update_layout(
        margin={"t": 40, "b": 24, "l": 48, "r": 8}, yaxis_title=None, title_font_size=14
    )
    st.plotly_chart(fig, theme=None, config={"displayModeBar": False}, key="home_preview")
