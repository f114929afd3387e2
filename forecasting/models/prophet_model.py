"""Prophet with a festival calendar (Chinese e-commerce festivals by default, or a
country's public holidays) and the data's drivers as regressors."""

from __future__ import annotations

import copy
import logging
from typing import Any

import numpy as np
import pandas as pd

from forecasting.models.base import Forecaster, Progress
from forecasting.schema import DS, ID, Y, hi_col, lo_col


def _quiet() -> None:
    """Silence cmdstanpy's per-fit INFO lines (it installs its own handler lazily)."""
    try:
        from cmdstanpy.utils import get_logger

        get_logger().setLevel(logging.ERROR)
    except ImportError:  # pragma: no cover - cmdstanpy always comes with prophet
        pass
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)


class ProphetModel(Forecaster):
    """Prophet per series: trend + weekly/yearly seasonality + 618/Double-11/...
    festival windows (``forecasting.data.festivals``) + drivers (price, discount, promo)
    as extra regressors. Intervals from Prophet's predictive samples, so every
    requested level comes from the same simulated paths.

    Parameters (keyword arguments): ``country`` (ISO code; ``"CN"``, the default, is the
    e-commerce calendar, e.g. ``"DE"`` Germany's public holidays), ``festivals``
    (False: no holidays), ``windows`` (per-festival ``(lower, upper)``),
    ``seasonality_mode``, ``uncertainty_samples``, ``changepoint_prior_scale``."""

    name = "prophet"
    native_intervals = True
    min_seasons = 2.0

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        from forecasting.data.festivals import festival_calendar
        from forecasting.engine import parallel

        p = self.params
        years = range(df[DS].min().year - 1, df[DS].max().year + 3)
        holidays = (
            festival_calendar(years, windows=p.get("windows"), country=p.get("country") or "CN")
            if p.get("festivals", True)
            else None
        )
        settings = {
            "holidays": holidays,
            "freq": self.freq,
            "drivers": list(self.drivers_),
            "seed": self.seed,
            "params": dict(p),
        }
        groups = list(df.groupby(ID, observed=True))
        jobs = parallel.jobs_for(len(groups), min_per_job=4)  # seconds per series
        chunks = parallel.batches(groups, jobs)
        tasks = [(settings, chunk) for chunk in chunks]
        sizes = [len(c) for c in chunks]
        fitted = parallel.run_batches(
            fit_prophet_batch, tasks, jobs=jobs, sizes=sizes, progress=progress
        )
        self.models_: dict[str, Any] = {}
        self.regressors_: dict[str, list[str]] = {}
        for part in fitted:  # in the order of the series: predict samples in that order
            for uid, m, regs in part:
                self.models_[uid] = m
                self.regressors_[uid] = regs

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        _quiet()
        parts = []
        rng_state = np.random.get_state()
        np.random.seed(self.seed)  # Prophet samples with the global numpy RNG
        try:
            for uid, m in self.models_.items():
                fut = future[future[ID] == uid]
                frame = fut[[DS, *self.regressors_[uid]]].reset_index(drop=True)
                part = pd.DataFrame({ID: uid, DS: frame[DS]})
                point = copy.copy(m)  # never mutate a (possibly shared, cached) fitted model
                point.uncertainty_samples = 0
                part[self.alias] = point.predict(frame)["yhat"].to_numpy()
                if levels:
                    samples = m.predictive_samples(frame)["yhat"]
                    for lv in levels:
                        a = (100 - lv) / 200
                        part[lo_col(self.alias, lv)] = np.quantile(samples, a, axis=1)
                        part[hi_col(self.alias, lv)] = np.quantile(samples, 1 - a, axis=1)
                parts.append(part)
        finally:
            np.random.set_state(rng_state)
        return pd.concat(parts, ignore_index=True)

    def components(self, h: int, future: pd.DataFrame | None = None, series=None) -> pd.DataFrame:
        """The forecast split into Prophet's components in units (``models.explain``)."""
        from forecasting.models.explain import prophet_components

        return prophet_components(self, h, future, series)


def fit_prophet_batch(task: tuple) -> list[tuple[str, Any, list[str]]]:
    """Fit one Prophet per series of a batch: ``(settings, [(uid, frame), ...])`` ->
    ``[(uid, fitted model, regressors), ...]`` (run in a worker process or in place).

    Each series' model depends on its own data and the seed only, so the batching and
    the worker do not change it."""
    from forecasting.models.prophet_fast import FastProphet

    _quiet()
    settings, groups = task
    p, freq, daily = settings["params"], settings["freq"], settings["freq"] == "D"
    out = []
    for uid, g in groups:
        m = FastProphet(
            holidays=settings["holidays"],
            weekly_seasonality=daily,
            daily_seasonality=False,
            yearly_seasonality=len(g) >= (365 if daily else 52 if freq.startswith("W") else 12),
            seasonality_mode=p.get(
                "seasonality_mode", "multiplicative" if (g[Y] > 0).mean() > 0.9 else "additive"
            ),
            uncertainty_samples=int(p.get("uncertainty_samples", 300)),
            changepoint_prior_scale=float(p.get("changepoint_prior_scale", 0.05)),
        )
        regs = [c for c in settings["drivers"] if g[c].nunique() > 1]
        for c in regs:
            m.add_regressor(c, mode="additive")
        m.fit(g[[DS, Y, *regs]], seed=settings["seed"])
        out.append((uid, m, regs))
    return out
