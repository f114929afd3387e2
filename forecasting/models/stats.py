"""Exponential smoothing (statsforecast AutoETS), one model per series."""

from __future__ import annotations

import pandas as pd

from forecasting.models.base import Forecaster, Progress
from forecasting.schema import DS, ID, Y, season_length


class ETS(Forecaster):
    """AutoETS from statsforecast: picks error/trend/season components per series
    by AICc. Native intervals from the state-space model."""

    name = "ets"
    native_intervals = True
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        m = season_length(self.freq)
        model = AutoETS(season_length=m, model=self.params.get("model", "ZZZ"), alias=self.alias)
        self.sf_ = StatsForecast(models=[model], freq=self.freq, n_jobs=1)
        self.sf_.fit(df[[ID, DS, Y]])
        if progress:
            progress(1.0, self.alias)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        kw = {"level": [int(lv) if float(lv).is_integer() else lv for lv in levels]} if levels else {}
        out = self.sf_.predict(h=h, **kw)
        if ID not in out.columns:  # older statsforecast kept unique_id in the index
            out = out.reset_index()
        out[ID] = out[ID].astype(str)
        return out
