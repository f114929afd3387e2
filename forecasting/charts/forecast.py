"""Plotly chart builders: frames in, ``go.Figure`` out.

Pure functions, no streamlit: the dashboard, the CLI's HTML export and the tests
all use the same builders. Every visible string goes through
``forecasting.i18n.t`` and the font stack puts a CJK font first, so Chinese
labels render in the browser and in exported HTML.

Column names come from the data contract only (``unique_id, ds, y`` and the
forecast's ``Alias``, ``Alias-lo-L``, ``Alias-hi-L``), so no builder needs to
know which model produced a column. Names taken from the data (series, models,
festivals) pass through ``style.plotly_text``, so Plotly shows them as typed and
never renders markup in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecasting.charts.style import (
    FESTIVAL_COLOR,
    HISTORY_COLOR,
    band_trace,
    date_ticks,
    hover_name,
    level_text,
    model_color,
    plotly_config,
    plotly_text,
    rgba,
    template,
)
from forecasting.i18n import model_name, t
from forecasting.reports.safe import escape_html
from forecasting.schema import DS, ID, Y, hi_col, levels_of, lo_col, model_aliases

TOTAL_IDS = frozenset({"total", "__total__", "all", "_all_"})


# ----------------------------------------------------------------------------- names
def model_label(alias: str, lang: str = "zh") -> str:
    """Display name of a model alias (``model.<alias>.name``), the alias if untranslated."""
    return model_name(alias, lang)


def series_label(series_id: str, lang: str = "zh") -> str:
    """Display name of a series id; the aggregate series gets a translated name."""
    return t("chart.total", lang) if str(series_id).lower() in TOTAL_IDS else str(series_id)


def _band_alpha(rank: int, n: int) -> float:
    """Opacity of a band: widest (rank 0) lightest; stacked bands add up."""
    return 0.1 if n <= 1 or rank == 0 else 0.16


# ------------------------------------------------------------------- forecast chart
def forecast_figure(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    series_id: str,
    models: Sequence[str] | None = None,
    levels: Iterable[float] | None = None,
    lang: str = "zh",
    festivals: pd.DataFrame | None = None,
    title: str | None = None,
    window: int | None = None,
    x_range: Sequence[Any] | str | None = None,
) -> go.Figure:
    """History, model forecasts and their interval bands for one series.

    Args:
        history: history contract frame (``unique_id, ds, y``).
        forecast: forecast contract frame (``unique_id, ds, Alias, Alias-lo-L...``).
        series_id: the ``unique_id`` to draw.
        models: aliases to draw; all models in ``forecast`` when None. Unknown
            aliases are ignored.
        levels: interval levels to shade; every level present when None, none
            when empty. Levels missing for a model are skipped.
        lang: "zh" or "en" for labels.
        festivals: ``holiday, ds, label`` frame (``calendar.festival_markers``);
            drawn as dotted vertical lines with a label, plus one hoverable
            marker trace.
        title: chart title; "Forecast · <series>" when None.
        window: history periods shown initially (the range slider reaches the
            rest); three horizons (at least 30 periods) when None, so the
            forecast fills about a quarter of the width.
        x_range: the user's zoom ``(x0, x1)`` to start from (the y axis fits what
            is visible), or "all" for the whole history; overrides ``window``.

    The layout's ``uirevision`` is the series id, so a chart updated in place keeps
    the user's zoom (Streamlit draws a new chart instead: the app passes the zoom
    back as ``x_range``). The legend sits below the chart, where it cannot cover the
    title on a phone.

    Returns:
        Figure whose traces are, in order: history, then per model its bands
        (widest first, ``meta`` names the lo/hi columns used) and its line,
        then the festival marker trace if any festival falls in range.
    """
    hist = history.loc[history[ID].astype(str) == str(series_id), [DS, Y]].sort_values(DS)
    fc = forecast.loc[forecast[ID].astype(str) == str(series_id)].sort_values(DS)
    all_models = model_aliases(forecast)
    chosen = [m for m in (all_models if models is None else models) if m in all_models]
    wanted = None if levels is None else {float(lv) for lv in levels}

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=hist[DS],
            y=hist[Y],
            mode="lines",
            name=t("chart.history", lang),
            line={"color": HISTORY_COLOR, "width": 1.6},
            hovertemplate=hover_name(t("chart.history", lang)) + "%{y:,.0f}<extra></extra>",
            meta={"role": "history"},
        )
    )
    shown_levels: set[float] = set()
    for alias in chosen:
        have = levels_of(forecast, alias)
        use = [lv for lv in have if wanted is None or float(lv) in wanted]
        use = sorted(use, reverse=True)  # widest first, so narrower bands draw on top
        shown_levels.update(float(lv) for lv in use)
        _add_model(fig, fc, alias, use, model_color(alias, all_models), lang)

    start = hist[DS].min() if len(hist) else fc[DS].min()
    end = fc[DS].max() if len(fc) else hist[DS].max()
    _add_festivals(fig, festivals, start, end, lang)
    if title is None:
        title = t("chart.forecast_title", lang, series=plotly_text(series_label(series_id, lang)))
    _forecast_layout(fig, title, shown_levels, lang)
    fig.update_layout(uirevision=f"series:{series_id}")
    if x_range == "all":
        window = len(hist) + 1
    _initial_view(
        fig, hist, fc, chosen, shown_levels, window, None if x_range == "all" else x_range
    )
    return fig


def _add_model(
    fig: go.Figure, fc: pd.DataFrame, alias: str, use: Sequence[float], color: str, lang: str
) -> None:
    """A model's bands (``use``, widest first) and then its line, one legend group."""
    raw = model_label(alias, lang)
    label = plotly_text(raw)
    for rank, lv in enumerate(use):
        lo, hi = lo_col(alias, lv), hi_col(alias, lv)
        fig.add_trace(
            band_trace(
                fc[DS],
                fc[lo],
                fc[hi],
                color=color,
                alpha=_band_alpha(rank, len(use)),
                name=t("chart.band", lang, model=label, level=level_text(lv)),
                group=alias,
                meta={"role": "band", "model": alias, "level": lv, "lo": lo, "hi": hi},
            )
        )
    # Band values travel with the line's hover, so one unified tooltip says it all.
    # A custom template hides the trace name in unified hover: put it back in front.
    hover = hover_name(raw) + "%{y:,.0f}"
    custom = []
    for lv in sorted(use):
        i = len(custom)
        custom += [fc[lo_col(alias, lv)], fc[hi_col(alias, lv)]]
        hover += f"  ({level_text(lv)}: %{{customdata[{i}]:,.0f}}–%{{customdata[{i + 1}]:,.0f}})"
    fig.add_trace(
        go.Scatter(
            x=fc[DS],
            y=fc[alias],
            mode="lines+markers" if len(fc) <= 16 else "lines",
            name=label,
            line={"color": color, "width": 2.4},
            marker={"size": 5},
            legendgroup=alias,
            customdata=np.column_stack(custom) if custom else None,
            hovertemplate=hover + "<extra></extra>",
            meta={"role": "forecast", "model": alias},
        )
    )


def _forecast_layout(fig: go.Figure, title: str, shown_levels: set[float], lang: str) -> None:
    subtitle = ""
    if shown_levels:
        lv_text = " / ".join(level_text(lv) for lv in sorted(shown_levels))
        subtitle = t("chart.band_note", lang, levels=lv_text)
    fig.update_layout(
        template=template(),
        title={"text": title, "subtitle": {"text": subtitle}},
        yaxis_title=t("chart.sales", lang),
        # below the range slider: on a phone a legend above the plot covers the title
        legend={
            "groupclick": "togglegroup",
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.2,
            "yanchor": "top",
        },
        hovermode="x unified",
        height=560,
        margin={"t": 100, "b": 40, "l": 56, "r": 16},
        xaxis={
            "rangeslider": {"visible": True, "thickness": 0.07},
            "rangeselector": _range_buttons(lang),
            "type": "date",
            "hoverformat": "%b %d, %Y",
            **date_ticks(lang),
        },
    )


def _range_buttons(lang: str) -> dict[str, Any]:
    return {
        "buttons": [
            {
                "count": 3,
                "label": t("chart.range.3m", lang),
                "step": "month",
                "stepmode": "backward",
            },
            {
                "count": 6,
                "label": t("chart.range.6m", lang),
                "step": "month",
                "stepmode": "backward",
            },
            {
                "count": 1,
                "label": t("chart.range.1y", lang),
                "step": "year",
                "stepmode": "backward",
            },
            {"label": t("chart.range.all", lang), "step": "all"},
        ],
        "x": 0,
        "y": 1.01,  # on the legend's row, left: below the slider it collides with the ticks
        "yanchor": "bottom",
        "bgcolor": "#F5F6FA",
        "activecolor": "#FBD5C8",
        "font": {"size": 11},
    }


def _initial_view(
    fig: go.Figure,
    hist: pd.DataFrame,
    fc: pd.DataFrame,
    models: Sequence[str],
    levels: set[float],
    window: int | None,
    x_range: Sequence[Any] | None = None,
) -> None:
    """Zoom onto the recent past plus the forecast (or ``x_range``); the slider shows all."""
    if hist.empty or fc.empty:
        return
    if x_range is not None:
        x0, x1 = pd.Timestamp(x_range[0]), pd.Timestamp(x_range[1])
    else:
        if window is None:
            window = max(3 * fc[DS].nunique(), 30)
        if window >= len(hist):
            return
        x0, x1 = hist[DS].iloc[-window], fc[DS].max()
    fig.update_xaxes(range=[x0, x1])
    # Plotly autoscales y on all data; fit it to what is visible instead.
    vals = [hist.loc[(hist[DS] >= x0) & (hist[DS] <= x1), Y].to_numpy(dtype=float)]
    seen = (fc[DS] >= x0) & (fc[DS] <= x1)
    for alias in models:
        vals.append(fc.loc[seen, alias].to_numpy(dtype=float))
        for lv in levels:
            for col in (lo_col(alias, lv), hi_col(alias, lv)):
                if col in fc:
                    vals.append(fc.loc[seen, col].to_numpy(dtype=float))
    v = np.concatenate(vals)
    v = v[np.isfinite(v)]
    if len(v):
        lo, hi = min(0.0, float(v.min())), float(v.max())
        pad = (hi - lo) * 0.06 or 1.0
        fig.update_yaxes(range=[lo - (pad if lo < 0 else 0), hi + pad])


def _add_festivals(
    fig: go.Figure,
    festivals: pd.DataFrame | None,
    start: Any,
    end: Any,
    lang: str,
    labels: bool = True,
) -> None:
    if festivals is None or festivals.empty or pd.isna(start) or pd.isna(end):
        return
    fest = festivals.copy()
    fest[DS] = pd.to_datetime(fest[DS])
    fest = fest[(fest[DS] >= start) & (fest[DS] <= end)].sort_values(DS)
    if fest.empty:
        return
    # One layout update instead of add_shape per festival: ~5x faster on busy years.
    shapes, notes = list(fig.layout.shapes or ()), list(fig.layout.annotations or ())
    has_window = {"window_start", "window_end"} <= set(fest.columns)
    for row in fest.itertuples(index=False):
        day = getattr(row, DS)
        if has_window and row.window_end > row.window_start:
            shapes.append(
                {
                    "type": "rect",
                    "x0": row.window_start,
                    "x1": row.window_end,
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "fillcolor": rgba(FESTIVAL_COLOR, 0.07),
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
        shapes.append(
            {
                "type": "line",
                "x0": day,
                "x1": day,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": FESTIVAL_COLOR, "width": 1, "dash": "dot"},
                "layer": "below",
            }
        )
        if labels:
            notes.append(
                {
                    "x": day,
                    "y": 1,
                    "yref": "paper",
                    "yanchor": "top",
                    "text": plotly_text(row.label),
                    "showarrow": False,
                    "font": {"size": 10, "color": "#5C6279"},
                    "bgcolor": "rgba(255,255,255,0.8)",
                }
            )
    fig.update_layout(shapes=shapes, annotations=notes)
    fig.add_trace(
        go.Scatter(
            x=fest[DS],
            y=[0] * len(fest),
            mode="markers",
            marker={"symbol": "triangle-up", "size": 9, "color": FESTIVAL_COLOR},
            name=t("chart.festivals", lang),
            text=fest["label"].map(plotly_text),
            hovertemplate="%{text}<extra></extra>",
            meta={"role": "festival"},
        )
    )


# ------------------------------------------------------------------- other charts
def history_figure(
    history: pd.DataFrame,
    lang: str = "zh",
    series: Sequence[str] | None = None,
    max_series: int = 8,
    title: str | None = None,
    festivals: pd.DataFrame | None = None,
    height: int = 360,
) -> go.Figure:
    """Sales history, one line per series (the largest ``max_series`` when many).

    Args:
        history: history contract frame.
        lang: "zh" or "en".
        series: ids to draw; the biggest by total sales when None.
        max_series: cap on lines drawn, so a 3,000-SKU upload stays readable.
        title: chart title; a translated default when None.
        festivals: optional festival markers, as in ``forecast_figure``.
        height: figure height in pixels.
    """
    totals = history.groupby(ID, observed=True)[Y].sum().sort_values(ascending=False)
    ids = [s for s in (series if series is not None else totals.index) if s in totals.index]
    ids = list(ids)[:max_series]
    fig = go.Figure()
    for uid in ids:
        part = history.loc[history[ID] == uid].sort_values(DS)
        fig.add_trace(
            go.Scatter(
                x=part[DS],
                y=part[Y],
                mode="lines",
                name=plotly_text(series_label(uid, lang)),
                line={"width": 1.5, "color": HISTORY_COLOR if len(ids) == 1 else None},
                hovertemplate="%{y:,.0f}",
                meta={"role": "history", "series": str(uid)},
            )
        )
    if len(history):
        start, end = history[DS].min(), history[DS].max()
        # Over several years the labels would collide; the hover markers still name them.
        labels = (end - start) <= pd.Timedelta(days=400)
        _add_festivals(fig, festivals, start, end, lang, labels=labels)
    if title is None:
        key = "chart.history_title_top" if len(totals) > len(ids) else "chart.history_title"
        title = t(key, lang, n=len(ids), total=len(totals))
    fig.update_layout(
        template=template(),
        title={"text": title},
        yaxis_title=t("chart.sales", lang),
        height=height,
        showlegend=1 < len(ids),
    )
    fig.update_xaxes(**date_ticks(lang))
    return fig


def fit_time_figure(
    runs: pd.DataFrame | Mapping[str, Any], lang: str = "zh", title: str | None = None
) -> go.Figure:
    """Horizontal bars of fit time per model; cached results are grey and labelled.

    Args:
        runs: a frame with ``model``, ``fit_seconds`` and optional ``source``
            ("trained", "disk" or "cache"), or a mapping ``model -> seconds``.
        lang: "zh" or "en".
        title: chart title; a translated default when None.
    """
    if isinstance(runs, Mapping):
        frame = pd.DataFrame({"model": list(runs), "fit_seconds": list(runs.values())})
    else:
        frame = runs.copy()
    if "source" not in frame:
        frame["source"] = "trained"
    frame = frame.dropna(subset=["fit_seconds"]).iloc[::-1]  # first model on top
    labels = [plotly_text(model_label(m, lang)) for m in frame["model"]]
    colors = [
        model_color(m) if src == "trained" else "#C9CCD6"
        for m, src in zip(frame["model"], frame["source"], strict=True)
    ]
    text = [
        f"{s:.1f} s" + ("" if src == "trained" else f" · {t(f'train.source.{src}', lang)}")
        for s, src in zip(frame["fit_seconds"], frame["source"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=frame["fit_seconds"],
            y=labels,
            orientation="h",
            marker={"color": colors},
            text=text,
            textposition="auto",
            hovertemplate="%{y}: %{x:.2f} s<extra></extra>",
        )
    )
    fig.update_layout(
        template=template(),
        title={"text": title or t("chart.fit_time_title", lang)},
        xaxis_title=t("chart.seconds", lang),
        hovermode="closest",
        height=max(180, 60 + 42 * len(frame)),
        margin={"t": 48, "b": 40, "l": 12},
        showlegend=False,
    )
    fig.update_yaxes(rangemode="normal", automargin=True)  # long Chinese model names
    return fig


def figure_html(fig: go.Figure, title: str | None = None, lang: str = "en") -> str:
    """A self-contained HTML page of ``fig`` (plotly.js inlined: works offline).

    ``title`` usually carries a series name from the data, so it is escaped:
    a SKU named ``</title><script>...`` stays text in the page's ``<title>``.
    ``lang`` "zh" gives the axis Chinese month names (``style.plotly_config``).
    """
    page = fig.to_html(
        include_plotlyjs=True,
        full_html=True,
        config=plotly_config(lang, responsive=True),
    )
    if title:
        head = f"<head><meta charset='utf-8'><title>{escape_html(title)}</title>"
        page = page.replace("<head>", head, 1)
    return page
