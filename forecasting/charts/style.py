"""The look every Shopcast chart shares: template, palette, band trace, inert labels.

Pure helpers, no streamlit. The Plotly template is ``assets/plotly_template.json``
(what a designer edits) with a built-in fallback that still puts a CJK font first.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "FESTIVAL_COLOR",
    "FONT_FAMILY",
    "HISTORY_COLOR",
    "MODEL_COLORS",
    "PALETTE",
    "band_trace",
    "hover_name",
    "level_text",
    "model_color",
    "plotly_text",
    "rgba",
    "template",
]

FONT_FAMILY = (
    '"WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif'
)
HISTORY_COLOR = "#1F2333"
FESTIVAL_COLOR = "#8A90A6"
PALETTE = ("#E4572E", "#2E86AB", "#3BB273", "#7768AE", "#F2A541", "#17BEBB", "#C84C8C")
# Fixed colours per registered model, so a model keeps its colour when others are hidden.
MODEL_COLORS = {
    "seasonal_naive": "#8A90A6",
    "ets": "#2E86AB",
    "prophet": "#3BB273",
    "lightgbm": "#E4572E",
    "mlp": "#7768AE",
    "lstm": "#F2A541",
}
_TEMPLATE_FILE = Path(__file__).resolve().parents[2] / "assets" / "plotly_template.json"


@cache
def _template_dict() -> dict[str, Any]:
    """The house template: ``assets/plotly_template.json`` when present, else built in.

    The JSON file is what a designer edits; the fallback keeps an installed
    package (without the repo's ``assets/``) rendering Chinese correctly.
    """
    if _TEMPLATE_FILE.exists():
        try:
            return json.loads(_TEMPLATE_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a broken asset must not break every chart
            pass
    return {
        "layout": {
            "font": {"family": FONT_FAMILY, "size": 13, "color": HISTORY_COLOR},
            "colorway": list(PALETTE),
            "hovermode": "x unified",
            "plot_bgcolor": "#FFFFFF",
            "paper_bgcolor": "#FFFFFF",
        }
    }


def template() -> go.layout.Template:
    """A fresh copy of the Shopcast Plotly template (CJK font first)."""
    return go.layout.Template(copy.deepcopy(_template_dict()))


def model_color(alias: str, order: Sequence[str] = ()) -> str:
    """Stable colour of a model: its registered colour, else by position in ``order``."""
    if alias in MODEL_COLORS:
        return MODEL_COLORS[alias]
    idx = list(order).index(alias) if alias in order else abs(hash(alias))
    return PALETTE[idx % len(PALETTE)]


def rgba(hex_color: str, alpha: float) -> str:
    """``#RRGGBB`` with an opacity, as a CSS ``rgba(r,g,b,a)`` string."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def level_text(level: float) -> str:
    """An interval level as a label: ``80%``, ``97.5%``."""
    return f"{int(level)}%" if float(level).is_integer() else f"{level}%"


def plotly_text(text: object) -> str:
    """Data-derived text (a SKU, a scenario name) made inert for Plotly.

    Plotly renders a subset of HTML in legends, hover labels, titles and tick
    labels (``<a href>`` becomes a live link, ``<br>`` a line break). Escaped
    ``&``, ``<`` and ``>`` are shown as the characters themselves, so the user
    sees exactly the name in the data and nothing in it is interpreted.
    """
    return html.escape(str(text), quote=False)


def hover_name(name: str) -> str:
    """``name: `` for a hovertemplate: inert, with Plotly's ``%{`` placeholders escaped."""
    return plotly_text(name).replace("%{", "% {") + ": "


def band_trace(
    x: pd.Series,
    lo: pd.Series,
    hi: pd.Series,
    *,
    color: str,
    alpha: float,
    name: str,
    group: str,
    meta: Mapping[str, Any],
) -> go.Scatter:
    """A shaded interval: the ``hi`` edge forwards, then ``lo`` backwards, filled.

    Args:
        x: dates of the band (same order as ``lo`` and ``hi``).
        lo: lower edge.
        hi: upper edge.
        color: ``#RRGGBB`` of the line it belongs to.
        alpha: fill opacity.
        name: trace name (hover is off and the band has no legend entry).
        group: legend group, so toggling the line toggles its band.
        meta: what the band shows (``role``, model or scenario, ``lo``/``hi`` columns).
    """
    return go.Scatter(
        x=pd.concat([x, x.iloc[::-1]]),
        y=pd.concat([hi, lo.iloc[::-1]]),
        fill="toself",
        fillcolor=rgba(color, alpha),
        line={"width": 0},
        mode="lines",
        hoverinfo="skip",
        name=name,
        legendgroup=group,
        showlegend=False,
        meta=dict(meta),
    )
