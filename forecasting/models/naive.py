"""Seasonal naive, the benchmark every other model must beat, and the season mean, the
last link of the fallback chain (``Forecaster.fallback_chain``):
any model -> ``seasonal_naive`` (one season of history) -> ``season_mean`` (one value)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from forecasting.models.base import Forecaster, Progress
from forecasting.schema import DS, ID, Y, future_dates, hi_col, lo_col, season_length


class SeasonalNaive(Forecaster):
    """Repeat the last season. Intervals from the seasonal-difference residuals,
    widening with the number of seasons ahead (Hyndman & Athanasopoulos, 5.5)."""

    name = "seasonal_naive"
    native_intervals = True
    min_seasons = 1.0

    def fallback_chain(self) -> list[Forecaster]:
        """Series shorter than a season: the mean of what they have (:class:`SeasonMean`)."""
        return [SeasonMean(alias=self.alias, seed=self.seed)]

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        m = season_length(self.freq)
        self.m_ = m
        self.last_: dict[str, np.ndarray] = {}
        self.sigma_: dict[str, float] = {}
        self.last_ds_: dict[str, pd.Timestamp] = {}
        for uid, g in df.groupby(ID, observed=True):
            y = g[Y].to_numpy(dtype=float)
            self.last_[uid] = y[-m:]
            resid = y[m:] - y[:-m]
            self.sigma_[uid] = float(np.std(resid, ddof=1)) if len(resid) > 1 else 0.0
            self.last_ds_[uid] = g[DS].iloc[-1]
        if progress:
            progress(1.0, self.alias)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        parts = []
        steps = np.arange(1, h + 1)
        for uid, season in self.last_.items():
            m = len(season)
            mean = season[(steps - 1) % m]
            part = pd.DataFrame({ID: uid, DS: future_dates(self.last_ds_[uid], h, self.freq)})
            part[self.alias] = mean
            k = np.floor((steps - 1) / m) + 1
            for lv in levels:
                z = NormalDist().inv_cdf(0.5 + lv / 200)
                w = z * self.sigma_[uid] * np.sqrt(k)
                part[lo_col(self.alias, lv)] = mean - w
                part[hi_col(self.alias, lv)] = mean + w
            parts.append(part)
        return pd.concat(parts, ignore_index=True)


class SeasonMean(Forecaster):
    """The mean of the last season (of the whole history when shorter), flat over the
    horizon: the last fallback, for series too short for anything else.

    Bands treat the last season's values as draws around that mean: half-width
    ``z * s * sqrt(1 + 1/n)`` (``s`` their standard deviation, ``n`` their number;
    the second term is the uncertainty of the mean itself). With one value there is
    no spread to measure, and the band is ``z * |value|`` wide on each side rather
    than a false zero. Not in the registry: it is reached through the chain only.
    """

    name = "season_mean"
    native_intervals = True
    min_seasons = 0.0

    def min_length(self, freq: str) -> int:
        """One observation is enough."""
        return 1

    def fallback_chain(self) -> list[Forecaster]:
        """Nothing comes after the mean."""
        return []

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        m = season_length(self.freq)
        self.mean_: dict[str, float] = {}
        self.spread_: dict[str, float] = {}
        self.last_ds_: dict[str, pd.Timestamp] = {}
        for uid, g in df.groupby(ID, observed=True):
            y = g[Y].to_numpy(dtype=float)[-m:]
            mean = float(y.mean())
            n = len(y)
            s = float(np.std(y, ddof=1)) * np.sqrt(1 + 1 / n) if n > 1 else abs(mean)
            self.mean_[uid], self.spread_[uid] = mean, s
            self.last_ds_[uid] = g[DS].iloc[-1]
        if progress:
            progress(1.0, self.alias)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        parts = []
        for uid, mean in self.mean_.items():
            part = pd.DataFrame({ID: uid, DS: future_dates(self.last_ds_[uid], h, self.freq)})
            part[self.alias] = mean
            for lv in levels:
                w = NormalDist().inv_cdf(0.5 + lv / 200) * self.spread_[uid]
                part[lo_col(self.alias, lv)] = mean - w
                part[hi_col(self.alias, lv)] = mean + w
            parts.append(part)
        return pd.concat(parts, ignore_index=True)
