"""The pages of the app (discovered from ``pages/``), their sidebar labels and switching."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from forecasting.i18n import t

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
NAV_ICONS = {
    "home": ":material/home:",
    "data": ":material/table_chart:",
    "train": ":material/model_training:",
    "forecast": ":material/insights:",
    "backtest": ":material/leaderboard:",
    "scenarios": ":material/tune:",
}


def nav_icon(page: str) -> str:
    """Sidebar icon of a page (a generic one for pages without their own)."""
    return NAV_ICONS.get(page, ":material/article:")


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
