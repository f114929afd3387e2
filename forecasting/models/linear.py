"""Ridge regression: one linear model across all series on LightGBM's features."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting.models.base import Forecaster, Progress
from forecasting.models.features import lag_spec, tabular_forecast, tabular_training

DEFAULTS: dict[str, Any] = {
    # L2 penalty per training row on standardised features (sklearn's Ridge alpha / n)
    "alpha": 1e-3,
    "lags": None,
    "windows": None,
    "promo_aware_lags": True,
    # festival features: "CN" the e-commerce calendar, another ISO code its public holidays
    "country": "CN",
    # divide the target and lags by the mean of this many recent periods ("auto" or an
    # int; None: off): better on declining panels, worse on Rossmann (0.224 vs 0.192)
    "level_window": None,
}


class RidgeModel(Forecaster):
    """A cheap global member: least squares with an L2 penalty on recent sales, calendar,
    festivals and drivers (``features.FeatureMaker``, the calendar one-hot/sin-cos as a
    linear model needs), learned across all products and forecast recursively.

    Pure numpy (no scikit-learn): features are standardised with the training
    mean and spread, missing values (lags before a series starts) become the mean, and
    the coefficients solve ``(X'X + alpha n I) b = X'y``. Bands are conformal.
    """

    name = "ridge"
    native_intervals = False
    global_model = True

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        super().__init__(alias=alias, seed=seed, **{**DEFAULTS, **params})

    def min_length(self, freq: str) -> int:
        """Shortest series accepted: enough periods for the lags to mean something."""
        return lag_spec(freq).min_history

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        p = self.params
        self.maker_, x, y = tabular_training(df, self.freq, p, cyclic=True)
        x = x.astype(float)
        ok = np.isfinite(y)
        x, y = x[ok], y[ok]
        with np.errstate(invalid="ignore"):
            self.mean_ = np.nan_to_num(np.nanmean(x, axis=0))
            self.std_ = np.nan_to_num(np.nanstd(x, axis=0))
        self.std_[self.std_ < 1e-9] = 1.0  # constant columns carry nothing: left at zero
        z = self._standardise(x)
        n, k = z.shape
        design = np.column_stack([z, np.ones(n)])
        penalty = float(p["alpha"]) * n * np.eye(k + 1)
        penalty[k, k] = 0.0  # the intercept is not shrunk
        self.coef_ = np.linalg.solve(design.T @ design + penalty, design.T @ y)
        if progress:
            progress(1.0, self.alias)

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean_) / self.std_
        return np.where(np.isfinite(z), z, 0.0)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        def ratio(x: np.ndarray) -> np.ndarray:
            return self._standardise(x.astype(float)) @ self.coef_[:-1] + self.coef_[-1]

        return tabular_forecast(
            self.maker_, self.train_, future, h, self.alias, ratio, self.nonnegative_
        )

    def coefficients(self) -> pd.DataFrame:
        """Coefficient per (standardised) feature, largest magnitude first."""
        out = pd.DataFrame({"feature": self.maker_.feature_names, "coef": self.coef_[:-1]})
        return out.reindex(out["coef"].abs().sort_values(ascending=False).index).reset_index(
            drop=True
        )
