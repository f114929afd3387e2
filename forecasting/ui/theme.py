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


# Additions to assets/style.css: the journey's "outdated" step and the phone layout.
EXTRA_CSS = """
.sc-step.stale { border-color: #F2C98B; background: #FFF8EC; }
.sc-step.stale .sc-num { background: #F2A541; color: #fff; }
[data-testid="stPlotlyChart"] { width: 100%; }
@media (max-width: 640px) {
  /* the title clears Streamlit's top bar; the chart gets the full width */
  .block-container { padding: 4.6rem .6rem 2rem .6rem; }
  h1 { font-size: 1.6rem !important; }
  .sc-hero h1 { font-size: 1.55rem; line-height: 1.3; }
  .sc-hero p { font-size: .98rem; }
  .sc-steps { gap: .35rem; margin: .2rem 0 .8rem 0; flex-wrap: nowrap; }
  .sc-step { min-width: 0; padding: .35rem .45rem; font-size: .78rem; }
  .sc-step b { font-size: .86rem; }
  .sc-step .sc-num { width: 1.2rem; height: 1.2rem; line-height: 1.2rem; margin-right: .2rem; }
  .st-key-home_sample button { min-height: 3rem; }
  .st-key-home_sample button p { font-size: 1.02rem; }
}
"""


def page_icon() -> str:
    """Favicon: the logo mark when the asset exists, else an emoji."""
    return str(ICON) if ICON.exists() else "📈"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "").replace('"', "'") + '"'


def apply(lang: str = "zh") -> None:
    """Inject the stylesheet, translated texts for Streamlit's own widgets, and the logo."""
    from forecasting.i18n import t

    css = _css() + EXTRA_CSS
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
