"""The data contract shared by every module.

History is long: ``unique_id`` (str), ``ds`` (datetime64, tz-naive, regular),
``y`` (float) plus driver columns (``price``, ``discount``, ``promo``...).
Forecasts are ``unique_id, ds`` then per model ``Alias``, ``Alias-lo-L``,
``Alias-hi-L``. Backtests add ``cutoff`` and ``y``; scenarios add ``scenario``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError

ID, DS, Y = "unique_id", "ds", "y"
CUTOFF, SCENARIO = "cutoff", "scenario"
KEY_COLUMNS = (ID, DS)
RESERVED = {ID, DS, Y, CUTOFF, SCENARIO}
DEFAULT_LEVELS = (80, 95)
_INTERVAL_RE = re.compile(r"^(?P<alias>.+)-(?P<side>lo|hi)-(?P<level>\d+(?:\.\d+)?)$")

# pandas offset aliases we support, and the seasonal period of each.
FREQ_SEASON = {"D": 7, "W": 52, "MS": 12}


def lo_col(alias: str, level: int | float) -> str:
    """Name of the lower bound column of ``alias`` at ``level`` percent."""
    return f"{alias}-lo-{_fmt_level(level)}"


def hi_col(alias: str, level: int | float) -> str:
    """Name of the upper bound column of ``alias`` at ``level`` percent."""
    return f"{alias}-hi-{_fmt_level(level)}"


def _fmt_level(level: int | float) -> str:
    return str(int(level)) if float(level).is_integer() else str(level)


def interval_columns(alias: str, levels: Iterable[int | float]) -> list[str]:
    """All interval columns for ``alias``: lo/hi for each level, widest first."""
    cols: list[str] = []
    for lv in sorted(levels, reverse=True):
        cols += [lo_col(alias, lv), hi_col(alias, lv)]
    return cols


def model_aliases(forecast: pd.DataFrame) -> list[str]:
    """Model columns of a forecast frame (everything that is not a key or a band)."""
    skip = RESERVED
    return [c for c in forecast.columns if c not in skip and not _INTERVAL_RE.match(str(c))]


def levels_of(forecast: pd.DataFrame, alias: str) -> list[float]:
    """Interval levels present in ``forecast`` for ``alias``, ascending."""
    found = set()
    for c in forecast.columns:
        m = _INTERVAL_RE.match(str(c))
        if m and m["alias"] == alias and m["side"] == "lo":
            lv = float(m["level"])
            found.add(int(lv) if lv.is_integer() else lv)
    return sorted(found)


def validate_levels(levels: Sequence[int | float] | None) -> list[int | float]:
    """Check interval levels are in (0, 100) and return them sorted."""
    levels = list(levels or [])
    for lv in levels:
        if not 0 < float(lv) < 100:
            raise ShopcastError("bad_level", level=lv)
    return sorted(set(levels))


def driver_columns(df: pd.DataFrame) -> list[str]:
    """Exogenous driver columns of a history or future frame."""
    return [c for c in df.columns if c not in RESERVED]


def season_length(freq: str) -> int:
    """Seasonal period for a pandas frequency alias (D -> 7, W-* -> 52, MS -> 12)."""
    base = freq.split("-")[0].upper()
    if base in ("M", "ME", "MS"):
        return 12
    return FREQ_SEASON.get(base, 1)


def infer_freq(ds: pd.Series | pd.DatetimeIndex) -> str:
    """Infer D, W-XXX or MS from a sorted set of dates (one series).

    Uses the most common spacing, so a few gaps do not confuse it.
    """
    dates = pd.DatetimeIndex(pd.unique(pd.to_datetime(pd.Series(ds)))).sort_values()
    if len(dates) < 2:
        raise ShopcastError("too_few_dates", n=len(dates))
    diffs = np.diff(dates.values).astype("timedelta64[D]").astype(int)
    step = int(pd.Series(diffs).mode().iloc[0])
    if step == 1:
        return "D"
    if step == 7:
        return "W-" + dates[0].day_name()[:3].upper()
    if 28 <= step <= 31:
        return "MS"
    raise ShopcastError("unknown_freq", days=step)


def validate_history(df: pd.DataFrame, *, name: str = "data") -> pd.DataFrame:
    """Check a frame follows the history contract and return a clean copy.

    Sorts by ``unique_id, ds``, casts types, and refuses duplicates.

    Raises:
        ShopcastError: naming the problem and the column.
    """
    for col in (ID, DS, Y):
        if col not in df.columns:
            raise ShopcastError("missing_column", file=name, column=col)
    out = df.copy()
    out[ID] = out[ID].astype(str)
    out[DS] = pd.to_datetime(out[DS])
    if getattr(out[DS].dt, "tz", None) is not None:
        out[DS] = out[DS].dt.tz_localize(None)
    out[Y] = pd.to_numeric(out[Y], errors="coerce").astype(float)
    dup = out.duplicated([ID, DS])
    if dup.any():
        row = out.loc[dup].iloc[0]
        raise ShopcastError("duplicate_rows", file=name, series=row[ID], date=row[DS].date())
    return out.sort_values([ID, DS]).reset_index(drop=True)


def future_dates(last: pd.Timestamp, h: int, freq: str) -> pd.DatetimeIndex:
    """The ``h`` dates after ``last`` at ``freq``."""
    return pd.date_range(last, periods=h + 1, freq=freq)[1:]


def _future_dates_frame(last: pd.Series, h: int, freq: str) -> pd.DataFrame:
    """``unique_id, ds``: the ``h`` dates after each series' last date (``last``: per
    series id). One date range per distinct last date, not per series (most series of
    a catalogue end on the same day)."""
    if last.empty:
        return pd.DataFrame(columns=[ID, DS])
    ranges = {ts: future_dates(ts, h, freq) for ts in pd.unique(last.to_numpy())}
    ids = np.repeat(last.index.to_numpy(dtype=object), h)
    dates = np.concatenate([ranges[ts].to_numpy() for ts in last.to_numpy()])
    return pd.DataFrame({ID: ids, DS: dates})


def make_future_frame(
    history: pd.DataFrame, h: int, freq: str, future: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Future frame (``unique_id, ds`` + drivers) for the ``h`` steps after each series.

    Drivers given in ``future`` are used as is. Missing ones are filled with a
    neutral plan: price-like columns keep their last value, everything else
    (promo flags, discounts) is 0 — "no promotion planned".
    """
    drivers = driver_columns(history.drop(columns=[Y], errors="ignore"))
    last = history.groupby(ID, observed=True)[DS].max()
    fut = _future_dates_frame(last, h, freq)
    if future is not None and len(future):
        given = future.copy()
        given[ID] = given[ID].astype(str) if ID in given else None
        given[DS] = pd.to_datetime(given[DS])
        keep = [c for c in given.columns if c in drivers]
        if ID in future.columns:
            # one row per series and date: a repeated plan row must not duplicate the forecast
            plan = given[[ID, DS, *keep]].drop_duplicates([ID, DS], keep="last")
            fut = fut.merge(plan, on=[ID, DS], how="left")
        else:  # one driver plan for all series
            fut = fut.merge(given[[DS, *keep]].drop_duplicates(DS), on=DS, how="left")
    lastvals = (
        history.sort_values(DS).groupby(ID, observed=True)[drivers].last() if drivers else None
    )
    for col in drivers:
        if col not in fut.columns:
            fut[col] = np.nan
        if fut[col].isna().any():
            if is_price_like(col):
                fill = fut[ID].map(lastvals[col])
            else:
                fill = 0.0
            fut[col] = fut[col].fillna(fill)
        fut[col] = pd.to_numeric(fut[col], errors="coerce").fillna(0.0).astype(float)
    return fut


def is_price_like(col: str) -> bool:
    """Whether a driver column holds a price (named with "price" or "价")."""
    c = col.lower()
    return "price" in c or "价" in c


_is_price_like = is_price_like  # old private name, kept for existing callers
