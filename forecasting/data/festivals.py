"""Festivals as a Prophet holidays frame and as model features: the Chinese
e-commerce calendar by default, or another country's public holidays.

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

``country``: every public function takes an ISO country code. ``"CN"`` (the
default) is the e-commerce calendar above. Any other code (``"DE"``, ``"US"``,
``"GB"``...) uses that country's national public holidays from the ``holidays``
package (offline): each holiday (by its English name, "observed" days folded in)
is a festival with the window :data:`COUNTRY_WINDOW` (the day before, when shops
see the run-up, to the holiday itself).
"""

from __future__ import annotations

import re
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
DEFAULT_COUNTRY = "CN"  # the e-commerce festival calendar above
COUNTRY_WINDOW: tuple[int, int] = (-1, 0)  # a public holiday and the day before it
# Holiday names (the feature columns) are collected over these years, so the columns of a
# country never depend on the dates of one data set.
_NAME_YEARS = range(2000, 2041)
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


def normalize_country(country: str | None) -> str:
    """``"de"`` -> ``"DE"``; None or empty -> :data:`DEFAULT_COUNTRY`.

    Raises:
        ShopcastError: ``unknown_country`` when the ``holidays`` package has no such country.
    """
    code = str(country or DEFAULT_COUNTRY).strip().upper()
    if code != DEFAULT_COUNTRY:
        _holiday_table(code, tuple(_NAME_YEARS[:1]))  # raises for an unknown code
    return code


def _slug(name: str) -> str:
    base = re.sub(r"\s*\(observed\)", "", name, flags=re.IGNORECASE)
    base = base.lower().replace("'", "")  # "New Year's Day" -> new_years_day
    return re.sub(r"[^0-9a-z]+", "_", base).strip("_") or "holiday"


@cache
def _holiday_table(country: str, years: tuple[int, ...]) -> tuple[tuple[str, str, Any], ...]:
    """``(slug, English name, date)`` of every national public holiday of ``country``."""
    try:
        import holidays

        try:
            days = holidays.country_holidays(country, years=years, language="en_US")
        except (KeyError, ValueError):  # a country without English names
            days = holidays.country_holidays(country, years=years)
    except (ImportError, NotImplementedError, KeyError) as exc:
        raise ShopcastError("unknown_country", country=country) from exc
    rows = []
    for day, names in sorted(days.items()):
        for name in str(names).split("; "):
            rows.append((_slug(name), re.sub(r"\s*\(observed\)", "", name), day))
    return tuple(rows)


def country_festivals(country: str | None = DEFAULT_COUNTRY) -> tuple[str, ...]:
    """The festival names of ``country``: :data:`FESTIVALS` for ``"CN"``, else the slugs
    of its public holidays (e.g. ``"german_unity_day"``), in calendar order."""
    code = normalize_country(country)
    if code == DEFAULT_COUNTRY:
        return FESTIVALS
    return tuple(dict.fromkeys(slug for slug, _, _ in _holiday_table(code, tuple(_NAME_YEARS))))


def holiday_name(name: str, country: str | None) -> str:
    """English name of a public holiday slug of ``country`` (the slug when unknown)."""
    code = normalize_country(country)
    if code == DEFAULT_COUNTRY:
        return name
    table = _holiday_table(code, tuple(_NAME_YEARS))
    return next((label for slug, label, _ in table if slug == name), name)


def festival_days(
    years: Iterable[int],
    festivals: Iterable[str] | None = None,
    country: str | None = DEFAULT_COUNTRY,
) -> pd.DataFrame:
    """The peak day of each festival in each year.

    Args:
        years: calendar years, e.g. ``range(2023, 2027)``.
        festivals: subset of the country's festivals (default: all).
        country: ISO code; ``"CN"`` is the e-commerce calendar, others their public
            holidays (each holiday's own day is its peak).

    Returns:
        Frame with columns ``holiday`` (festival name) and ``ds`` (peak day),
        sorted by ``ds``.
    """
    code = normalize_country(country)
    names = _check_festivals(festivals, code)
    if code != DEFAULT_COUNTRY:
        wanted = set(names)
        table = _holiday_table(code, tuple(sorted({int(y) for y in years})))
        out = pd.DataFrame(
            [(slug, pd.Timestamp(day)) for slug, _, day in table if slug in wanted],
            columns=["holiday", "ds"],
        )
        out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
        return out.sort_values("ds", kind="stable").reset_index(drop=True)
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
    windows: Mapping[str, Any] | None = None,
    festivals: Iterable[str] | None = None,
    country: str | None = DEFAULT_COUNTRY,
) -> dict[str, tuple[int, int]]:
    """Default windows overridden by the user's, validated, for the chosen festivals.

    Args:
        windows: ``{festival: (lower, upper)}``; festivals not named keep their
            default window.
        festivals: subset of the country's festivals (default: all).
        country: ISO code (see :func:`festival_days`); public holidays default to
            :data:`COUNTRY_WINDOW`.

    Raises:
        ShopcastError: ``unknown_festival``, ``bad_festival_window`` or ``unknown_country``.
    """
    code = normalize_country(country)
    names = _check_festivals(festivals, code)
    if code == DEFAULT_COUNTRY:
        merged: dict[str, Any] = dict(DEFAULT_WINDOWS)
    else:
        merged = dict.fromkeys(country_festivals(code), COUNTRY_WINDOW)
    if windows:
        _check_festivals(windows.keys(), code)
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


def _check_festivals(
    festivals: Iterable[str] | None, country: str | None = DEFAULT_COUNTRY
) -> list[str]:
    known = country_festivals(country)
    if festivals is None:
        return list(known)
    names = [str(f) for f in festivals]
    unknown = [f for f in names if f not in known]
    if unknown:
        raise ShopcastError("unknown_festival", festival=unknown[0], choices=", ".join(known))
    return list(dict.fromkeys(names))


def festival_calendar(
    years: Iterable[int],
    windows: Mapping[str, tuple[int, int]] | None = None,
    festivals: Iterable[str] | None = None,
    country: str | None = DEFAULT_COUNTRY,
) -> pd.DataFrame:
    """Festivals as a Prophet ``holidays`` frame.

    Args:
        years: calendar years to cover (see :func:`years_for`).
        windows: per-festival ``(lower, upper)`` overriding :data:`DEFAULT_WINDOWS`.
        festivals: subset of the country's festivals (default: all).
        country: ISO code: ``"CN"`` (default) the e-commerce festivals, e.g. ``"DE"``
            Germany's public holidays.

    Returns:
        Columns ``holiday`` (str), ``ds`` (datetime64), ``lower_window`` and
        ``upper_window`` (int64), one row per festival and year.
    """
    wins = resolve_windows(windows, festivals, country)
    out = festival_days(years, wins.keys(), country)
    out["lower_window"] = out["holiday"].map(lambda h: wins[h][0]).astype("int64")
    out["upper_window"] = out["holiday"].map(lambda h: wins[h][1]).astype("int64")
    return out


def years_for(
    start: Any,
    end: Any,
    windows: Mapping[str, tuple[int, int]] | None = None,
    country: str | None = DEFAULT_COUNTRY,
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
    wins = resolve_windows(windows, country=country)
    pad = 1 + max(max(-lo, up) for lo, up in wins.values()) // 365
    cal = festival_calendar(range(start.year - pad, end.year + pad + 1), wins, country=country)
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


def _offset_table(
    first: int, last: int, wins: dict[str, tuple[int, int]], country: str = DEFAULT_COUNTRY
) -> dict[str, np.ndarray]:
    """Per festival, the day offset from the nearest peak for days first..last (NaN outside)."""
    span = last - first + 1
    y0 = int(str((_EPOCH + np.timedelta64(first, "D")).astype("datetime64[Y]")))
    y1 = int(str((_EPOCH + np.timedelta64(last, "D")).astype("datetime64[Y]")))
    pad = 1 + max(max(-lo, up) for lo, up in wins.values()) // 365
    peaks = festival_days(range(y0 - pad, y1 + pad + 1), wins.keys(), country)
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
    country: str | None = DEFAULT_COUNTRY,
) -> pd.DataFrame:
    """Days from the festival peak for every date inside a window (NaN outside).

    Args:
        dates: daily dates (DatetimeIndex, Series or list; duplicates allowed).
        windows: per-festival ``(lower, upper)`` overriding :data:`DEFAULT_WINDOWS`.
        festivals: subset of the country's festivals (default: all).
        country: ISO code (see :func:`festival_calendar`).

    Returns:
        One float column per festival (named like the festival), RangeIndex in
        the order of ``dates``.
    """
    code = normalize_country(country)
    wins = resolve_windows(windows, festivals, code)
    days, valid = _to_days(dates)
    if not valid.any():
        return pd.DataFrame({f: np.full(len(days), np.nan) for f in wins})
    first, last = int(days[valid].min()), int(days[valid].max())
    tables = _offset_table(first, last, wins, code)
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
    country: str | None = DEFAULT_COUNTRY,
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
    code = normalize_country(country)
    wins = resolve_windows(windows, festivals, code)
    kind = _freq_kind(freq)
    if week_label == "auto":
        week_label = "start" if str(freq).upper() in ("W", "W-MON") else "end"
    if week_label not in ("end", "start"):
        raise ShopcastError("calendar_week_label", week_label=week_label)
    days, valid = _to_days(dates)
    names = feature_columns(wins.keys(), code)
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
    tables = _offset_table(first, last, wins, code)
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


def feature_columns(
    festivals: Iterable[str] | None = None, country: str | None = DEFAULT_COUNTRY
) -> list[str]:
    """Names of the columns :func:`festival_features` returns, in order."""
    names = _check_festivals(festivals, country)
    return [c for f in names for c in (f"fest_{f}", f"fest_{f}_d")]


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
def festival_label(name: str, lang: str = "zh", country: str | None = DEFAULT_COUNTRY) -> str:
    """Display name of a festival, e.g. ``"双十一"`` / ``"Double 11"``; a public holiday
    of another country by its English name (``"German Unity Day"``)."""
    from forecasting.i18n import t

    if normalize_country(country) != DEFAULT_COUNTRY:
        return holiday_name(name, country)
    key = f"festival.{name}"
    text = t(key, lang)
    return name if text == key else text


def festival_markers(
    start: Any,
    end: Any,
    lang: str = "zh",
    windows: Mapping[str, tuple[int, int]] | None = None,
    festivals: Iterable[str] | None = None,
    country: str | None = DEFAULT_COUNTRY,
) -> pd.DataFrame:
    """Festival peaks between ``start`` and ``end`` for chart annotations.

    Returns:
        Columns ``holiday``, ``ds`` (peak day), ``label`` (translated name) and,
        for shading, ``window_start`` / ``window_end`` (first and last window day).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    cal = festival_calendar(range(start.year, end.year + 1), windows, festivals, country)
    cal = cal[(cal["ds"] >= start) & (cal["ds"] <= end)].reset_index(drop=True)
    out = cal[["holiday", "ds"]].copy()
    out["label"] = [festival_label(h, lang, country) for h in out["holiday"]]
    out["window_start"] = cal["ds"] + pd.to_timedelta(cal["lower_window"], unit="D")
    out["window_end"] = cal["ds"] + pd.to_timedelta(cal["upper_window"], unit="D")
    return out
