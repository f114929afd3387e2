"""Date grids: frequency names, period numbers, snapping dates, relabelling to a coarser grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DS, Y

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_RANK = {"D": 0, "W": 1, "MS": 2}
_MONDAY0 = np.datetime64("1970-01-05", "D")  # a Monday: origin of week numbers


def norm_freq(freq: str) -> str:
    """Canonical frequency: ``"D"``, ``"W-MON"``... (``"W"`` = ``"W-MON"``) or ``"MS"``.

    Raises:
        ShopcastError: an unknown frequency.
    """
    f = str(freq).strip().upper()
    if f == "D":
        return "D"
    if f == "W":  # weeks start on Monday for Chinese shop calendars
        return "W-MON"
    if f.startswith("W-") and f[2:] in _WEEKDAYS:
        return f
    if f in ("M", "MS", "ME"):
        return "MS"
    raise ShopcastError("io_bad_freq", freq=freq)


def _base(freq: str) -> str:
    return "W" if freq.startswith("W") else freq


def freq_rank(freq: str) -> int:
    """0 for days, 1 for weeks (any anchor), 2 for months: coarser grids rank higher."""
    return _RANK[_base(freq)]


def period_index(ds: pd.Series | np.ndarray, freq: str) -> np.ndarray:
    """Integer period numbers (days, weeks or months since 1970) of grid dates."""
    d = np.asarray(ds, dtype="datetime64[D]")
    if freq == "D":
        return d.astype(np.int64)
    if freq == "MS":
        return d.astype("datetime64[M]").astype(np.int64)
    k = _WEEKDAYS.index(freq[2:])
    return (d - (_MONDAY0 + k)).astype(np.int64) // 7


def from_index(idx: np.ndarray, freq: str) -> np.ndarray:
    """Grid dates of period numbers (inverse of :func:`period_index`)."""
    if freq == "D":
        return idx.astype("datetime64[D]").astype("datetime64[ns]")
    if freq == "MS":
        return idx.astype("datetime64[M]").astype("datetime64[ns]")
    k = _WEEKDAYS.index(freq[2:])
    return (_MONDAY0 + k + 7 * idx.astype("timedelta64[D]")).astype("datetime64[ns]")


def snap(ds: pd.Series, freq: str) -> pd.Series:
    """Move dates onto the grid: weeks labelled by their first day (the anchor weekday),
    months by their first day."""
    snapped = from_index(period_index(ds.to_numpy(), freq), freq)
    return pd.Series(snapped, index=ds.index)


def to_coarser(
    df: pd.DataFrame,
    have: str,
    want: str,
    span: tuple[pd.Timestamp, pd.Timestamp],
) -> tuple[pd.DataFrame, list[str]]:
    """Relabel rows with their ``want`` period and drop periods only partly covered by
    the data (a 3-day "week" at the end would look like a collapse in sales)."""
    lo, hi = span
    ds = df[DS]
    if _base(have) == "W" and want == "MS":
        # a week labelled d covers d..d+6; split it between two months by days
        start = ds.to_numpy().astype("datetime64[D]")
        month = start.astype("datetime64[M]")
        next_month = (start + 6).astype("datetime64[M]")
        days_first = np.where(
            next_month > month, (next_month.astype("datetime64[D]") - start).astype(int), 7
        )
        w1 = days_first / 7.0
        a = df.assign(**{DS: month.astype("datetime64[ns]")})
        split = w1 < 1
        b = df[split].assign(**{DS: next_month[split].astype("datetime64[ns]")})
        if Y in df.columns:
            a[Y] = df[Y] * w1
            b[Y] = df.loc[split, Y] * (1 - w1[split])
        out = pd.concat([a, b], ignore_index=True)
        cover_hi = hi + pd.Timedelta(days=6)
    else:
        out = df.assign(**{DS: snap(ds, want)})
        cover_hi = hi
    labels = pd.DatetimeIndex(out[DS].unique())
    if want == "MS":
        ends = labels + pd.offsets.MonthEnd(0)
    else:
        ends = labels + pd.Timedelta(days=6)
    partial = labels[(labels < lo) | (ends > cover_hi)]
    if len(partial):
        out = out[~out[DS].isin(partial)]
    return out, [d.strftime("%Y-%m-%d") for d in partial.sort_values()]
