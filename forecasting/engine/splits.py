"""Backtest windows: where the cut-offs fall, whether they fit, and what each window sees.

Drivers such as the promotion calendar and planned prices are known in advance,
so a window forecasts with the drivers really in force then; a plan of drivers can
replace the recorded ones inside the windows (:func:`apply_plan`).
"""

from __future__ import annotations

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, driver_columns


def cutoffs(
    history: pd.DataFrame, h: int, n_windows: int, freq: str, step: int | None = None
) -> list[pd.Timestamp]:
    """Common cut-off dates, oldest first: the last window ends at the last date."""
    step = step or h
    last = history[DS].max()
    dates = pd.date_range(end=last, periods=h + step * (n_windows - 1) + 1, freq=freq)
    return [dates[-1 - h - step * k] for k in reversed(range(n_windows))]


def max_windows(n_periods: int, h: int, step: int | None = None, min_train: int = 1) -> int:
    """How many windows fit in ``n_periods`` leaving ``min_train`` periods to train on."""
    step = step or h
    room = n_periods - min_train - h
    return room // step + 1 if room >= 0 else 0


def check_windows(
    history: pd.DataFrame,
    h: int,
    n_windows: int,
    freq: str,
    step: int | None = None,
    min_train: int = 1,
) -> list[pd.Timestamp]:
    """Validate a backtest's shape and return its cut-offs.

    Args:
        history: contract frame.
        h: horizon of each window.
        n_windows: number of cut-offs.
        freq: the history's frequency.
        step: periods between cut-offs (default ``h``).
        min_train: periods the first cut-off must leave to train on (longest series).

    Raises:
        ShopcastError: ``bad_horizon``, ``bad_windows``, ``bad_step`` or
            ``backtest_too_long`` (with the number of periods, the periods
            needed and the most windows that fit).
    """
    if h < 1:
        raise ShopcastError("bad_horizon", h=h)
    if n_windows < 1:
        raise ShopcastError("bad_windows", n=n_windows)
    if step is not None and step < 1:
        raise ShopcastError("bad_step", step=step)
    min_train = max(1, int(min_train))
    need = min_train + h + (step or h) * (n_windows - 1)
    n = int(history.groupby(ID, observed=True)[DS].nunique().max()) if len(history) else 0
    if n == 0:
        raise ShopcastError("backtest_too_long", h=h, windows=n_windows, n=0, need=need, most=0)
    cuts = cutoffs(history, h, n_windows, freq, step)
    trained = int(history.loc[history[DS] <= cuts[0], DS].nunique())
    if trained < min_train:
        raise ShopcastError(
            "backtest_too_long",
            h=h,
            windows=n_windows,
            n=n,
            need=need,
            most=max_windows(n, h, step, min_train),
        )
    return cuts


def apply_plan(fut: pd.DataFrame, plan: pd.DataFrame | None) -> pd.DataFrame:
    """Driver values of ``plan`` replace the recorded ones where it has a row."""
    if plan is None or plan.empty:
        return fut
    cols = [c for c in driver_columns(plan) if c in fut.columns]
    if not cols:
        return fut
    keys = [ID, DS] if ID in plan.columns else [DS]
    p = plan.assign(**{DS: pd.to_datetime(plan[DS])})
    if ID in p.columns:
        p[ID] = p[ID].astype(str)
    p = p[[*keys, *cols]].drop_duplicates(keys, keep="last")
    merged = fut.merge(p, on=keys, how="left", suffixes=("", "__plan"))
    for c in cols:
        planned = pd.to_numeric(merged.pop(f"{c}__plan"), errors="coerce")
        merged[c] = planned.where(planned.notna(), merged[c]).to_numpy()
    return merged
