"""Last year's sales on the forecast dates: aligned values and a dashed overlay trace.

Pure functions. The dates are moved back so the **weekday** matches — 364 days for
daily data, 52 weeks for weekly data — because weekday patterns dominate daily
shop sales; monthly data goes back one calendar year. (The KPI cards and the
summary in words compare *totals* with the same calendar dates, where a
festival keeps its date: ``reports.summary.last_year_dates``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from forecasting.charts.style import hover_name
from forecasting.i18n import t
from forecasting.schema import DS, ID, Y

LAST_YEAR_COLOR = "#9AA0B4"
DAILY_SHIFT = pd.Timedelta(days=364)  # 52 weeks: the same weekday


def period_kind(dates: pd.Series | pd.DatetimeIndex, freq: str | None = None) -> str:
    """``D``, ``W`` or ``MS`` from ``freq``, else from the spacing of ``dates``."""
    if freq:
        base = str(freq).upper().split("-")[0]
        return "W" if base.startswith("W") else "MS" if base in ("M", "MS", "ME") else "D"
    idx = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(dates))).sort_values()
    if len(idx) < 2:
        return "D"
    step = pd.Series(idx[1:] - idx[:-1]).median()
    return "MS" if step >= pd.Timedelta(days=28) else "W" if step >= pd.Timedelta(days=7) else "D"


def last_year_dates(dates: pd.Series | pd.DatetimeIndex, kind: str) -> pd.DatetimeIndex:
    """The dates a year back: 364 days (daily), 52 weeks (weekly), a calendar year (monthly)."""
    from forecasting.reports.summary import last_year_dates as calendar_year

    idx = pd.DatetimeIndex(dates)
    if kind == "D":
        return idx - DAILY_SHIFT
    return calendar_year(idx, "W" if kind == "W" else "MS")


def last_year_values(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    series: str,
    freq: str | None = None,
) -> pd.DataFrame:
    """Last year's actual sales of ``series`` aligned to its forecast dates.

    Returns:
        ``ds`` (forecast date), ``last_year_ds`` and ``y`` (NaN where the history
        has no value on that date), one row per forecast date, sorted.
    """
    fc_dates = pd.DatetimeIndex(
        pd.unique(forecast.loc[forecast[ID].astype(str) == str(series), DS])
    ).sort_values()
    kind = period_kind(fc_dates if len(fc_dates) > 1 else history[DS], freq)
    back = last_year_dates(fc_dates, kind)
    hist = history.loc[history[ID].astype(str) == str(series), [DS, Y]]
    actual = hist.groupby(DS, observed=True)[Y].sum()
    return pd.DataFrame(
        {
            DS: fc_dates,
            "last_year_ds": back,
            Y: actual.reindex(back).to_numpy(dtype=float),
        }
    )


def last_year_trace(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    series: str,
    lang: str = "zh",
    freq: str | None = None,
) -> go.Scatter:
    """A dashed grey line of last year's sales on this year's forecast dates.

    Args:
        history: history contract frame.
        forecast: forecast contract frame (its dates for ``series`` are the x values).
        series: the series id.
        lang: "zh" or "en".
        freq: the data's frequency (default: from the spacing of the dates).

    Returns:
        A ``go.Scatter`` with ``meta={"role": "last_year"}``; the hover names the
        date last year. Its ``y`` is all NaN when the history does not reach back.
    """
    vals = last_year_values(history, forecast, series, freq)
    name = t("insights.yoy.trace", lang)
    from forecasting.reports.summary import fmt_date

    days = np.array([fmt_date(d, lang) for d in vals["last_year_ds"]], dtype=object)
    return go.Scatter(
        x=vals[DS],
        y=vals[Y],
        mode="lines",
        name=name,
        line={"color": LAST_YEAR_COLOR, "width": 1.4, "dash": "dash"},
        customdata=days[:, None],
        hovertemplate=hover_name(name) + "%{y:,.0f} (%{customdata[0]})<extra></extra>",
        connectgaps=False,
        meta={"role": "last_year"},
    )
