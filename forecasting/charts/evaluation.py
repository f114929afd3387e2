"""Plotly builders for backtest results: frames in, ``go.Figure`` out.

Pure functions (no streamlit) over the backtest contract (``unique_id, ds,
cutoff, y`` + model columns) and the tidy tables of ``forecasting.evaluation.metrics``.
They share the look of ``forecasting.charts.style`` (template, model colours, band
trace) and the names of ``forecasting.charts.forecast``; every visible string goes
through ``forecasting.i18n.t`` and names from the data are made inert for Plotly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecasting.charts.forecast import model_label, series_label
from forecasting.charts.style import (
    FESTIVAL_COLOR,
    HISTORY_COLOR,
    band_trace,
    model_color,
    plotly_text,
    template,
)
from forecasting.i18n import t
from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, levels_of, lo_col, model_aliases

CUTOFF_COLOR = "#5C6279"
# Shown as percentages (fractions in the tables).
PERCENT_METRICS = ("wape", "mape", "smape", "bias")


def metric_label(metric: str, lang: str = "zh") -> str:
    """Display name of a metric key (``wape``, ``coverage_80``, ``pinball_95``...)."""
    for prefix in ("coverage_", "pinball_"):
        if metric.startswith(prefix):
            return t(f"metric.{prefix[:-1]}", lang, level=metric.removeprefix(prefix))
    key = f"metric.{metric}"
    text = t(key, lang)
    return metric.upper() if text == key else text


def is_percent(metric: str) -> bool:
    """Whether a metric reads best as a percentage."""
    return metric in PERCENT_METRICS or metric.startswith("coverage_")


def _tick(metric: str) -> str:
    return ".0%" if is_percent(metric) else ",.2f" if metric in ("mase", "r2") else ",.0f"


def _hover(metric: str) -> str:
    return ".1%" if is_percent(metric) else ",.3f" if metric in ("mase", "r2") else ",.1f"


# ------------------------------------------------------------- error over horizon
def horizon_figure(
    errors: pd.DataFrame,
    lang: str = "zh",
    metric: str = "wape",
    models: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Error by step ahead, one line per model.

    Args:
        errors: ``step, model, <metric>`` (``metrics.horizon_errors``).
        lang: "zh" or "en".
        metric: column to draw (``wape`` or ``mae``).
        models: models to draw, in this order (default: all in ``errors``).
        title: chart title; a translated default when None.

    Returns:
        One trace per model (``meta``: ``role="horizon"``, ``model``).
    """
    order = list(dict.fromkeys(errors["model"])) if len(errors) else []
    chosen = [m for m in (models or order) if m in order]
    fig = go.Figure()
    for alias in chosen:
        part = errors[errors["model"] == alias].sort_values("step")
        name = plotly_text(model_label(alias, lang))
        fig.add_trace(
            go.Scatter(
                x=part["step"],
                y=part[metric],
                mode="lines+markers" if len(part) <= 30 else "lines",
                name=name,
                line={"color": model_color(alias, order), "width": 2.2},
                marker={"size": 5},
                hovertemplate=f"%{{y:{_hover(metric)}}}<extra>{name}</extra>",
                meta={"role": "horizon", "model": alias},
            )
        )
    label = metric_label(metric, lang)
    fig.update_layout(
        template=template(),
        title={"text": title or t("bt.chart.horizon_title", lang, metric=label)},
        xaxis_title=t("bt.chart.step", lang),
        yaxis_title=label,
        hovermode="x unified",
        height=380,
    )
    fig.update_yaxes(tickformat=_tick(metric), rangemode="tozero")
    if len(errors) and errors["step"].max() <= 16:
        fig.update_xaxes(dtick=1)  # short horizons: label every step
    return fig


# ------------------------------------------------------- actual vs predicted
def backtest_figure(
    cv: pd.DataFrame,
    series_id: str,
    models: Sequence[str] | None = None,
    lang: str = "zh",
    level: float | None = None,
    history: pd.DataFrame | None = None,
    context: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """Actuals and each window's forecasts for one series, with cut-off markers.

    Args:
        cv: backtest frame.
        series_id: the ``unique_id`` to draw.
        models: aliases to draw (default: every model column).
        lang: "zh" or "en".
        level: interval level to shade (None: no bands; skipped where absent).
        history: optional history frame: the actual line then also shows
            ``context`` periods before the first cut-off.
        context: periods of history before the first cut-off (default: one horizon).
        title: chart title; a translated default when None.

    Returns:
        Traces in order: actuals, then per model and window its band (if any)
        and its line (``meta``: role, model, cutoff); one legend entry per
        model. Each cut-off is a dashed vertical line (a layout shape, ``name``
        ``"cutoff"``) with a label.
    """
    sid = str(series_id)
    part = cv[cv[ID].astype(str) == sid].sort_values([CUTOFF, DS])
    all_models = model_aliases(cv)
    chosen = [m for m in (models if models is not None else all_models) if m in all_models]
    cuts = sorted(pd.to_datetime(part[CUTOFF].unique()))
    actual = _actuals(part, cuts, sid, history, context)

    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=actual[DS],
            y=actual[Y],
            mode="lines",
            name=t("bt.chart.actual", lang),
            line={"color": HISTORY_COLOR, "width": 1.8},
            hovertemplate="%{y:,.0f}<extra></extra>",
            meta={"role": "actual"},
        )
    )
    for alias in chosen:
        has_band = level is not None and float(level) in {float(v) for v in levels_of(cv, alias)}
        _add_windows(fig, part, cuts, alias, model_color(alias, all_models), lang, has_band, level)
    shapes, notes = _cutoff_marks(cuts, lang)
    series = plotly_text(series_label(sid, lang))
    fig.update_layout(
        template=template(),
        title={
            "text": title or t("bt.chart.windows_title", lang, series=series, n=len(cuts)),
            "subtitle": {"text": t("bt.chart.windows_note", lang)},
        },
        yaxis_title=t("chart.sales", lang),
        legend={"groupclick": "togglegroup"},
        height=440,
        shapes=shapes,
        annotations=notes,
        margin={"t": 96},
    )
    return fig


def _actuals(
    part: pd.DataFrame,
    cuts: Sequence[pd.Timestamp],
    sid: str,
    history: pd.DataFrame | None,
    context: int | None,
) -> pd.DataFrame:
    """``ds, y`` of the actual line: the backtest's own ``y``, or history with context."""
    actual = part.drop_duplicates(DS)[[DS, Y]]
    if history is not None and len(cuts):
        h = int(part.groupby(CUTOFF).size().max())
        hist = history[history[ID].astype(str) == sid][[DS, Y]]
        before = hist[hist[DS] <= cuts[0]].tail(context if context is not None else h)
        actual = pd.concat([before, hist[hist[DS] > cuts[0]]]).drop_duplicates(DS)
        actual = actual[actual[DS] <= part[DS].max()]
    return actual.sort_values(DS)


def _add_windows(
    fig: go.Figure,
    part: pd.DataFrame,
    cuts: Sequence[pd.Timestamp],
    alias: str,
    color: str,
    lang: str,
    has_band: bool,
    level: float | None,
) -> None:
    """One model's band (if shaded) and line per window; one legend entry in all."""
    label = plotly_text(model_label(alias, lang))
    for k, cut in enumerate(cuts):
        w = part[part[CUTOFF] == cut]
        if w[alias].isna().all():
            continue
        if has_band:
            lo, hi = lo_col(alias, level), hi_col(alias, level)
            fig.add_trace(
                band_trace(
                    w[DS],
                    w[lo],
                    w[hi],
                    color=color,
                    alpha=0.12,
                    name=t("bt.chart.band", lang, model=label, level=f"{level:g}%"),
                    group=alias,
                    meta={
                        "role": "band",
                        "model": alias,
                        "cutoff": str(cut.date()),
                        "lo": lo,
                        "hi": hi,
                    },
                )
            )
        fig.add_trace(
            go.Scatter(
                x=w[DS],
                y=w[alias],
                mode="lines",
                name=label,
                legendgroup=alias,
                showlegend=k == 0,
                line={"color": color, "width": 2},
                hovertemplate=f"%{{y:,.0f}}<extra>{label}</extra>",
                meta={"role": "forecast", "model": alias, "cutoff": str(cut.date())},
            )
        )


def _cutoff_marks(cuts: Sequence[pd.Timestamp], lang: str) -> tuple[list[dict], list[dict]]:
    """A dashed vertical line (shape ``name="cutoff"``) and a label per cut-off."""
    shapes, notes = [], []
    for k, cut in enumerate(cuts, start=1):
        shapes.append(
            {
                "type": "line",
                "x0": cut,
                "x1": cut,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": CUTOFF_COLOR, "width": 1.2, "dash": "dash"},
                "name": "cutoff",
            }
        )
        notes.append(
            {
                "x": cut,
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": t("bt.chart.cutoff", lang, k=k),
                "font": {"size": 10, "color": CUTOFF_COLOR},
            }
        )
    return shapes, notes


# -------------------------------------------------------------- leaderboard
def leaderboard_figure(
    board: pd.DataFrame,
    metric: str = "wape",
    lang: str = "zh",
    title: str | None = None,
) -> go.Figure:
    """Horizontal bars of one metric per model, best on top.

    Args:
        board: ``metrics.leaderboard`` output (``model`` + metric columns, ranked).
        metric: column to draw.
        lang: "zh" or "en".
        title: chart title; a translated default when None.

    Returns:
        One bar trace (``meta``: ``role="leaderboard"``, ``metric``, ``models`` in
        drawing order); for coverage a dotted line at the nominal level.
    """
    frame = (
        board[["model", metric]].copy()
        if metric in board
        else board[["model"]].assign(**{metric: np.nan})
    )
    frame = frame.dropna(subset=[metric]).iloc[::-1]  # best (first row) drawn on top
    labels = [plotly_text(model_label(m, lang)) for m in frame["model"]]
    fmt = _hover(metric)
    text = [f"{v:{fmt}}" for v in frame[metric]]
    fig = go.Figure(
        go.Bar(
            x=frame[metric],
            y=labels,
            orientation="h",
            marker={"color": [model_color(m) for m in frame["model"]]},
            text=text,
            textposition="auto",
            hovertemplate=f"%{{y}}: %{{x:{fmt}}}<extra></extra>",
            meta={"role": "leaderboard", "metric": metric, "models": list(frame["model"])},
        )
    )
    label = metric_label(metric, lang)
    if metric.startswith("coverage_"):
        nominal = float(metric.split("_", 1)[1]) / 100
        fig.add_vline(x=nominal, line={"color": FESTIVAL_COLOR, "dash": "dot"})
    fig.update_layout(
        template=template(),
        title={"text": title or t("bt.chart.leaderboard_title", lang, metric=label)},
        xaxis_title=label,
        hovermode="closest",
        height=max(200, 70 + 44 * len(frame)),
        margin={"t": 52, "b": 40},
        showlegend=False,
    )
    fig.update_xaxes(tickformat=_tick(metric), rangemode="tozero")
    fig.update_yaxes(automargin=True, ticksuffix="  ")  # long Chinese model names stay whole
    return fig


def festival_figure(
    festival_table: pd.DataFrame,
    metric: str = "wape",
    lang: str = "zh",
    title: str | None = None,
) -> go.Figure:
    """Grouped bars: one metric per festival window (and ordinary days), per model.

    Args:
        festival_table: ``metrics.festival_evaluate`` output (``all`` rows are drawn).
        metric: metric row to draw.
        lang: "zh" or "en".
        title: chart title; a translated default when None.
    """
    rows = festival_table[
        (festival_table[ID].astype(str) == "all") & (festival_table["metric"] == metric)
    ]
    models = [c for c in festival_table.columns if c not in ("festival", ID, "metric")]
    groups = list(rows["festival"])
    names = [plotly_text(festival_group_label(g, lang)) for g in groups]
    fig = go.Figure()
    for alias in models:
        name = plotly_text(model_label(alias, lang))
        fig.add_trace(
            go.Bar(
                x=names,
                y=rows[alias],
                name=name,
                marker={"color": model_color(alias, models)},
                hovertemplate=f"%{{x}}: %{{y:{_hover(metric)}}}<extra>{name}</extra>",
                meta={"role": "festival", "model": alias},
            )
        )
    label = metric_label(metric, lang)
    fig.update_layout(
        template=template(),
        barmode="group",
        title={"text": title or t("bt.chart.festival_title", lang, metric=label)},
        yaxis_title=label,
        hovermode="closest",
        height=360,
    )
    fig.update_yaxes(tickformat=_tick(metric), rangemode="tozero")
    return fig


def festival_group_label(group: str, lang: str = "zh") -> str:
    """Name of a festival group: a festival, ``any`` (all windows) or ``none``."""
    from forecasting.data.festivals import festival_label

    if group in ("any", "none"):
        return t(f"bt.festival.{group}", lang)
    return festival_label(group, lang)
