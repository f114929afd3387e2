"""Statistical models from statsforecast, one model per series: AutoETS, AutoARIMA,
AutoTheta and the intermittent-demand methods (IMAPA, ADIDA, TSB, Croston).

Series are fitted in batches (:func:`fit_batches`), spread over the cores
(``forecasting.engine.parallel``), with progress after every batch. Each series is
fitted on its own, so the forecasts do not depend on the batching or the cores.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
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
        from statsforecast.models import AutoETS

        m = season_length(self.freq)
        model = AutoETS(season_length=m, model=self.params.get("model", "ZZZ"), alias=self.alias)
        self.sfs_ = fit_batches(model, self.freq, df[[ID, DS, Y]], progress, slim=True)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        kw = (
            {"level": [int(lv) if float(lv).is_integer() else lv for lv in levels]}
            if levels
            else {}
        )
        # models saved before batching hold one StatsForecast in ``sf_``
        fitted = getattr(self, "sfs_", None) or [self.sf_]
        out = pd.concat([sf.predict(h=h, **kw) for sf in fitted], ignore_index=True)
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
        from statsforecast.models import AutoARIMA

        m = season_length(self.freq)
        keep = int(self.params.get("max_history", {7: 365, 52: 156, 12: 60}.get(m, 8 * m)))
        recent = df.groupby(ID, observed=True).tail(keep)
        model = AutoARIMA(season_length=m, approximation=True, alias=self.alias)
        # warnings ("possible convergence problem" on every candidate) are silenced
        self.sfs_ = fit_batches(model, self.freq, recent[[ID, DS, Y]], progress)

    _predict = ETS._predict


class Theta(Forecaster):
    """AutoTheta from statsforecast: picks the best of the standard, optimised and
    dynamic Theta variants per series (seasonally adjusted first). Native intervals."""

    name = "theta"
    native_intervals = True
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from statsforecast.models import AutoTheta

        m = season_length(self.freq)
        model = AutoTheta(season_length=m, alias=self.alias)
        self.sfs_ = fit_batches(model, self.freq, df[[ID, DS, Y]], progress)

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
        from statsforecast import models as sfm

        method = str(self.params.get("method", "imapa")).lower()
        if method not in _INTERMITTENT:
            choices = ", ".join(_INTERMITTENT)
            raise ShopcastError("unknown_intermittent_method", method=method, choices=choices)
        cls_name, kwargs = _INTERMITTENT[method]
        model = getattr(sfm, cls_name)(alias=self.alias, **kwargs)
        # the methods assume demand >= 0: returns (negative sales) count as no demand
        frame = df[[ID, DS, Y]].assign(**{Y: df[Y].clip(lower=0)})
        self.sfs_ = fit_batches(model, self.freq, frame, progress)

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        return ETS._predict(self, h, future, [])


def _guard(freq: str):
    """statsforecast's per-series fallback: a series on which the model itself raises (e.g.
    AutoETS on some very short histories) gets a seasonal naive forecast instead of
    failing the whole fit for every series."""
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season_length(freq))


def fit_batches(
    model: Any, freq: str, df: pd.DataFrame, progress: Progress | None, slim: bool = False
) -> list:
    """Fitted ``StatsForecast`` objects, one per batch of series of ``df`` (``unique_id,
    ds, y``), fitted over ``parallel.n_jobs()`` processes; ``progress`` after each batch.

    ``slim``: keep only what AutoETS forecasts from (see :func:`slim_ets`).
    """
    from forecasting.engine import parallel

    if not df[ID].is_monotonic_increasing:
        df = df.sort_values([ID, DS], kind="stable")
    ids = df[ID].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    bounds = np.r_[starts, len(df)]
    jobs = parallel.jobs_for(len(starts))
    groups = parallel.batches(range(len(starts)), jobs)
    parts = [df.iloc[bounds[g[0]] : bounds[g[-1] + 1]] for g in groups]
    tasks = [(model, freq, part, slim) for part in parts]
    sizes = [len(g) for g in groups]
    return parallel.run_batches(fit_one_batch, tasks, jobs=jobs, sizes=sizes, progress=progress)


def fit_one_batch(task: tuple) -> Any:
    """One batch of :func:`fit_batches`: ``(model, freq, frame, slim)`` -> a fitted
    ``StatsForecast`` (one process, one thread)."""
    from statsforecast import StatsForecast

    model, freq, df, slim = task
    sf = StatsForecast(models=[model], freq=freq, n_jobs=1, fallback_model=_guard(freq))
    with warnings.catch_warnings():  # optimiser / convergence warnings on odd series
        warnings.simplefilter("ignore")
        sf.fit(df)
    if slim:
        slim_ets(sf)
    return sf


def slim_ets(sf: Any) -> None:
    """Drop what an AutoETS forecast never reads: the state of every past period (only
    the last one is used), fitted values and residuals (copied, never read, by
    ``forecast_ets``). About 95% of a fitted ETS model; the forecast is unchanged."""
    empty = np.empty(0)
    for fitted in np.asarray(sf.fitted_).ravel():
        state = getattr(fitted, "model_", None)
        if not isinstance(state, dict) or "states" not in state:
            continue  # the seasonal-naive guard, or another model
        state["states"] = np.asarray(state["states"])[-1:]
        for key in ("residuals", "fitted", "actual_residuals"):
            if key in state:
                state[key] = empty
