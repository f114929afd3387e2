"""A 20-line toy model for orchestration tests (backtests, ensembles) without statsforecast."""

from __future__ import annotations

import pandas as pd

from forecasting.models.base import Forecaster, Progress
from forecasting.schema import ID, Y

TOY = "toy_mean"


class MeanModel(Forecaster):
    """Forecast the mean of the last 28 periods; counts its fits (class attribute)."""

    name = TOY
    min_seasons = 1.0
    fits = 0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        type(self).fits += 1
        self.mean_ = df.groupby(ID, observed=True)[Y].apply(lambda s: float(s.tail(28).mean()))

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        out = future[[ID, "ds"]].copy()
        out[self.alias] = out[ID].map(self.mean_).astype(float)
        return out


def register(monkeypatch) -> None:
    """Make ``toy_mean`` a registered model for this test."""
    from forecasting.models import REGISTRY, ModelSpec

    monkeypatch.setitem(REGISTRY, TOY, ModelSpec(TOY, "tests.toy_models", "MeanModel", "pandas"))
