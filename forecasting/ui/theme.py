"""Look and feel: CSS, logo, asset paths."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parents[2] / "assets"
LOGO = ASSETS / "logo.svg"
ICON = ASSETS / "icon.svg"


@cache
def _css() -> str:
    path = ASSETS / "style.css"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def page_icon() -> str:
    """Favicon: the logo mark when the asset exists, else an emoji."""
    return str(ICON) if ICON.exists() else "📈"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "").replace('"', "'") + '"'


def apply(lang: str = "zh") -> None:
    """Inject the stylesheet, translated texts for Streamlit's own widgets, and the logo."""
    from forecasting.i18n import t

    css = _css()
    # Streamlit's uploader labels are English only; CSS lets us show the user's language.
    css += (
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after'
        f"{{content: {_quote(t('data.upload_button', lang))};}}"
        '[data-testid="stFileUploaderDropzoneInstructions"] > div::after'
        f"{{content: {_quote(t('data.drop_hint', lang))};}}"
    )
    st.html(f"<style>{css}</style>")
    if LOGO.exists():
        st.logo(str(LOGO), icon_image=str(ICON) if ICON.exists() else None, size="large")
