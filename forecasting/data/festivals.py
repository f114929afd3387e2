"""Chinese e-commerce festivals as a Prophet holidays frame and as model features.

Every festival has one *peak day* per year (11 Nov for Double-11, lunar new
year's day for the Spring Festival...) and a *window* ``(lower, upper)`` in days
relative to that peak, exactly like Prophet's ``lower_window`` / ``upper_window``.

Default windows and why (all user-editable through the ``windows`` argument):

* ``618`` ``(-17, 1)``: presale and "first wave" from about 1 June (JD and Tmall
  open around 31 May evening); 19 June catches late final payments.
* ``double11`` ``(-20, 1)``: presale from 22 Oct. Platforms opened presale between
  14 Oct (Tmall/JD 2024) and 24 Oct (2022-2023); 20 days is the middle ground, so
  the window covers the deposit phase of most years without reaching National Day.
* ``double12`` ``(-3, 0)``, ``women38`` ``(-2, 0)``, ``520`` ``(-1, 0)``: short
  campaigns that mostly happen in the last days before the date.
* ``new_year`` ``(-1, 1)``: New Year's Eve to 2 Jan.
* ``spring_festival`` ``(-14, 10)``: couriers stop about two weeks before lunar new
  year and are back about ten days after it, so sales slump on both sides.
* ``national_day`` ``(0, 6)``: the golden week, 1-7 Oct.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError

FESTIVALS: tuple[str, ...] = (
    "new_year",
    "spring_festival",
    "women38",
    "520",
    "618",
    "double11",
    "double12",
    "national_day",
)

DEFAULT_WINDOWS: dict[str, tuple[int, int]] = {
    "new_year": (-1, 1),
    "spring_festival": (-14, 10),
    "women38": (-2, 0),
    "520": (-1, 0),
    "618": (-17, 1),
    "double11": (-20, 1),
    "double12": (-3, 0),
    "national_day": (0, 6),
}

# Gregorian peak days (month, day); the Spring Festival is looked up by lunar calendar.
_FIXED_PEAKS: dict[str, tuple[int, int]] = {
    "new_year": (1, 1),
    "women38": (3, 8),
    "520": (5, 20),
    "618": (6, 18),
    "double11": (11, 11),
    "double12": (12, 12),
    "national_day": (10, 1),
}
_SPRING_NAME = "Chinese New Year (Spring Festival)"  # English name in holidays 0.109
_EPOCH = np.datetime64("1970-01-01", "D")


# ---------------------------------------------------------------- peak days
@cache
def spring_festival(year: int) -> pd.Timestamp:
    """Lunar new year's day (正月初一) of ``year``.

    Uses the ``holidays`` package (a declared dependency) and falls back to
    ``lunardate`` for years ``holidays`` does not cover.

    Raises:
        ShopcastError: ``no_spring_festival`` when neither source knows the year.
    """
    year = int(year)
    try:
        import holidays

        cn = holidays.country_holidays("CN", years=year, language="en_US")
        days = cn.get_named(_SPRING_NAME, lookup="exact")
        if days:
            return pd.Timestamp(min(days))
    except (ImportError, NotImplementedError, KeyError, ValueError):
        pass
    try:
        from lunardate import LunarDate

        return pd.Timestamp(LunarDate(year, 1, 1).to_solar_date())
    except (ImportError, ValueError) as exc:
        raise ShopcastError("no_spring_festival", year=year) from exc


def festival_days(years: Iterable[int], festivals: Iterable[str] | None = None) -> pd.DataFrame:
    """The peak day of each festival in each year.

    Args:
        years: calendar years, e.g. ``range(2023, 2027)``.
        festivals: subset of :data:`FESTIVALS` (default: all).

    Returns:
        Frame with columns ``holiday`` (festival name) and ``ds`` (peak day),
        sorted by ``ds``.
    """
    names = _check_festivals(festivals)
    rows = []
    for year in sorted({int(y) for y in years}):
        for name in names:
            if name == "spring_festival":
                ds = spring_festival(year)
            else:
                month, day = _FIXED_PEAKS[name]
                ds = pd.Timestamp(year, month, day)
            rows.append((name, ds))
    out = pd.DataFrame(rows, columns=["holiday", "ds"])
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    return out.sort_values("ds", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- windows
def resolve_windows(
    windows: Mapping[str, Any] | None = None, festivals: Iterable[str] | None = None
) -> dict[str, tuple[int, int]]:
    """Default windows overridden by the user's, validated, for the chosen festivals.

    Args:
        windows: ``{festival: (lower, upper)}``; festivals not named keep their
            default window.
        festivals: subset of :data:`FESTIVALS` (default: all).

    Raises:
        ShopcastError: ``unknown_festival`` or ``bad_festival_window``.
    """
    names = _check_festivals(festivals)
    merged: dict[str, Any] = dict(DEFAULT_WINDOWS)
    if windows:
        _check_festivals(windows.keys())
        merged.update(windows)
    out: dict[str, tuple[int, int]] = {}
    for name in names:
        out[name] = _check_window(name, merged[name])
    return out


def _check_window(name: str, window: Any) -> tuple[int, int]:
    try:
        lower, upper = (float(v) for v in window)
    except (TypeError, ValueError) as exc:
        raise ShopcastError("bad_festival_window", festival=name, window=window) from exc
    # Prophet needs lower <= 0 <= upper; a window of a year or more would
    # overlap the same festival of the neighbouring year.
    ok = lower.is_integer() and upper.is_integer() and lower <= 0 <= upper
    if not ok or upper - lower >= 365:
        raise ShopcastError("bad_festival_window", festival=name, window=window)
    return int(lower), int(upper)


def _check_festivals(festivals: Iterable[str] | None) -> list[str]:
    if festivals is None:
        return list(FESTIVALS)
    names = [str(f) for f in festivals]
    unknown = [f for f in names if f not in FESTIVALS]
    if unknown:
        raise ShopcastError("unknown_festival", festival=unknown[0], choices=", ".join(FESTIVALS))
    return list(dict.fromkeys(names))


def festival_calendar(
    years: Iterable[int],
    windows: Mapping[str, tuple[int, int]] | None = None,
    festivals: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Festivals as a Prophet ``holidays`` frame.

    Args:
        years: calendar years to cover (see :func:`years_for`).
        windows: per-festival ``(lower, upper)`` overriding :data:`DEFAULT_WINDOWS`.
        festivals: subset of :data:`FESTIVALS` (default: all).

    Returns:
        Columns ``holiday`` (str), ``ds`` (datetime64), ``lower_window`` and
        ``upper_window`` (int64), one row per festival and year.
    """
    wins = resolve_windows(windows, festivals)
    out = festival_days(years, wins.keys())
    out["lower_window"] = out["holiday"].map(lambda h: wins[h][0]).astype("int64")
    out["upper_window"] = out["holiday"].map(lambda h: wins[h][1]).astype("int64")
    return out


def years_for(
    start: Any, end: Any, windows: Mapping[str, tuple[int, int]] | None = None
) -> list[int]:
    """Years whose festivals matter between ``start`` and ``end`` (history + horizon).

    Every calendar year from ``start`` to ``end``, plus a neighbouring year when
    one of its festival windows reaches into the span (New Year's Eve belongs to
    next year's ``new_year`` window).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end < start:
        start, end = end, start
    years = set(range(start.year, end.year + 1))
    wins = resolve_windows(windows)
    pad = 1 + max(max(-lo, up) for lo, up in wins.values()) // 365
    cal = festival_calendar(range(start.year - pad, end.year + pad + 1), wins)
    first = cal["ds"] + pd.to_timedelta(cal["lower_window"], unit="D")
    last = cal["ds"] + pd.to_timedelta(cal["upper_window"], unit="D")
    touching = cal.loc[(first <= end) & (last >= start), "ds"].dt.year
    return sorted(years | {int(y) for y in touching})


# ---------------------------------------------------------------- features
def _to_days(dates: Any) -> tuple[np.ndarray, np.ndarray]:
    """Dates as int64 days since 1970-01-01 and a mask of valid (non-NaT) entries."""
    if isinstance(dates, pd.DatetimeIndex | pd.Series):
        values = dates
    else:
        values = pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values)
    if getattr(values, "dt", None) is not None:
        if values.dt.tz is not None:
            values = values.dt.tz_localize(None)
    elif values.tz is not None:
        values = values.tz_localize(None)
    arr = np.asarray(values, dtype="datetime64[ns]")
    valid = ~np.isnat(arr)
    days = (arr.astype("datetime64[D]") - _EPOCH).astype("int64")
    return np.where(valid, days, 0), valid


def _offset_table(first: int, last: int, wins: dict[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    """Per festival, the day offset from the nearest peak for days first..last (NaN outside)."""
    span = last - first + 1
    y0 = int(str((_EPOCH + np.timedelta64(first, "D")).astype("datetime64[Y]")))
    y1 = int(str((_EPOCH + np.timedelta64(last, "D")).astype("datetime64[Y]")))
    pad = 1 + max(max(-lo, up) for lo, up in wins.values()) // 365
    peaks = festival_days(range(y0 - pad, y1 + pad + 1), wins.keys())
    peak_days = (peaks["ds"].to_numpy().astype("datetime64[D]") - _EPOCH).astype("int64")
    tables: dict[str, np.ndarray] = {}
    for name, (lo, up) in wins.items():
        off = np.full(span, np.nan)
        for p in peak_days[(peaks["holiday"] == name).to_numpy()]:
            a, b = max(p + lo, first), min(p + up, last)
            if a > b:
                continue
            new = np.arange(a, b + 1) - p
            cur = off[a - first : b - first + 1]
            # Nearest peak wins if a user-widened window overlaps the next year's.
            take = np.isnan(cur) | (np.abs(new) < np.abs(cur))
            cur[take] = new[take]
        tables[name] = off
    return tables


def _scaled(off: np.ndarray, lo: int, up: int) -> np.ndarray:
    """Offsets scaled to [-1, 1]: -1 at the window start, 0 at the peak, 1 at its end."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(off < 0, off / max(-lo, 1), np.where(off > 0, off / max(up, 1), 0.0))
    return np.where(np.isnan(off), 0.0, pos)


def festival_offsets(
    dates: Any,
    windows: Mapping[str, tuple[int, int]] | None = None,
    festivals: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Days from the festival peak for every date inside a window (NaN outside).

    Args:
        dates: daily dates (DatetimeIndex, Series or list; duplicates allowed).
        windows: per-festival ``(lower, upper)`` overriding :data:`DEFAULT_WINDOWS`.
        festivals: subset of :data:`FESTIVALS` (default: all).

    Returns:
        One float column per festival (named like the festival), RangeIndex in
        the order of ``dates``.
    """
    wins = resolve_windows(windows, festivals)
    days, valid = _to_days(dates)
    if not valid.any():
        return pd.DataFrame({f: np.full(len(days), np.nan) for f in wins})
    first, last = int(days[valid].min()), int(days[valid].max())
    tables = _offset_table(first, last, wins)
    idx = days - first
    return pd.DataFrame(
        {f: np.where(valid, tab[np.where(valid, idx, 0)], np.nan) for f, tab in tables.items()}
    )


def festival_features(
    dates: Any,
    freq: str = "D",
    windows: Mapping[str, tuple[int, int]] | None = None,
    festivals: Iterable[str] | None = None,
    week_label: str = "auto",
) -> pd.DataFrame:
    """Festival features for model training and prediction.

    For each festival ``f`` two float columns:

    * ``fest_<f>``: 1.0 when the day lies in the festival window, else 0.0. For
      weekly data (by default periods labelled by their W-XXX end date, covering
      the 7 days up to the label, as pandas does) and monthly data (the calendar
      month of the label, e.g. "MS" month starts) it is the fraction of the
      period's days in the window.
    * ``fest_<f>_d``: position in the window, days from the peak scaled to
      [-1, 1] (-1 = first window day, 0 = peak, 1 = last window day), 0 outside.
      Weekly/monthly: the mean over the period's days that are in the window.

    Args:
        dates: dates of the rows (DatetimeIndex, Series or list); duplicates allowed.
        freq: "D", "W"/"W-XXX", or "MS" (also "M"/"ME").
        windows: per-festival ``(lower, upper)`` overriding :data:`DEFAULT_WINDOWS`.
        festivals: subset of :data:`FESTIVALS` (default: all).
        week_label: ``"end"`` (pandas W-XXX: a week is the label and the 6 days
            before), ``"start"`` (a week is the label and the 6 days after) or
            ``"auto"``: Monday labels are week starts (ISO weeks, and how
            ``forecasting.data`` labels weeks), any other weekday a week end
            (e.g. Walmart's Friday-ending weeks).

    Returns:
        Frame with one row per input date, same length and order, and a fresh
        RangeIndex (assign with ``.to_numpy()`` or after ``reset_index`` when the
        caller's index is not a RangeIndex). NaT dates get zeros.

    Raises:
        ShopcastError: ``calendar_freq`` for an unsupported frequency.
    """
    wins = resolve_windows(windows, festivals)
    kind = _freq_kind(freq)
    if week_label == "auto":
        week_label = "start" if str(freq).upper() in ("W", "W-MON") else "end"
    if week_label not in ("end", "start"):
        raise ShopcastError("calendar_week_label", week_label=week_label)
    days, valid = _to_days(dates)
    names = feature_columns(wins.keys())
    # One 2-D block filled in place: building the frame from it needs no copy.
    out = np.zeros((len(days), len(names)))
    if not valid.any():
        return pd.DataFrame(out, columns=names)
    uniq, inverse = np.unique(days[valid], return_inverse=True)
    if kind == "D":
        starts, ends = uniq, uniq
    elif kind == "W" and week_label == "start":
        starts, ends = uniq, uniq + 6
    elif kind == "W":
        starts, ends = uniq - 6, uniq
    else:
        month = (_EPOCH + uniq.astype("timedelta64[D]")).astype("datetime64[M]")
        starts = (month.astype("datetime64[D]") - _EPOCH).astype("int64")
        ends = ((month + 1).astype("datetime64[D]") - _EPOCH).astype("int64") - 1
    first, last = int(starts.min()), int(ends.max())
    tables = _offset_table(first, last, wins)
    a, b = starts - first, ends - first + 1
    length = (ends - starts + 1).astype(float)
    for i, (f, (lo, up)) in enumerate(wins.items()):
        off = tables[f]
        inside = ~np.isnan(off)
        # Cumulative sums turn every period total into two lookups: O(days + periods).
        cum_in = np.concatenate([[0.0], np.cumsum(inside)])
        cum_pos = np.concatenate([[0.0], np.cumsum(_scaled(off, lo, up))])
        count = cum_in[b] - cum_in[a]
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.where(count > 0, (cum_pos[b] - cum_pos[a]) / count, 0.0)
        out[valid, 2 * i] = (count / length)[inverse]
        out[valid, 2 * i + 1] = pos[inverse]
    return pd.DataFrame(out, columns=names)


def feature_columns(festivals: Iterable[str] | None = None) -> list[str]:
    """Names of the columns :func:`festival_features` returns, in order."""
    return [c for f in _check_festivals(festivals) for c in (f"fest_{f}", f"fest_{f}_d")]


def _freq_kind(freq: str) -> str:
    base = str(freq).upper().split("-")[0]
    if base == "D":
        return "D"
    if base == "W":
        return "W"
    if base in ("MS", "M", "ME"):
        return "M"
    raise ShopcastError("calendar_freq", freq=freq)


# ---------------------------------------------------------------- labels
def festival_label(name: str, lang: str = "zh") -> str:
    """Display name of a festival, e.g. ``"双十一"`` / ``"Double 11"``."""
    from forecasting.i18n import t

    key = f"festival.{name}"
    text = t(key, lang)
    return name if text == key else text


def festival_markers(
    start: Any,
    end: Any,
    lang: str = "zh",
    windows: Mapping[str, tuple[int, int]] | None = None,
    festivals: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Festival peaks between ``start`` and ``end`` for chart annotations.

    Returns:
        Columns ``holiday``, ``ds`` (peak day), ``label`` (translated name) and,
        for shading, ``window_start`` / ``window_end`` (first and last window day).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    cal = festival_calendar(range(start.year, end.year + 1), windows, festivals)
    cal = cal[(cal["ds"] >= start) & (cal["ds"] <= end)].reset_index(drop=True)
    out = cal[["holiday", "ds"]].copy()
    out["label"] = [festival_label(h, lang) for h in out["holiday"]]
    out["window_start"] = cal["ds"] + pd.to_timedelta(cal["lower_window"], unit="D")
    out["window_end"] = cal["ds"] + pd.to_timedelta(cal["upper_window"], unit="D")
    return out
