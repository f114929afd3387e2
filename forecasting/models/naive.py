"""Seasonal naive: the benchmark every other model must beat."""

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
