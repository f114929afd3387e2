"""Which rows of a combination's inner backtest count: pure functions on the backtest frame.

``unseasoned``: the windows fitted on less than a season of a series that has one (their
errors are those of weaker models than the one that forecasts: bands leave them out).
``scored``: the members' errors that score them (``score_rows``): members are compared on
the windows they all forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.schema import CUTOFF, DS, ID, season_length

SCORE_RULES = ("all", "season", "common")


def unseasoned(cv: pd.DataFrame, train: pd.DataFrame, freq: str, h: int) -> np.ndarray:
    """Rows of the inner backtest ``cv`` whose window was fitted on less than one season
    of its series (in periods of the calendar of ``train``) while the series' whole
    history holds one; none when that would leave fewer than ``h`` rows."""
    short = np.zeros(len(cv), dtype=bool)
    if not len(cv):
        return short
    m = season_length(freq)
    span = train.groupby(ID, observed=True)[DS].agg(["min", "max"])
    grid = pd.date_range(span["min"].min(), span["max"].max(), freq=freq).to_numpy()

    def period(dates) -> np.ndarray:  # position on the history's calendar
        return np.searchsorted(grid, pd.to_datetime(pd.Series(dates)).to_numpy())

    start = pd.Series(period(span["min"]), index=span.index)
    whole = period(span["max"]) - start.to_numpy() + 1  # periods of each series
    first = cv[ID].map(start).to_numpy(dtype=float)
    held = period(cv[CUTOFF]) - first + 1  # periods before each window
    full = cv[ID].map(pd.Series(whole >= m, index=span.index)).eq(True).to_numpy()
    short = full & (held < m)
    if (~short).sum() < h:  # not even one window left: keep them all
        return np.zeros(len(cv), dtype=bool)
    return short


def scored(
    cv: pd.DataFrame, err: pd.DataFrame, rule: str, short: np.ndarray | None = None
) -> pd.DataFrame:
    """The members' absolute errors ``err`` (rows of ``cv``) that score them, by ``rule``:
    ``"all"``; ``"season"``: not the rows ``short`` marks (:func:`unseasoned`);
    ``"common"``: on each series only the rows every member that forecast it somewhere
    forecast (members judged on the same windows). A series that would keep no row keeps
    all of them."""
    if rule not in SCORE_RULES:
        raise ValueError(f"score_rows: {rule!r} is not one of {', '.join(SCORE_RULES)}")
    if rule == "all" or not len(cv):
        return err
    ids = cv[ID].to_numpy()
    if rule == "season":
        drop = pd.Series(short, index=err.index)
    else:
        some = err.notna().groupby(ids, observed=True).transform("any")
        drop = (some & err.isna()).any(axis=1)
    kept = (~drop & err.notna().any(axis=1)).groupby(ids, observed=True).transform("any")
    drop &= kept  # a series left without rows keeps them all
    out = err.copy()
    out.loc[drop.to_numpy()] = np.nan
    return out
