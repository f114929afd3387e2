"""Plotly builders for the all-series overview: the top series and the top movers.

Pure functions over :func:`forecasting.planning.overview.overview_table`: table in,
``go.Figure`` out. Series names come from the data, so they pass through
``series_label`` (the total is translated) and ``plotly_text`` (shown as typed);
every other visible string goes through ``forecasting.i18n.t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecasting.charts.forecast import model_label, series_label
from forecasting.charts.style import HISTORY_COLOR, PALETTE, hover_name, plotly_text, template
from forecasting.i18n import t
from forecasting.planning.overview import (
    ACTUAL,
    CHANGE,
    COLUMNS,
    FORECAST,
    GROWTH,
    RANK,
    SHARE,
    SORTS,
    UNCERTAINTY,
    movers,
    ranked,
)
from forecasting.schema import ID

FORECAST_COLOR = PALETTE[1]
ACTUAL_COLOR = "#B8BCCB"
RISE_COLOR, FALL_COLOR = PALETTE[2], PALETTE[0]
BAR_HEIGHT = 22  # px per bar row, so 50 series stay readable


def labels(ids: pd.Series, lang: str = "zh") -> list[str]:
    """Display names of series ids (translated total), inert for Plotly."""
    return [plotly_text(series_label(s, lang)) for s in ids]


def top_figure(table: pd.DataFrame, by: str = "volume", n: int = 20, lang: str = "zh") -> go.Figure:
    """Horizontal bars of the top ``n`` series by ``by`` (one of ``SORTS``), largest on top.

    ``volume``: two bars per series, the last equal span's actual sales and the
    forecast. ``growth`` / ``change``: one bar per series, coloured by sign.
    ``uncertainty``: the band's average width in % of the forecast.

    Returns:
        Figure with 2 traces (``volume``) or 1, ``meta["role"]`` naming each, and
        ``meta["series"]`` listing the ids drawn, top first.
    """
    top = ranked(table, by, n)
    rows = top.iloc[::-1]  # Plotly draws the first category at the bottom
    names = labels(rows[ID], lang)
    fig = go.Figure()
    if by == "volume":
        for col, color, key in (
            (ACTUAL, ACTUAL_COLOR, "actual"),
            (FORECAST, FORECAST_COLOR, "forecast"),
        ):
            label = t(f"overview.col.{key}", lang)
            fig.add_trace(
                go.Bar(
                    x=rows[col],
                    y=names,
                    orientation="h",
                    name=label,
                    marker_color=color,
                    hovertemplate=hover_name(label) + "%{x:,.0f}<extra>%{y}</extra>",
                    meta={"role": key},
                )
            )
    else:
        col = SORTS[by]
        values = rows[col].to_numpy(dtype=float)
        colors = (
            _sign_colors(values) if by in ("growth", "change") else [FORECAST_COLOR] * len(rows)
        )
        label = t(f"overview.by.{by}", lang)
        fmt = "%{x:,.0f}" if by == "change" else "%{x:.1f}%"
        fig.add_trace(
            go.Bar(
                x=values,
                y=names,
                orientation="h",
                name=label,
                marker_color=colors,
                hovertemplate=hover_name(label) + fmt + "<extra>%{y}</extra>",
                meta={"role": by},
            )
        )
    title = t("overview.chart.top", lang, n=len(top), by=t(f"overview.by.{by}", lang))
    _layout(fig, title, _axis_title(by, lang), len(top) * len(fig.data), table, lang)
    fig.update_layout(barmode="group")
    fig.update_layout(meta={"series": list(top[ID])})
    return fig


def movers_figure(table: pd.DataFrame, n: int = 10, lang: str = "zh") -> go.Figure:
    """The ``n`` largest rises and ``n`` largest falls (change in units), one diverging chart.

    Returns:
        Figure with two traces (``meta["role"]``: ``"rise"`` then ``"fall"``): rises
        to the right, falls to the left, the largest moves furthest from the middle.
    """
    rises, falls = movers(table, n)
    fig = go.Figure()
    for frame, role, color in ((rises, "rise", RISE_COLOR), (falls, "fall", FALL_COLOR)):
        rows = frame
        label = t(f"overview.movers.{role}", lang)
        fig.add_trace(
            go.Bar(
                x=rows[CHANGE],
                y=labels(rows[ID], lang),
                orientation="h",
                name=label,
                marker_color=color,
                customdata=np.column_stack([rows[GROWTH].to_numpy(float)]) if len(rows) else None,
                hovertemplate=hover_name(label)
                + "%{x:+,.0f} (%{customdata[0]:+.1f}%)<extra>%{y}</extra>",
                meta={"role": role, "series": list(frame[ID])},
            )
        )
    title = t("overview.chart.movers", lang, n=n)
    _layout(fig, title, t("overview.col.change", lang), len(rises) + len(falls), table, lang)
    # bottom to top: the largest fall ... the smallest fall, the smallest rise ... the largest
    order = labels(falls[ID], lang) + labels(rises[ID].iloc[::-1], lang)
    fig.update_layout(barmode="relative")
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    return fig


def display_table(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The overview with translated headers and series names, for a sortable table.

    Numbers stay numbers (the table widget sorts and formats them); the columns
    are :data:`~forecasting.planning.overview.COLUMNS`, renamed by
    :func:`column_names`.
    """
    out = table[list(COLUMNS)].copy()
    out[ID] = [series_label(s, lang) for s in out[ID]]
    return out.rename(columns=column_names(lang))


def column_names(lang: str = "zh") -> dict[str, str]:
    """Header of each overview column in ``lang``."""
    keys = {
        ID: "series",
        RANK: "rank",
        FORECAST: "forecast",
        ACTUAL: "actual",
        CHANGE: "change",
        GROWTH: "growth",
        UNCERTAINTY: "uncertainty",
        SHARE: "share",
    }
    return {col: t(f"overview.col.{key}", lang) for col, key in keys.items()}


def _sign_colors(values: np.ndarray) -> list[str]:
    return [RISE_COLOR if v >= 0 else FALL_COLOR for v in np.nan_to_num(values)]


def _axis_title(by: str, lang: str) -> str:
    return (
        t("overview.axis.units", lang)
        if by in ("volume", "change")
        else t("overview.axis.percent", lang)
    )


def _layout(
    fig: go.Figure, title: str, x_title: str, n_bars: int, table: pd.DataFrame, lang: str
) -> None:
    """Shared look: title with the model and band level, height growing with the bars."""
    model = table.attrs.get("model")
    level = table.attrs.get("level")
    parts = [model_label(model, lang)] if model else []
    if level is not None:
        parts.append(t("overview.chart.band", lang, level=f"{float(level):g}%"))
    fig.update_layout(
        template=template(),
        title={"text": title, "subtitle": {"text": plotly_text(" · ".join(parts))}},
        xaxis_title=x_title,
        height=max(320, 140 + BAR_HEIGHT * n_bars),
        margin={"t": 90, "b": 40, "l": 8, "r": 16},
        legend={"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        hovermode="closest",
        yaxis={"automargin": True, "tickfont": {"color": HISTORY_COLOR}},
    )
