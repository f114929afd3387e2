"""Every series at a glance: forecast volume, growth, uncertainty, rank and top movers.

Pure pandas/numpy on the contract frames (history ``unique_id, ds, y``; forecast
``unique_id, ds, Alias, Alias-lo-L, Alias-hi-L``), vectorised over series so a
catalogue of thousands of SKUs builds in well under a second
(``benchmarks/read_speed.py`` times 1,000 series x 28 days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, Y, hi_col, levels_of, lo_col, model_aliases

# Columns of :func:`overview_table`, in order.
FORECAST, ACTUAL, CHANGE, GROWTH = "forecast", "actual", "change", "growth_pct"
UNCERTAINTY, SHARE, RANK = "uncertainty_pct", "share_pct", "rank"
COLUMNS = (ID, RANK, FORECAST, ACTUAL, CHANGE, GROWTH, UNCERTAINTY, SHARE)
# What a ranking can sort by, and the column each uses (largest first).
SORTS = {"volume": FORECAST, "growth": GROWTH, "change": CHANGE, "uncertainty": UNCERTAINTY}


def band_level(forecast: pd.DataFrame, model: str, wanted: float = 80) -> float | None:
    """The band level to measure uncertainty with: ``wanted`` when present, else the
    narrowest the model has (None without bands)."""
    have = levels_of(forecast, model)
    if not have:
        return None
    return wanted if wanted in have else have[0]


def overview_table(
    history: pd.DataFrame, forecast: pd.DataFrame, model: str, level: float | None = 80
) -> pd.DataFrame:
    """One row per forecast series, ranked by forecast volume.

    Args:
        history: history contract frame (``unique_id, ds, y``).
        forecast: forecast contract frame.
        model: the model alias whose forecast is summarised.
        level: band level for the uncertainty (default 80; the narrowest band the
            model has when 80 is absent; None: no uncertainty).

    Returns:
        :data:`COLUMNS`: ``forecast`` (sum of the point forecast over the horizon),
        ``actual`` (sales over the series' last periods, as many as it has forecast
        periods: an equal span; NaN when the history is shorter), ``change``
        (forecast minus actual), ``growth_pct`` (change in % of actual; NaN when the
        actual is not positive), ``uncertainty_pct`` (sum of the band's width over
        the horizon in % of the summed forecast: the average relative width of the
        band, NaN without a band or a positive forecast), ``share_pct`` (of the
        forecast of all series), ``rank`` (1 = largest forecast). Sorted by rank.

    Raises:
        ShopcastError: ``model`` is not a column of ``forecast``.
    """
    if model not in model_aliases(forecast):
        raise ShopcastError(
            "overview_unknown_model", model=model, choices=", ".join(model_aliases(forecast))
        )
    ids, codes = _codes(forecast[ID])
    n = len(ids)
    point = forecast[model].to_numpy(dtype=float)
    total = np.bincount(codes, weights=np.nan_to_num(point), minlength=n)
    periods = np.bincount(codes, minlength=n)
    actual = _last_span(history, ids, periods)
    uncertainty = np.full(n, np.nan)
    lv = band_level(forecast, model, level) if level is not None else None
    if lv is not None:
        width = forecast[hi_col(model, lv)].to_numpy(float) - forecast[lo_col(model, lv)].to_numpy(
            float
        )
        widths = np.bincount(codes, weights=np.nan_to_num(width), minlength=n)
        uncertainty = _ratio(widths, total)
    change = total - actual
    grand = total.sum()
    out = pd.DataFrame(
        {
            ID: ids,
            FORECAST: total,
            ACTUAL: actual,
            CHANGE: change,
            GROWTH: _ratio(change, actual),
            UNCERTAINTY: uncertainty,
            SHARE: total / grand * 100 if grand else np.full(n, np.nan),
        }
    )
    order = np.lexsort((out[ID].to_numpy(), -out[FORECAST].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(1, RANK, np.arange(1, n + 1))
    out.attrs["level"] = lv
    out.attrs["model"] = model
    return out


def ranked(table: pd.DataFrame, by: str = "volume", n: int | None = None) -> pd.DataFrame:
    """The overview sorted by one of :data:`SORTS`, largest first (NaN last), top ``n``.

    Raises:
        ShopcastError: an unknown sort.
    """
    if by not in SORTS:
        raise ShopcastError("overview_unknown_sort", by=by, choices=", ".join(SORTS))
    out = table.sort_values([SORTS[by], RANK], ascending=[False, True], na_position="last")
    return (out if n is None else out.head(n)).reset_index(drop=True)


def movers(table: pd.DataFrame, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The largest rises and falls, by change in units against the last equal span.

    Units, not percent: a SKU going from 1 to 3 (+200%) should not top the list
    over one gaining 5,000 units (its growth is in ``growth_pct`` beside it).

    Returns:
        ``(rises, falls)``: at most ``n`` rows each, biggest move first; rises have
        a positive change, falls a negative one.
    """
    known = table[table[CHANGE].notna()]
    rises = known[known[CHANGE] > 0].sort_values([CHANGE, RANK], ascending=[False, True])
    falls = known[known[CHANGE] < 0].sort_values([CHANGE, RANK], ascending=[True, True])
    return rises.head(n).reset_index(drop=True), falls.head(n).reset_index(drop=True)


def _codes(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique ids (as text) and each row's position among them."""
    codes, uniques = pd.factorize(ids.astype(str), sort=True)
    return np.asarray(uniques, dtype=object), codes


def _last_span(history: pd.DataFrame, ids: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Per id, the sum of ``y`` over its last ``periods`` rows (NaN when it has fewer)."""
    out = np.full(len(ids), np.nan)
    if history.empty:
        return out
    # Integer work only (1M+ rows): factorised ids, dates as int64.
    codes, uniques = pd.factorize(history[ID], sort=False)
    ds = history[DS].to_numpy().astype("datetime64[ns]").view("int64")
    y = np.nan_to_num(history[Y].to_numpy(dtype=float))
    same = codes[1:] == codes[:-1]
    if not (np.all(codes[1:] >= codes[:-1]) and np.all(ds[1:][same] > ds[:-1][same])):
        order = np.lexsort((ds, codes))  # not grouped by series, or dates out of order
        codes, y = codes[order], y[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    sizes = ends - starts
    target = pd.Index(ids).get_indexer(pd.Index(uniques).astype(str)[codes[starts]])
    pos = np.repeat(target, sizes)
    from_end = np.repeat(ends, sizes) - np.arange(len(codes)) - 1
    known = pos >= 0
    want = np.zeros(len(codes), dtype=np.int64)
    want[known] = periods[pos[known]]
    take = known & (from_end < want)
    sums = np.bincount(pos[take], weights=y[take], minlength=len(ids))
    counts = np.bincount(pos[take], minlength=len(ids))
    return np.where((counts == periods) & (periods > 0), sums, out)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` in percent, NaN where ``den`` is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0) * 100, np.nan)


def summary(table: pd.DataFrame) -> dict[str, float]:
    """Totals over all series: ``series``, ``forecast``, ``actual`` and ``growth_pct``.

    The actual and the growth count only series with a known actual (an equal span
    of history), so both sides of the comparison cover the same series.
    """
    known = table[table[ACTUAL].notna()]
    actual = float(known[ACTUAL].sum())
    change = float(known[FORECAST].sum()) - actual
    return {
        "series": len(table),
        FORECAST: float(table[FORECAST].sum()),
        ACTUAL: actual if len(known) else float("nan"),
        GROWTH: change / actual * 100 if actual > 0 else float("nan"),
    }
