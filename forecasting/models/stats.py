"""Statistical models from statsforecast, one model per series: AutoETS, AutoARIMA,
AutoTheta and the intermittent-demand methods (IMAPA, ADIDA, TSB, Croston)."""

from __future__ import annotations

import warnings

import pandas as pd

from forecasting.errors import ShopcastError
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
        self.sf_ = StatsForecast(
            models=[model], freq=self.freq, n_jobs=1, fallback_model=_guard(self.freq)
        )
        self.sf_.fit(df[[ID, DS, Y]])
        if progress:
            progress(1.0, self.alias)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        kw = (
            {"level": [int(lv) if float(lv).is_integer() else lv for lv in levels]}
            if levels
            else {}
        )
        out = self.sf_.predict(h=h, **kw)
        if ID not in out.columns:  # older statsforecast kept unique_id in the index
            out = out.reset_index()
        out[ID] = out[ID].astype(str)
        return out


class ARIMA(Forecaster):
    """AutoARIMA from statsforecast (seasonal, stepwise search per series).

    It is the slowest statistical model (about 12 s for one 2-year daily series
    with an exact search on this machine), so it uses the approximate search
    and only the most recent ``max_history`` periods (default: one year of daily
    data, three years of weekly, five of monthly) per series: under 1 s each.
    """

    name = "arima"
    native_intervals = True
    min_seasons = 3.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoARIMA

        m = season_length(self.freq)
        keep = int(self.params.get("max_history", {7: 365, 52: 156, 12: 60}.get(m, 8 * m)))
        recent = df.groupby(ID, observed=True).tail(keep)
        model = AutoARIMA(season_length=m, approximation=True, alias=self.alias)
        self.sf_ = StatsForecast(
            models=[model], freq=self.freq, n_jobs=1, fallback_model=_guard(self.freq)
        )
        with warnings.catch_warnings():  # "possible convergence problem" on every candidate
            warnings.simplefilter("ignore")
            self.sf_.fit(recent[[ID, DS, Y]])
        if progress:
            progress(1.0, self.alias)

    _predict = ETS._predict


class Theta(Forecaster):
    """AutoTheta from statsforecast: picks the best of the standard, optimised and
    dynamic Theta variants per series (seasonally adjusted first). Native intervals."""

    name = "theta"
    native_intervals = True
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoTheta

        m = season_length(self.freq)
        model = AutoTheta(season_length=m, alias=self.alias)
        self.sf_ = StatsForecast(
            models=[model], freq=self.freq, n_jobs=1, fallback_model=_guard(self.freq)
        )
        with warnings.catch_warnings():  # optimiser warnings on flat series
            warnings.simplefilter("ignore")
            self.sf_.fit(df[[ID, DS, Y]])
        if progress:
            progress(1.0, self.alias)

    _predict = ETS._predict


# method -> statsforecast class and its arguments
_INTERMITTENT = {
    "imapa": ("IMAPA", {}),
    "adida": ("ADIDA", {}),
    "tsb": ("TSB", {"alpha_d": 0.1, "alpha_p": 0.1}),
    "croston": ("CrostonOptimized", {}),
}


class Intermittent(Forecaster):
    """Intermittent demand (many days without a sale): statsforecast's IMAPA by default
    (``method``: ``"imapa"``, ``"adida"``, ``"tsb"`` or ``"croston"`` = CrostonOptimized).

    These forecast a flat expected demand rate per period, which is what a stock plan
    for a slow mover needs. They have no intervals of their own: the bands are
    conformal, from the same model refitted on earlier cut-offs.
    """

    name = "intermittent"
    native_intervals = False
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast import StatsForecast
        from statsforecast import models as sfm

        method = str(self.params.get("method", "imapa")).lower()
        if method not in _INTERMITTENT:
            choices = ", ".join(_INTERMITTENT)
            raise ShopcastError("unknown_intermittent_method", method=method, choices=choices)
        cls_name, kwargs = _INTERMITTENT[method]
        model = getattr(sfm, cls_name)(alias=self.alias, **kwargs)
        self.sf_ = StatsForecast(
            models=[model], freq=self.freq, n_jobs=1, fallback_model=_guard(self.freq)
        )
        # the methods assume demand >= 0: returns (negative sales) count as no demand
        self.sf_.fit(df[[ID, DS, Y]].assign(**{Y: df[Y].clip(lower=0)}))
        if progress:
            progress(1.0, self.alias)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        return ETS._predict(self, h, future, [])


def _guard(freq: str):
    """statsforecast's per-series fallback: a series on which the model itself raises (e.g.
    AutoETS on some very short histories) gets a seasonal naive forecast instead of
    failing the whole fit for every series."""
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season_length(freq))
