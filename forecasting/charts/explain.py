"""What drives a forecast: stacked bars per component over the horizon, and a caption in words.

Pure functions over :func:`forecasting.models.explain.by_component` /
:func:`~forecasting.models.explain.explain` frames: frame in, ``go.Figure`` or
text out. Component names are translated (``insights.component.<group>``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecasting.charts.forecast import model_label, series_label
from forecasting.charts.style import (
    HISTORY_COLOR,
    PALETTE,
    date_ticks,
    hover_name,
    plotly_text,
    template,
)
from forecasting.i18n import t
from forecasting.models.explain import (
    COMPONENT,
    COMPONENTS,
    FESTIVALS,
    TREND,
    VALUE,
    by_component,
    festival_effects,
)
from forecasting.schema import DS, ID

COMPONENT_COLORS = {
    "trend": "#B8BCCB",
    "weekly": PALETTE[1],
    "yearly": PALETTE[2],
    "festivals": PALETTE[0],
    "promo_price": PALETTE[4],
    "other": PALETTE[3],
}
MIN_SHARE = 0.01  # a component adding less than 1% of the forecast is not named in words


def component_label(component: str, lang: str = "zh") -> str:
    """Display name of a component group (``趋势与近期水平`` / ``Trend & recent level``)."""
    key = f"insights.component.{component}"
    text = t(key, lang)
    return component if text == key else text


def explanation_figure(
    components: pd.DataFrame,
    series_id: str,
    model: str,
    lang: str = "zh",
) -> go.Figure:
    """Stacked bars of each component per forecast date, and the forecast as a line.

    Args:
        components: ``unique_id, ds, component, value`` (``by_component``); other
            series are ignored.
        series_id: the series to draw.
        model: the model alias (for the title).
        lang: "zh" or "en".

    Returns:
        Figure with one bar trace per component present (``COMPONENTS`` order,
        ``meta={"role": "component", "component": ...}``; positive and negative parts
        stack away from zero, ``barmode="relative"``) and a last line trace, the
        sum of the components (``meta={"role": "forecast"}``).
    """
    part = components[components[ID].astype(str) == str(series_id)]
    fig = go.Figure()
    for comp in COMPONENTS:
        rows = part[part[COMPONENT] == comp].sort_values(DS)
        if rows.empty or not np.any(np.abs(rows[VALUE].to_numpy(float)) > 1e-9):
            continue
        name = component_label(comp, lang)
        fig.add_trace(
            go.Bar(
                x=rows[DS],
                y=rows[VALUE],
                name=name,
                marker_color=COMPONENT_COLORS.get(comp, HISTORY_COLOR),
                hovertemplate=hover_name(name) + "%{y:+,.0f}<extra></extra>",
                meta={"role": "component", "component": comp},
            )
        )
    total = part.groupby(DS, observed=True)[VALUE].sum().sort_index()
    label = t("insights.explain.total", lang)
    fig.add_trace(
        go.Scatter(
            x=total.index,
            y=total.to_numpy(),
            mode="lines+markers",
            name=label,
            line={"color": HISTORY_COLOR, "width": 1.8},
            marker={"size": 4},
            hovertemplate=hover_name(label) + "%{y:,.0f}<extra></extra>",
            meta={"role": "forecast"},
        )
    )
    title = t(
        "insights.explain.title",
        lang,
        series=plotly_text(series_label(series_id, lang)),
        model=plotly_text(model_label(model, lang)),
    )
    fig.update_layout(
        template=template(),
        title={"text": title},
        barmode="relative",
        yaxis_title=t("insights.explain.units", lang),
        hovermode="x unified",
        height=420,
        legend={"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top"},
        margin={"t": 60, "b": 40, "l": 56, "r": 16},
        xaxis=date_ticks(lang),
    )
    return fig


def component_totals(components: pd.DataFrame, series_id: str | None = None) -> pd.Series:
    """Units each component adds over the horizon (``COMPONENTS`` order, present ones)."""
    part = components
    if series_id is not None:
        part = components[components[ID].astype(str) == str(series_id)]
    total = part.groupby(COMPONENT, observed=True)[VALUE].sum()
    return total.reindex([c for c in COMPONENTS if c in total.index])


def explanation_caption(
    detail: pd.DataFrame,
    lang: str = "zh",
    country: str | None = None,
    top: int = 3,
) -> str:
    """The drivers in words: ``双十一 adds about +1,200 units; promotions & price +800``.

    Festivals are named one by one (largest effect first), then the other
    components except the trend; a piece under ``MIN_SHARE`` of the forecast is
    left out. ``detail`` is an :func:`~forecasting.models.explain.explain` frame
    of one series (or several: they are added up).

    Returns:
        One sentence, or a sentence saying the forecast is mostly the trend.
    """
    from forecasting.data.festivals import festival_label
    from forecasting.reports.summary import fmt_number

    comps = by_component(detail)
    forecast = float(comps[VALUE].sum()) if len(comps) else 0.0
    floor = MIN_SHARE * abs(forecast)
    items: list[tuple[float, str]] = []
    for fest, units in festival_effects(detail).items():
        items.append((float(units), festival_label(str(fest), lang, country)))
    totals = component_totals(comps)
    for comp, units in totals.items():
        if comp in (TREND, FESTIVALS):
            continue
        items.append((float(units), component_label(str(comp), lang)))
    items = [it for it in items if abs(it[0]) >= max(floor, 0.5)]
    items.sort(key=lambda it: -abs(it[0]))
    if not items:
        return t("insights.explain.mostly_trend", lang)
    sep = t("insights.explain.sep", lang)
    parts = [
        t("insights.explain.adds", lang, name=name, units=_signed(units, lang, fmt_number))
        for units, name in items[:top]
    ]
    return t("insights.explain.caption", lang, parts=sep.join(parts))


def _signed(units: float, lang: str, fmt) -> str:
    sign = "+" if units >= 0 else "−"
    return f"{sign}{fmt(abs(units), lang)}"
