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
    "date_ticks",
    "plotly_config",
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
# Plotly's zh-CN locale, inlined: neither Streamlit's nor plotly.py's bundle ships the
# locale files, and ``config.locales`` registers one for a single chart (offline too).
_ZH_MONTHS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
ZH_CN_LOCALE: dict[str, Any] = {
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "矩形选择",
        "Click to enter Chart title": "点击输入图表标题",
        "Compare data on hover": "悬停时比较数据",
        "Double-click to zoom back out": "双击恢复原始大小",
        "Download plot": "下载图片",
        "Download plot as a png": "下载图片 (PNG)",
        "Lasso Select": "套索选择",
        "Pan": "平移",
        "Produced with Plotly.js": "由 Plotly.js 生成",
        "Reset axes": "重置坐标轴",
        "Reset view": "重置视图",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Snapshot succeeded": "截图成功",
        "Taking snapshot - this may take a few seconds": "正在截图，请稍候",
        "Toggle Spike Lines": "显示/隐藏辅助线",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
    },
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in _ZH_MONTHS],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
        "date": "%Y-%m-%d",
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": ["¥", ""],
    },
}


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


def plotly_config(lang: str = "zh", **extra: Any) -> dict[str, Any]:
    """Plotly's ``config`` for a chart in ``lang``: month names, tool tips, no logo.

    Chinese charts get the zh-CN locale inline (months "1月", weekdays "周一", the
    toolbar's tips), so the axis reads in the UI language in the app and in
    exported HTML alike.

    Args:
        lang: "zh" or "en".
        **extra: more config entries (``displayModeBar``, ``responsive``...).
    """
    config: dict[str, Any] = {"displaylogo": False}
    if lang == "zh":
        config.update(locale="zh-CN", locales={"zh-CN": copy.deepcopy(ZH_CN_LOCALE)})
    config.update(extra)
    return config


def date_ticks(lang: str = "zh") -> dict[str, Any]:
    """Date-axis tick formats in ``lang``: "3月5日", "2026年3月" in Chinese ({}: Plotly's own).

    Plotly's own formats ("8月 9" over "2026") read oddly with Chinese month names.
    """
    if lang != "zh":
        return {}
    day = 86_400_000  # ms
    return {
        "tickformatstops": [
            {"dtickrange": [None, day], "value": "%-m月%-d日 %H:%M"},
            {"dtickrange": [day, "M1"], "value": "%-m月%-d日"},
            {"dtickrange": ["M1", "M12"], "value": "%Y年%-m月"},
            {"dtickrange": ["M12", None], "value": "%Y年"},
        ],
        "hoverformat": "%Y年%-m月%-d日",
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
