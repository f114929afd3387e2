"""The one call every page starts with, and the guard around every page body."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from forecasting.errors import ShopcastError
from forecasting.i18n import LANGUAGES, t
from forecasting.ui import actions, prewarm, state, theme, widgets
from forecasting.ui.interruption import interrupted_notice
from forecasting.ui.messages import error_text, md_escape, short_error
from forecasting.ui.nav import PAGES, nav_icon

log = logging.getLogger("shopcast.ui")

__all__ = ["bootstrap", "guard", "short_error"]  # short_error: kept for older imports


def bootstrap(page: str) -> str:
    """Set up a page: config, session defaults, sidebar (navigation, language), CSS.

    Args:
        page: the page id ("home", "data", "train", "forecast").

    Returns:
        The session's language ("zh" or "en"), to pass to ``t()``.
    """
    prewarm.start()
    widgets.forget_journey()  # a new run: no journey drawn yet
    state.init_defaults()
    actions.finish_upload()  # an upload whose run was cut short by a page change
    lang = state.lang()
    st.set_page_config(
        page_title=f"{t(f'page.{page}.title', lang)} · Shopcast",
        page_icon=theme.page_icon(),
        layout="wide",
        # "auto": open on a desktop, collapsed on a phone (it covered 77% of a 390 px screen)
        initial_sidebar_state="auto",
    )
    theme.apply(lang)
    _sidebar(page)
    interrupted_notice(state.lang())
    return state.lang()


def _sidebar(page: str) -> None:
    with st.sidebar:
        lang = state.lang()
        st.html(f"<div class='sc-tagline'>{t('app.tagline', lang)}</div>")
        for pid, path in PAGES.items():
            st.page_link(path, label=t(f"nav.{pid}", lang), icon=nav_icon(pid))
        st.divider()
        st.radio(
            t("ui.language", lang),
            options=list(LANGUAGES),
            format_func=lambda code: t(f"ui.lang.{code}", code),
            horizontal=True,
            **state.bind("lang"),
        )


@contextmanager
def guard(lang: str) -> Iterator[None]:
    """Show any error in the page as a translated message, never a traceback.

    ``ShopcastError`` carries its own translated text (data in it escaped, an
    untranslated key a generic sentence); anything else gets a
    generic message and a one-line technical detail, and is logged in full
    for the server log. Streamlit's own rerun/stop signals are
    ``BaseException`` and pass through untouched.
    """
    try:
        yield
    except ShopcastError as exc:
        st.error(error_text(exc, lang), icon=":material/error:")
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the demo
        log.exception("page failed")
        st.error(t("ui.error.unexpected", lang), icon=":material/error:")
        st.caption(t("ui.error.detail", lang, detail=md_escape(short_error(exc))))
