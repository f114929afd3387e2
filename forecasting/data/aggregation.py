"""Combining rows: y summed, drivers by their rule, and series made regular (gap filling).

The grid is sized before it is built: above ``GRID_BUDGET`` cells (series x periods)
it is refused with ``ShopcastError("grid_too_large")`` naming the series that make it
so large (a 28 KB file with 400 SKUs dated 1901 and 2024 would otherwise expand to
18 million rows, 2.5 GB).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from forecasting.data.frequency import from_index, period_index
from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, Y

# Most cells (series x periods) a history grid may have: about 200 MB with a few drivers.
# Rossmann (1,115 stores x 942 days) is 1.05 million. A machine meant for bigger catalogues
# raises it with SHOPCAST_GRID_BUDGET (cells), e.g. 20000000 for 10,000 SKUs x 3 years.
GRID_BUDGET = 5_000_000
GRID_BUDGET_ENV = "SHOPCAST_GRID_BUDGET"


def grid_budget() -> int:
    """``GRID_BUDGET``, or the operator's ``SHOPCAST_GRID_BUDGET`` (a positive integer)."""
    raw = os.environ.get(GRID_BUDGET_ENV, "").replace("_", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else GRID_BUDGET


def agg_rule(driver: str) -> str:
    """How a driver combines over products or days: price -> y-weighted mean,
    flags (promo, holiday, open, school_holiday) -> max, anything else -> mean."""
    d = driver.lower()
    if "price" in d:
        return "wmean"
    if any(w in d for w in ("promo", "holiday", "open", "flag")):
        return "max"
    return "mean"


def aggregate(df: pd.DataFrame, keys: list[str], drivers: list[str]) -> pd.DataFrame:
    """Sum y (all-missing stays missing) and combine drivers by :func:`agg_rule`."""
    work = df
    extra: dict[str, pd.Series] = {}
    has_y = Y in df.columns
    for d in drivers:
        if agg_rule(d) == "wmean" and has_y:
            w = df[Y].clip(lower=0).where(df[d].notna(), 0.0).fillna(0.0)
            extra[f"__w_{d}"] = w
            extra[f"__pw_{d}"] = df[d].fillna(0.0) * w
    if extra:
        work = df.assign(**extra)
    g = work.groupby(keys, sort=True, observed=True)
    out = pd.DataFrame(index=g.size().index)
    if has_y:
        out[Y] = g[Y].sum(min_count=1)
    for d in drivers:
        rule = agg_rule(d)
        if rule == "max":
            out[d] = g[d].max()
        else:
            out[d] = g[d].mean()
            if rule == "wmean" and has_y:
                den = g[f"__w_{d}"].sum()
                out[d] = (g[f"__pw_{d}"].sum() / den).where(den > 0, out[d])
    return out.reset_index()


def fill_grid(
    df: pd.DataFrame,
    freq: str,
    fill: str,
    drivers: list[str],
    end: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, int, int]:
    """Make every series regular from its first to its last date (``df`` sorted by id, ds).

    Args:
        df: ``unique_id, ds, y`` + drivers, on the ``freq`` grid, sorted.
        freq: the grid's frequency.
        fill: ``"zero"``, ``"interpolate"`` or ``"none"`` for missing targets.
        drivers: driver columns (price carries forward, flags 0 on added rows).
        end: when given, every series runs to this date at least: a series whose
            records stop earlier gets rows up to it (filled by ``fill``).

    Returns the filled frame, the number of rows added and the number of missing
    target values (added or blank) that were filled.

    Raises:
        ShopcastError: ``grid_too_large`` when the grid would exceed ``GRID_BUDGET``
            cells (checked before anything is allocated).
    """
    idx = period_index(df[DS].to_numpy(), freq)
    codes, uniques = pd.factorize(df[ID], sort=False)
    counts = np.bincount(codes, minlength=len(uniques))
    first_row = np.concatenate([[0], np.cumsum(counts)[:-1]])
    lo = idx[first_row]
    hi = idx[first_row + counts - 1]
    if end is not None:
        hi = np.maximum(hi, period_index(np.array([end], dtype="datetime64[ns]"), freq)[0])
    lengths = hi - lo + 1
    total = int(lengths.sum())
    added = total - len(df)
    if added:
        check_grid_budget(lo, lengths, uniques.to_numpy(dtype=object), len(df), freq)
        grid_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        pos = np.repeat(grid_start - lo, counts) + idx
        out = pd.DataFrame({ID: np.repeat(uniques.to_numpy(dtype=object), lengths)})
        out[DS] = from_index(
            np.repeat(lo, lengths) + np.arange(total) - np.repeat(grid_start, lengths), freq
        )
        for c in [Y, *drivers]:
            col = np.full(total, np.nan)
            col[pos] = df[c].to_numpy(dtype=float)
            out[c] = col
        gcodes = np.repeat(np.arange(len(uniques)), lengths)
    else:
        out = df.reset_index(drop=True).copy()
        gcodes = codes
    n_missing = int(out[Y].isna().sum())
    if fill == "zero":
        out[Y] = out[Y].fillna(0.0)
    elif fill == "interpolate" and n_missing:
        out[Y] = _interpolate(out[Y], gcodes)
    for d in drivers:
        if out[d].isna().any():
            if agg_rule(d) == "wmean":  # a price holds until it changes
                grouped = out[d].groupby(gcodes)
                out[d] = grouped.ffill()
                out[d] = out[d].groupby(gcodes).bfill()
            else:  # nothing recorded = no promotion, no discount, no holiday
                out[d] = out[d].fillna(0.0)
    return out, added, (n_missing - added) if fill != "none" else 0


def check_grid_budget(
    lo: np.ndarray, lengths: np.ndarray, ids: np.ndarray, rows: int, freq: str
) -> None:
    """Refuse a grid above :func:`grid_budget` cells, naming the series that start earliest.

    Args:
        lo: each series' first period number.
        lengths: each series' number of periods on the grid.
        ids: the series' ids.
        rows: rows of the data before filling.
        freq: the grid's frequency.

    Raises:
        ShopcastError: ``grid_too_large`` with the cells, the limit, the number of
            series, the longest series in periods, the rows, how many series start
            in the earliest year, that year and an example series with its first date.
    """
    cells, budget = int(lengths.sum()), grid_budget()
    if cells <= budget:
        return
    first = pd.DatetimeIndex(from_index(lo, freq))
    year = int(first.year.min())
    early = np.flatnonzero(first.year == year)
    k = early[np.argmax(lengths[early])]
    raise ShopcastError(
        "grid_too_large",
        cells=cells,
        limit=budget,
        series=len(ids),
        periods=int(lengths.max()),
        rows=int(rows),
        early=len(early),
        year=year,
        example=f"{ids[k]} ({first[k].date()})",
    )


def _interpolate(y: pd.Series, gcodes: np.ndarray) -> pd.Series:
    """Linear interpolation inside each series (never across two series)."""
    have = y.notna()
    inside = have.groupby(gcodes).cummax() & have[::-1].groupby(gcodes[::-1]).cummax()[::-1]
    lin = y.interpolate(limit_area="inside")
    out = y.where(have, lin.where(inside))
    # blanks at a series' edges: nearest value of the same series
    return out.groupby(gcodes).ffill().groupby(gcodes).bfill()
