"""Honest intervals for models that have none of their own: the band maths.

Split-conformal on rolling origins: ``Forecaster.calibrate`` refits a clone on the
history cut ``h``, ``2h``... periods early (:func:`calibration_splits`), forecasts
the held-out stretch with the drivers that were really in force (they are known
in advance), and keeps the absolute errors — scaled by each series'
seasonal-naive error so SKUs of different size can be pooled
(:func:`scaled_errors`). Here they become the half-width of the band at each step
(:func:`interval_widths`, :func:`add_bands`). Every function is pure: frames and
errors in, quantiles and bands out; nothing here touches a model.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from forecasting.models.features import is_open_flag
from forecasting.schema import DS, ID, Y, driver_columns, hi_col, lo_col, season_length

MIN_POOL = 30  # errors per step before we stop borrowing from neighbouring steps


def series_scale(train: pd.DataFrame, m: int) -> pd.Series:
    """Mean absolute seasonal difference per series (the MASE denominator).

    Falls back to the lag-1 difference, then to the mean level, then to 1.
    """

    def one(y: pd.Series) -> float:
        v = y.to_numpy(dtype=float)
        for lag in (m, 1):
            if len(v) > lag:
                s = np.nanmean(np.abs(v[lag:] - v[:-lag]))
                if np.isfinite(s) and s > 0:
                    return float(s)
        s = float(np.nanmean(np.abs(v))) if len(v) else 0.0
        return s if s > 0 else 1.0

    return train.groupby(ID, observed=True)[Y].apply(one)


def calibration_splits(
    train: pd.DataFrame, h: int, windows: int
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """``(past, held)`` per calibration window: each series cut ``h``, ``2h``... periods
    before its end (at its first date when too short), ``held`` being the next ``h``
    periods. Windows with no past are left out."""
    for w in range(1, windows + 1):
        cut = train.groupby(ID, observed=True)[DS].transform(
            lambda s, w=w: s.iloc[-w * h] if len(s) > w * h else s.iloc[0]
        )
        past, held = train[train[DS] < cut], train[(train[DS] >= cut)]
        held = held[held.groupby(ID, observed=True).cumcount() < h]
        if past.empty:
            continue
        yield past, held


def closed_days(frame: pd.DataFrame) -> np.ndarray:
    """Per row of ``frame``: whether an open/closed driver (``features.is_open_flag``:
    "open", "营业"...) says the shop was closed (0) that day.

    A closed day's zero is known in advance from the plan, not an outcome the band has
    to cover: calibration leaves such days out, or the pool of errors fills up with exact
    zeros (Rossmann: one day in seven) and every open day's band comes out too narrow.
    """
    cols = [c for c in driver_columns(frame) if is_open_flag(str(c))]
    closed = np.zeros(len(frame), dtype=bool)
    for c in cols:
        v = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
        closed |= v == 0
    return closed


def scaled_errors(
    held: pd.DataFrame,
    pred: pd.DataFrame,
    alias: str,
    scale: pd.Series,
    h: int,
    difficulty: pd.Series | None = None,
) -> list[np.ndarray]:
    """Errors of forecast ``pred`` (column ``alias``) on ``held``, divided by each series'
    ``scale`` (and by each date's ``difficulty``, a ``seasonal_difficulty`` curve, when
    given): one row of ``h`` steps per series (NaN where missing or on a day the drivers
    say was closed: ``closed_days``)."""
    merged = held.merge(pred, on=[ID, DS], how="inner")
    merged["err"] = (merged[Y] - merged[alias]) / merged[ID].map(scale)
    if difficulty is not None and len(difficulty):
        merged["err"] /= difficulty_at(difficulty, merged[DS])
    merged.loc[closed_days(merged), "err"] = np.nan
    merged["step"] = merged.groupby(ID, observed=True).cumcount()
    rows = []
    for _, g in merged.groupby(ID, observed=True):
        row = np.full(h, np.nan)
        row[g["step"].to_numpy()] = g["err"].to_numpy()
        rows.append(row)
    return rows


def step_quantiles(errors: np.ndarray, levels: list, h: int) -> dict[float, np.ndarray]:
    """Conformal half-widths per step and level from scaled errors.

    When a step has fewer than ``MIN_POOL`` errors, neighbouring steps are
    pooled in, so a single series still gets a usable (if smoother) band.
    """
    abs_err = np.abs(errors)
    out: dict[float, np.ndarray] = {}
    for lv in levels:
        q = np.zeros(h)
        for k in range(h):
            r = 0
            while True:
                lo, hi = max(0, k - r), min(h, k + r + 1)
                pool = abs_err[:, lo:hi].ravel()
                pool = pool[np.isfinite(pool)]
                if len(pool) >= MIN_POOL or (lo == 0 and hi == h):
                    break
                r += 1
            if len(pool) == 0:
                q[k] = np.nan
                continue
            n = len(pool)
            # finite-sample conformal correction
            rank = min(1.0, math.ceil((n + 1) * lv / 100) / n)
            q[k] = float(np.quantile(pool, rank, method="higher"))
        out[lv] = q
    return out


def naive_half_widths(train: pd.DataFrame, levels: list, h: int, m: int) -> dict:
    """Fallback when no calibration window fits: scaled seasonal-naive theory.

    Half-width in scale units grows like sqrt(number of seasons ahead).
    """
    from statistics import NormalDist

    steps = np.arange(1, h + 1)
    growth = np.sqrt(np.floor((steps - 1) / max(m, 1)) + 1)
    return {lv: NormalDist().inv_cdf(0.5 + lv / 200) * 1.25 * growth for lv in levels}


def interval_widths(
    errors: np.ndarray, train: pd.DataFrame, levels: list, h: int, m: int
) -> tuple[dict, bool]:
    """Half-widths per level and step, in scale units, and whether they are conformal.

    Conformal (:func:`step_quantiles`) when at least 5 errors are known, else the
    seasonal-naive theory (:func:`naive_half_widths`).
    """
    if np.isfinite(errors).sum() >= 5:
        return step_quantiles(errors, levels, h), True
    return naive_half_widths(train, levels, h, m), False


# Bounds of a band's shape factor (``shape_factors``): a forecast of zero (a closed day)
# keeps a quarter of the usual width, a spike at most four times.
SHAPE_BOUNDS = (0.25, 4.0)


def shape_factors(values: np.ndarray, groups: np.ndarray, power: float) -> np.ndarray:
    """How much wider than its window's average each step's band is: the forecast
    relative to its mean over the window (``groups``: one label per series and window),
    to the ``power``, within ``SHAPE_BOUNDS``. ``power`` 0: all ones (bands of one width
    per step, whatever the forecast's shape); 1: proportional to the forecast."""
    values = np.asarray(values, dtype=float)
    if not power:
        return np.ones(len(values))
    v = np.clip(np.nan_to_num(values, nan=0.0), 0.0, None)
    mean = pd.Series(v).groupby(np.asarray(groups)).transform("mean").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(mean > 0, v / mean, 1.0)
    return np.clip(rel, *SHAPE_BOUNDS) ** power


# Seasonal difficulty (``seasonal_difficulty``): how much harder than usual a date is to
# forecast, read from the same dates a year earlier, within these bounds.
DIFFICULTY_BOUNDS = (0.5, 3.0)
# Periods in a year by season length (days, weeks, months), keeping the weekday for daily
# data (as ``charts.yoy``), and the centred smoothing window: wide enough for a festival
# that moves by up to three weeks a year (Spring Festival) still to fall inside it.
YEAR_PERIODS = {7: 364, 52: 52, 12: 12}
DIFFICULTY_SMOOTH = {7: 29, 52: 5, 12: 3}
# What a date inside the history reads (``seasonal_difficulty``'s ``past``).
PAST = ("year", "own")


def seasonal_difficulty(
    train: pd.DataFrame, freq: str, power: float, past: str = "year"
) -> pd.Series:
    """Per date, how much wider than usual a band should be: the panel's volatility at
    the same dates a year earlier relative to its usual volatility, to the ``power``.

    Volatility is the absolute change from the previous week (daily data: the same
    weekday a week earlier; weekly or monthly: the previous period), divided by each
    series' mean absolute change so every series weighs the same, averaged over the
    series present, smoothed over a centred window (``DIFFICULTY_SMOOTH``) and divided by
    its mean over the history. A date's difficulty is that curve one year
    (``YEAR_PERIODS``) earlier, within ``DIFFICULTY_BOUNDS``. Split-conformal errors
    divided by it before their quantiles are taken, and bands multiplied back, carry what
    last year's festival season did to the errors into this year's: calibration windows
    just before a holiday season no longer give it a quiet season's band, nor windows just
    after it a quiet season a holiday's band.

    ``past`` says what the history's own dates (the calibration windows) read: ``"year"``
    the curve a year earlier, as the forecast dates do; ``"own"`` the curve at the date
    itself — what that window's volatility was, known once it has passed — so a short
    history whose calibration windows hold its only festival season still scales their
    errors down (dates after the history always read a year earlier).

    Returns:
        A factor per date on the frequency's grid from the history's first date to one
        year after its last (1.0 where the date it reads is not in the history, and
        everywhere when ``power`` is 0 or the frequency has no year).
    """
    m = season_length(freq)
    start, end = pd.Timestamp(train[DS].min()), pd.Timestamp(train[DS].max())
    year = YEAR_PERIODS.get(m, 0)
    grid = pd.date_range(start, periods=len(pd.date_range(start, end, freq=freq)) + year, freq=freq)
    if not power or not year:
        return pd.Series(1.0, index=grid)
    history = grid[grid <= end]
    wide = _dates_by_series(train, history)
    lag = 7 if m == 7 else 1
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a series or date with no change
        change = np.full_like(wide, np.nan)
        change[lag:] = np.abs(wide[lag:] - wide[:-lag])
        usual = np.nanmean(change, axis=0)
        change /= np.where(usual > 0, usual, np.nan)
        panel = pd.Series(np.nanmean(change, axis=1), index=history)
    curve = panel.rolling(DIFFICULTY_SMOOTH[m], center=True, min_periods=1).mean()
    mean = float(curve.mean())
    if not np.isfinite(mean) or mean <= 0:
        return pd.Series(1.0, index=grid)
    if past not in PAST:
        raise ValueError(f"past must be one of {PAST}, not {past!r}")
    rel = (curve / mean).reindex(grid)
    read = rel.shift(year)
    if past == "own":
        read = read.where(grid > end, rel)
    factor = read.clip(*DIFFICULTY_BOUNDS).fillna(1.0) ** float(power)
    return factor


def _dates_by_series(train: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
    """Sales summed per date of ``dates`` (rows) and series (columns), NaN where a series
    has no record (or only missing values): a pivot table built with ``bincount``, which
    took ``seasonal_difficulty`` from 11.8 to 1.4 s on 10,000 series x 3 years of days."""
    ids, names = pd.factorize(train[ID])
    row = dates.get_indexer(pd.DatetimeIndex(train[DS]))
    y = train[Y].to_numpy(dtype=float)
    keep = (row >= 0) & (ids >= 0) & np.isfinite(y)  # a date off the grid is not read
    flat = row[keep].astype(np.int64) * len(names) + ids[keep]
    size = len(dates) * len(names)
    sums = np.bincount(flat, weights=y[keep], minlength=size)
    seen = np.bincount(flat, minlength=size) > 0
    return np.where(seen, sums, np.nan).reshape(len(dates), len(names))


def difficulty_at(curve: pd.Series, dates) -> np.ndarray:
    """``seasonal_difficulty``'s factor at each of ``dates`` (1.0 off its grid)."""
    return curve.reindex(pd.DatetimeIndex(dates)).fillna(1.0).to_numpy(dtype=float)


def add_bands(
    point: pd.DataFrame,
    alias: str,
    widths: dict,
    scale: pd.Series,
    levels: list,
    shape: np.ndarray | None = None,
) -> pd.DataFrame:
    """A copy of ``point`` with ``lo``/``hi`` columns: the mean -/+ each step's half-width
    (``widths[level][step]``) times the series' scale (times ``shape``, one factor per
    row, when given: ``shape_factors``)."""
    out = point.copy()
    step = out.groupby(ID, observed=True).cumcount().to_numpy()
    s = out[ID].map(scale).to_numpy(dtype=float)
    if shape is not None:
        s = s * np.asarray(shape, dtype=float)
    mean = out[alias].to_numpy(dtype=float)
    for lv in levels:
        w = widths[lv][step] * s
        out[lo_col(alias, lv)] = mean - w
        out[hi_col(alias, lv)] = mean + w
    return out
