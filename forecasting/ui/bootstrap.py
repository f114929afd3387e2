"""The one call every page starts with, and the guard around every page body."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from forecasting.errors import ShopcastError
from forecasting.i18n import LANGUAGES, t
from forecasting.ui import prewarm, state, theme

log = logging.getLogger("shopcast.ui")

_ROOT = Path(__file__).resolve().parents[2]


def _discover_pages() -> dict[str, str]:
    """Page id -> script path (relative to app.py), in sidebar order.

    ``app.py`` is "home"; every ``pages/<n>_<Name>.py`` is ``name.lower()``, so a
    new page joins the translated sidebar by existing (and a ``nav.<id>`` key).
    """
    pages = {"home": "app.py"}
    for path in sorted(
        (_ROOT / "pages").glob("[0-9]*_*.py"), key=lambda p: int(p.stem.split("_")[0])
    ):
        pages[path.stem.split("_", 1)[1].lower()] = f"pages/{path.name}"
    return pages


PAGES: dict[str, str] = _discover_pages()
_NAV_ICONS = {
    "home": ":material/home:",
    "data": ":material/table_chart:",
    "train": ":material/model_training:",
    "forecast": ":material/insights:",
    "backtest": ":material/leaderboard:",
    "scenarios": ":material/tune:",
}


def bootstrap(page: str) -> str:
    """Set up a page: config, session defaults, sidebar (navigation, language), CSS.

    Args:
        page: the page id ("home", "data", "train", "forecast").

    Returns:
        The session's language ("zh" or "en"), to pass to ``t()``.
    """
    prewarm.start()
    state.init_defaults()
    lang = state.lang()
    st.set_page_config(
        page_title=f"{t(f'page.{page}.title', lang)} · Shopcast",
        page_icon=theme.page_icon(),
        layout="wide",
        initial_sidebar_state="expanded",
    )
    theme.apply(lang)
    _sidebar(page)
    from forecasting.ui.widgets import interrupted_notice

    interrupted_notice(state.lang())
    return state.lang()


def _sidebar(page: str) -> None:
    with st.sidebar:
        lang = state.lang()
        st.html(f"<div class='sc-tagline'>{t('app.tagline', lang)}</div>")
        for pid, path in PAGES.items():
            st.page_link(
                path, label=t(f"nav.{pid}", lang), icon=_NAV_ICONS.get(pid, ":material/article:")
            )
        st.divider()
        st.radio(
            t("ui.language", lang),
            options=list(LANGUAGES),
            format_func=lambda code: t(f"ui.lang.{code}", code),
            horizontal=True,
            **state.bind("lang"),
        )


def nav_label(page: str, lang: str) -> str:
    """Sidebar label of a page: ``nav.<id>``, else its page title, else its file name."""
    for key in (f"nav.{page}", f"page.{page}.title"):
        text = t(key, lang)
        if text != key:
            return text
    return page.replace("_", " ").title()


def go(page: str) -> None:
    """Switch to another page (raises Streamlit's control-flow exception)."""
    st.switch_page(PAGES[page])


@contextmanager
def guard(lang: str) -> Iterator[None]:
    """Show any error in the page as a translated message, never a traceback.

    ``ShopcastError`` carries its own translated text; anything else gets a
    generic message and a one-line technical detail, and is logged in full
    for the server log. Streamlit's own rerun/stop signals are
    ``BaseException`` and pass through untouched.
    """
    try:
        yield
    except ShopcastError as exc:
        st.error(exc.message(lang), icon=":material/error:")
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the demo
        log.exception("page failed")
        st.error(t("ui.error.unexpected", lang), icon=":material/error:")
        st.caption(t("ui.error.detail", lang, detail=short_error(exc)))


def short_error(exc: BaseException) -> str:
    """``Type: first line of message`` (at most 160 characters)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__
