"""Plotly builders for what-if scenarios: frames in, ``go.Figure`` out.

Pure functions (no streamlit) over the outputs of ``forecasting.planning.scenarios``:
the stacked forecast (``unique_id, ds, scenario, Alias, Alias-lo-L...``), the
KPI table of ``scenarios.kpis`` and the response table of
``scenarios.estimate_response``. They share the look of ``forecasting.charts.style``
(template, palette, band trace, CJK font); every visible string goes through
``forecasting.i18n.t``, and scenario names (typed by the user) are made inert
for Plotly.

Several series on one line (all products, or one category) need their bands
combined. Quantiles do not add up, so the half-widths are combined as
``inventory.inventory_plan`` combines days: with one assumed correlation
``rho`` between the series' errors, ``sqrt((1 - rho) * sum(w**2) + rho * sum(w)**2)``
per side (``rho = 1`` would be the sum of the edges, ``rho = 0`` independence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecasting.charts.style import (
    HISTORY_COLOR,
    PALETTE,
    band_trace,
    hover_name,
    level_text,
    plotly_text,
    rgba,
    template,
)
from forecasting.i18n import t
from forecasting.planning.inventory import DEFAULT_RHO
from forecasting.planning.scenarios import BASELINE
from forecasting.schema import DS, ID, SCENARIO, Y, hi_col, levels_of, lo_col

if TYPE_CHECKING:
    from forecasting.planning.scenarios import Scenario

BASELINE_COLOR = "#5C6279"
SCENARIO_COLORS = PALETTE[:4]  # at most four scenarios next to the baseline
ALL_LABEL = "all"
FOCUS_BEFORE, FOCUS_AFTER = 21, 28  # days shown around the scenario windows at first


def scenario_label(name: str, lang: str = "zh") -> str:
    """Display name of a scenario: the baseline is translated, others are the user's names."""
    return t("scenario.baseline", lang) if name == BASELINE else str(name)


def scenario_color(name: str, order: Sequence[str]) -> str:
    """Colour of a scenario: grey for the baseline, then the palette by position."""
    if name == BASELINE:
        return BASELINE_COLOR
    others = [n for n in order if n != BASELINE]
    k = others.index(name) if name in others else len(others)
    return SCENARIO_COLORS[k % len(SCENARIO_COLORS)]


def _order(frame: pd.DataFrame) -> list[str]:
    """Scenario names in their order of appearance, baseline first."""
    names = [str(s) for s in pd.unique(frame[SCENARIO])]
    return sorted(names, key=lambda n: n != BASELINE)


# ------------------------------------------------------------------ aggregation
def aggregate_forecast(
    forecast: pd.DataFrame,
    alias: str,
    ids: Sequence[str] | None = None,
    rho: float = DEFAULT_RHO,
) -> pd.DataFrame:
    """Sum several series into one (per scenario and date), bands combined with ``rho``.

    Args:
        forecast: forecast contract, optionally with a ``scenario`` column.
        alias: model column.
        ids: the series to add up (all when None).
        rho: assumed correlation between the series' forecast errors (0..1).

    Returns:
        ``unique_id`` (``"all"``, or the single id when only one series is
        chosen: its bands are then returned unchanged), ``ds``, [``scenario``],
        ``alias`` and its band columns.
    """
    fc = forecast if ids is None else forecast[forecast[ID].astype(str).isin([str(i) for i in ids])]
    levels = levels_of(fc, alias)
    band_cols = [c for lv in levels for c in (lo_col(alias, lv), hi_col(alias, lv))]
    keys = [SCENARIO, DS] if SCENARIO in fc.columns else [DS]
    if fc[ID].nunique() <= 1:
        return _sorted(fc[[ID, *keys, alias, *band_cols]].copy(), fc)
    work = fc[[*keys]].copy()
    mean = fc[alias].to_numpy(dtype=float)
    work["m"] = mean
    for k, lv in enumerate(levels):
        up = np.clip(fc[hi_col(alias, lv)].to_numpy(dtype=float) - mean, 0, None)
        dn = np.clip(mean - fc[lo_col(alias, lv)].to_numpy(dtype=float), 0, None)
        work[f"u{k}"], work[f"uu{k}"] = up, up**2
        work[f"d{k}"], work[f"dd{k}"] = dn, dn**2
    g = work.groupby(keys, sort=False).sum(min_count=1).reset_index()
    out = g[keys].copy()
    out.insert(0, ID, ALL_LABEL)
    out[alias] = g["m"].to_numpy()
    nonneg = bool((fc[[alias, *band_cols]].to_numpy(dtype=float) >= 0).all()) if band_cols else True
    for k, lv in enumerate(levels):
        up = np.sqrt((1 - rho) * g[f"uu{k}"] + rho * g[f"u{k}"] ** 2).to_numpy()
        dn = np.sqrt((1 - rho) * g[f"dd{k}"] + rho * g[f"d{k}"] ** 2).to_numpy()
        lo = out[alias].to_numpy() - dn
        out[lo_col(alias, lv)] = np.clip(lo, 0, None) if nonneg else lo
        out[hi_col(alias, lv)] = out[alias].to_numpy() + up
    return _sorted(out, fc)


def _sorted(out: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """By scenario in the given order (baseline first), then date."""
    if SCENARIO not in out.columns:
        return out.sort_values(DS, kind="stable").reset_index(drop=True)
    out["_o"] = pd.Categorical(out[SCENARIO], categories=_order(source), ordered=True)
    return out.sort_values(["_o", DS], kind="stable").drop(columns="_o").reset_index(drop=True)


# ------------------------------------------------------------------ comparison
def comparison_figure(
    forecast: pd.DataFrame,
    alias: str,
    lang: str = "zh",
    scenarios: Sequence[Scenario] = (),
    ids: Sequence[str] | None = None,
    level: float | None = None,
    history: pd.DataFrame | None = None,
    target_label: str | None = None,
    rho: float = DEFAULT_RHO,
    history_days: int = 60,
) -> go.Figure:
    """Baseline and up to four scenarios on one chart, each with one band.

    Args:
        forecast: ``scenarios.run_scenarios`` output (``scenario`` column).
        alias: model column to draw.
        lang: "zh" or "en".
        scenarios: the scenarios drawn (their windows are shaded; the view opens
            on them, the range slider reaches the whole horizon).
        ids: series to add up (all when None); see :func:`aggregate_forecast`.
        level: band level to shade (the narrowest available when None; none
            when the forecast has no bands).
        history: optional history (``unique_id, ds, y``) whose last
            ``history_days`` periods (same series, summed) are drawn for context.
        target_label: what ``ids`` are, for the title ("All products", "护肤"...).
        rho: error correlation used to combine the bands of several series.
        history_days: periods of history shown.

    Returns:
        Traces in order: history (if any), the bands (``meta.role == "band"``,
        ``meta.lo``/``meta.hi`` name the columns; baseline first), then the lines
        (``meta.role == "scenario"``): the scenarios, and the baseline last, on
        top. The legend lists the baseline first.
    """
    agg = aggregate_forecast(forecast, alias, ids, rho)
    levels = levels_of(agg, alias)
    if level is None and levels:
        level = min(levels)
    elif level is not None and float(level) not in {float(lv) for lv in levels}:
        level = None
    order = _order(agg)
    fig = go.Figure()
    with_history = history is not None and len(history) > 0
    if with_history:
        fig.add_trace(_history_line(history, ids, history_days, lang))
    _add_scenarios(fig, agg, order, alias, level, lang)
    _shade_windows(fig, scenarios, order, agg, lang)
    target = plotly_text(target_label) if target_label else t("sc.target.all", lang)
    subtitle = ""
    if level is not None:
        key = "sc.chart.band_note_sum" if agg[ID].iloc[0] == ALL_LABEL else "sc.chart.band_note"
        subtitle = t(key, lang, level=level_text(level), rho=f"{rho:g}")
    fig.update_layout(
        template=template(),
        title={"text": t("sc.chart.title", lang, target=target), "subtitle": {"text": subtitle}},
        yaxis_title=t("chart.sales", lang),
        hovermode="x unified",
        height=480,
        margin={"t": 100, "b": 40},
        legend={"groupclick": "togglegroup"},
        xaxis={"type": "date", "rangeslider": {"visible": True, "thickness": 0.06}},
    )
    _focus(fig, agg, scenarios, with_history, alias, level)
    return fig


def _history_line(
    history: pd.DataFrame, ids: Sequence[str] | None, days: int, lang: str
) -> go.Scatter:
    """The last ``days`` periods of history of the chosen series, summed."""
    hist = history if ids is None else history[history[ID].astype(str).isin([str(i) for i in ids])]
    daily = hist.groupby(DS, sort=True)[Y].sum(min_count=1).iloc[-days:]
    return go.Scatter(
        x=daily.index,
        y=daily.to_numpy(),
        mode="lines",
        name=t("chart.history", lang),
        line={"color": HISTORY_COLOR, "width": 1.3},
        hovertemplate=hover_name(t("chart.history", lang)) + "%{y:,.0f}<extra></extra>",
        meta={"role": "history"},
    )


def _add_scenarios(
    fig: go.Figure,
    agg: pd.DataFrame,
    order: Sequence[str],
    alias: str,
    level: float | None,
    lang: str,
) -> None:
    """Every scenario's band, then the lines: the scenarios, and the baseline on top."""
    lines = []
    for rank, name in enumerate(order):
        part = agg[agg[SCENARIO] == name].sort_values(DS)
        color = scenario_color(name, order)
        raw = scenario_label(name, lang)
        label = plotly_text(raw)
        if level is not None:
            lo, hi = lo_col(alias, level), hi_col(alias, level)
            fig.add_trace(
                band_trace(
                    part[DS],
                    part[lo],
                    part[hi],
                    color=color,
                    alpha=0.10 if name == BASELINE else 0.14,
                    name=t("sc.chart.band", lang, name=label, level=level_text(level)),
                    group=name,
                    meta={"role": "band", "scenario": name, "level": level, "lo": lo, "hi": hi},
                )
            )
        lines.append(
            go.Scatter(
                x=part[DS],
                y=part[alias],
                mode="lines",
                name=label,
                legendgroup=name,
                legendrank=1000 + rank,
                line={
                    "color": color,
                    "width": 2.0 if name == BASELINE else 2.4,
                    "dash": "dot" if name == BASELINE else "solid",
                },
                hovertemplate=hover_name(raw) + "%{y:,.0f}<extra></extra>",
                meta={"role": "scenario", "scenario": name},
            )
        )
    # Lines after all bands, the baseline last: before a window a scenario equals the
    # baseline, and the dotted baseline must stay visible on top of it.
    for tr in lines[1:] + lines[:1] if order and order[0] == BASELINE else lines:
        fig.add_trace(tr)


def _windows(scenarios: Sequence[Scenario]) -> dict[tuple, list[str]]:
    """Distinct (presale start, main start, end) -> the scenario names sharing it."""
    out: dict[tuple, list[str]] = {}
    for s in scenarios:
        key = (s.promo_start, pd.Timestamp(s.start), pd.Timestamp(s.end))
        out.setdefault(key, []).append(s.name)
    return out


def _shade_windows(
    fig: go.Figure,
    scenarios: Sequence[Scenario],
    order: Sequence[str],
    agg: pd.DataFrame,
    lang: str,
) -> None:
    if not scenarios or agg.empty:
        return
    first, last = agg[DS].min(), agg[DS].max()
    shapes, notes = list(fig.layout.shapes or ()), list(fig.layout.annotations or ())
    for (pre, start, end), names in _windows(scenarios).items():
        a, b = max(pre, first), min(end + pd.Timedelta(hours=12), last)
        if b < a:
            continue  # outside the forecast; the page warns about it
        color = scenario_color(names[0], order) if len(names) == 1 else BASELINE_COLOR
        if start > a:  # the presale part, lighter
            shapes.append(
                {
                    "type": "rect",
                    "x0": a,
                    "x1": min(start, b),
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "fillcolor": rgba(color, 0.05),
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
        shapes.append(
            {
                "type": "rect",
                "x0": max(start, a),
                "x1": b,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "fillcolor": rgba(color, 0.10),
                "line": {"width": 0},
                "layer": "below",
            }
        )
        text = " / ".join(names)
        notes.append(
            {
                "x": max(start, a),
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "text": plotly_text(text if len(text) <= 40 else text[:38] + "…"),
                "font": {"size": 10, "color": "#5C6279"},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )
        if start > a:
            notes.append(
                {
                    "x": a,
                    "y": 0,
                    "yref": "paper",
                    "yanchor": "bottom",
                    "xanchor": "left",
                    "showarrow": False,
                    "text": t("sc.chart.presale", lang),
                    "font": {"size": 10, "color": "#8A90A6"},
                }
            )
    fig.update_layout(shapes=shapes, annotations=notes)


def _focus(
    fig: go.Figure,
    agg: pd.DataFrame,
    scenarios: Sequence[Scenario],
    with_history: bool,
    alias: str,
    level: float | None,
) -> None:
    """Open the view on the scenario windows (plus context); y fitted to what is visible."""
    if agg.empty or not scenarios:
        return
    first, last = agg[DS].min(), agg[DS].max()
    a = min(s.promo_start for s in scenarios) - pd.Timedelta(days=FOCUS_BEFORE)
    b = max(pd.Timestamp(s.end) for s in scenarios) + pd.Timedelta(days=FOCUS_AFTER)
    lo_edge = first - pd.Timedelta(days=FOCUS_BEFORE) if with_history else first
    a, b = max(a, lo_edge), min(b, last)
    if b <= a or (a <= lo_edge and b >= last):
        return  # the windows are outside, or the whole horizon is in view anyway
    fig.update_xaxes(range=[a, b])
    seen = agg[(agg[DS] >= a) & (agg[DS] <= b)]
    cols = [alias] + ([hi_col(alias, level)] if level is not None else [])
    vals = seen[cols].to_numpy(dtype=float).ravel()
    for tr in fig.data:  # the history line too
        if (tr.meta or {}).get("role") == "history":
            x = pd.to_datetime(pd.Series(tr.x))
            y = np.asarray(tr.y, dtype=float)
            vals = np.concatenate([vals, y[((x >= a) & (x <= b)).to_numpy()]])
    vals = vals[np.isfinite(vals)]
    if len(vals):
        fig.update_yaxes(range=[0, float(vals.max()) * 1.08 or 1.0])


# ------------------------------------------------------------------ KPI bars
def kpi_figure(kpis: pd.DataFrame, lang: str = "zh", group: str = "total") -> go.Figure:
    """Incremental units and GMV vs the baseline per scenario, as bars with the % change.

    Args:
        kpis: ``scenarios.kpis`` output.
        lang: "zh" or "en".
        group: which rows (``group`` column; ``"total"`` = the totals).

    Returns:
        One bar trace per measure (``meta.measure`` is ``incr_units`` or
        ``incr_gmv``); GMV is left out when the data has no prices.
    """
    from plotly.subplots import make_subplots

    rows = kpis[(kpis["group"] == group) & (kpis[SCENARIO] != BASELINE)]
    order = [BASELINE, *[str(s) for s in rows[SCENARIO]]]
    measures = [("incr_units", "incr_units_pct")]
    if rows["incr_gmv"].notna().any():
        measures.append(("incr_gmv", "incr_gmv_pct"))
    fig = make_subplots(
        rows=1,
        cols=len(measures),
        horizontal_spacing=0.12,
        subplot_titles=[t(f"scenario.kpi.{m}", lang) for m, _ in measures],
    )
    labels = [plotly_text(scenario_label(s, lang)) for s in rows[SCENARIO]]
    colors = [scenario_color(str(s), order) for s in rows[SCENARIO]]
    for j, (col, pct) in enumerate(measures, start=1):
        vals = rows[col].to_numpy(dtype=float)
        pcts = rows[pct].to_numpy(dtype=float)
        text = [
            f"{v:+,.0f}<br>({p:+.1f}%)" if np.isfinite(p) else f"{v:+,.0f}"
            for v, p in zip(vals, pcts, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=vals,
                marker={"color": colors},
                text=text,
                textposition="auto",
                name=t(f"scenario.kpi.{col}", lang),
                showlegend=False,
                hovertemplate="%{x}: %{y:+,.0f}<extra></extra>",
                meta={"measure": col},
                cliponaxis=False,
            ),
            row=1,
            col=j,
        )
    title = t("sc.kpi_chart.title", lang)
    if group != "total":
        title = f"{title} · {plotly_text(group)}"
    fig.update_layout(
        template=template(),
        title={"text": title},
        hovermode="closest",
        height=340,
        margin={"t": 84, "b": 40},
        showlegend=False,
    )
    fig.update_yaxes(rangemode="tozero", zeroline=True, zerolinecolor="#C9CCD6")
    fig.update_xaxes(automargin=True)
    return fig


# ------------------------------------------------------------------ response
def response_figure(response: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """The learned discount response: uplift per discount depth with its 90% interval.

    Args:
        response: ``scenarios.estimate_response`` output.
        lang: "zh" or "en".

    Returns:
        One bar trace (``meta.role == "response"``); depths outside the history
        are drawn pale and marked.
    """
    r = response.sort_values("value")
    x = [f"{v * 100:.0f}%" for v in r["value"]]
    up = r["uplift_pct"].to_numpy(dtype=float)
    lo = np.clip(up - r["ci_low_pct"].to_numpy(dtype=float), 0, None)
    # a discount never loses units (the response is monotone): the interval stops at 0%
    lo = np.where(up > 0, np.minimum(lo, np.clip(up, 0, None)), lo)
    hi = np.clip(r["ci_high_pct"].to_numpy(dtype=float) - up, 0, None)
    inside = r["in_history"].to_numpy(dtype=bool)
    colors = [PALETTE[1] if ok else rgba(PALETTE[1], 0.35) for ok in inside]
    text = [f"{u:+.0f}%" + ("" if ok else " *") for u, ok in zip(up, inside, strict=True)]
    # white on the solid bars, dark on the pale ones; a bar too short for its label gets it above
    ink = ["#FFFFFF" if ok else "#1F2430" for ok in inside]
    has_ci = bool(np.isfinite(lo).any())
    fig = go.Figure(
        go.Bar(
            x=x,
            y=up,
            marker={"color": colors},
            text=text,
            textposition="auto",
            insidetextanchor="start",
            insidetextfont={"color": ink},
            outsidetextfont={"color": "#1F2430"},
            constraintext="none",
            error_y={
                "type": "data",
                "array": np.nan_to_num(hi),
                "arrayminus": np.nan_to_num(lo),
                "visible": has_ci,
                "color": "#5C6279",
                "thickness": 1.2,
                "width": 6,
            },
            hovertemplate=t("sc.resp.hover", lang) + "<extra></extra>",
            meta={"role": "response"},
            cliponaxis=False,
        )
    )
    subtitle = t("sc.resp.subtitle", lang) + (
        "" if inside.all() else " " + t("sc.resp.outside_note", lang)
    )
    fig.update_layout(
        template=template(),
        title={"text": t("sc.resp.title", lang), "subtitle": {"text": subtitle}},
        xaxis_title=t("sc.resp.discount", lang),
        yaxis_title=t("sc.resp.uplift", lang),
        hovermode="closest",
        height=320,
        margin={"t": 84, "b": 48},
        showlegend=False,
    )
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    top = float(np.nanmax(np.abs(up))) if len(up) and np.isfinite(up).any() else 0.0
    reach = float(np.nanmax(up + np.nan_to_num(hi))) if has_ci else top
    if top > 0 and reach > 3 * top:  # a very wide interval (e.g. extrapolated) runs off the top
        low = min(0.0, float(np.nanmin(up - np.nan_to_num(lo))))
        fig.update_yaxes(range=[low, 3 * top], autorange=False)
    fig.update_xaxes(type="category")
    return fig
