"""LightGBM: one gradient-boosted tree model across all series, forecast recursively."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from forecasting.models.base import BAND_PARAMS, Forecaster, Progress
from forecasting.models.features import lag_spec, tabular_forecast, tabular_training

DEFAULTS: dict[str, Any] = {
    "n_estimators": 400,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "objective": "l2",
    # None: every core (``engine.parallel.n_jobs()``, 1 inside a worker process) from
    # ``THREAD_ROWS`` training rows, one thread below. Results are bit-identical for any
    # thread count (deterministic, row-wise histograms). OpenMP threads wait passively
    # (``OMP_WAIT_POLICY``): spinning threads on a busy shared CPU made a 2-thread fit
    # 4-15x slower than 1 thread (30 series x 3 years: 8 s vs 2 s).
    "num_threads": None,
    "lags": None,
    "windows": None,
    # lags read the pre-promotion baseline on promotion days, so a multi-day promotion's
    # forecast uplift does not compound through its own inflated predictions
    "promo_aware_lags": True,
    # festival features: "CN" the e-commerce calendar, another ISO code its public holidays
    "country": "CN",
    # periods of the recent level the target and lags are divided by ("auto": 28 days,
    # 8 weeks, 3 months; None: off); see FeatureMaker. Lets the trees follow a level that
    # trends outside the range they were trained on. Off by default: on declining panels
    # it cut WAPE 7-11%, but on the Rossmann development windows it tied (0.1101 vs
    # 0.1102, 100 stores) and on Walmart's it lost (0.1290 vs 0.1247).
    "level_window": None,
    # None: recursive (one step at a time, each prediction becomes the next step's lag).
    # "auto" or an integer H: *direct* — one model for 1..H steps ahead with the step as a
    # feature, the lags read at the forecast origin (``FeatureMaker``'s ``direct``), so no
    # prediction is fed back within H steps; a longer horizon continues H steps at a time.
    # "auto": H = ``lag_spec(freq).direct`` (4 weeks of days, 13 weeks, 6 months).
    # Off by default: alone on the development windows of the seven sets of
    # benchmarks/accuracy.py it was worse than recursive on every one (mean WAPE / the
    # better of seasonal naive and AutoETS 0.973 vs 0.943; README, "LightGBM direct").
    "direct": None,
    # series the conformal refit is fitted on (a seeded sample when there are more; None:
    # all): its pooled scaled errors set every series' bands (``Forecaster._calibration_panel``)
    "calibration_series": 300,
}
# Below this many training rows LightGBM fits on one thread: waking a second thread for
# each of its 400 small boosting rounds costs more than it saves. Measured at stop 34 on
# the 2-core build machine (scratch script, fit alone, passive OpenMP wait), 1 vs 2
# threads: 1,096 rows 0.7 vs 4.6 s, 33,000 (the 30-SKU sample) 1.6 vs 5.9 s, 329,000 11.8
# vs 15.2 s, 658,000 25.0 vs 22.3 s, 1,096,000 40.1 vs 34.1 s.
THREAD_ROWS = 500_000
_NOT_LIGHTGBM = (
    "n_estimators",
    "lags",
    "windows",
    "promo_aware_lags",
    "country",
    "level_window",
    "direct",
    "calibration_series",
    *BAND_PARAMS,  # the bands' settings (``base.BAND_PARAMS``), not LightGBM's
)


class LightGBMModel(Forecaster):
    """Gradient-boosted trees on recent sales, calendar, festivals and promotions, learned
    across all products at once.

    Each series is divided by its recent mean so one model serves large and small
    SKUs; the forecast is built one period at a time, feeding predictions back as
    lags. Extra keyword arguments not listed in ``DEFAULTS`` go to LightGBM as is
    (e.g. ``max_depth=6``).
    """

    name = "lightgbm"
    native_intervals = False
    global_model = True
    # One refit at the earliest calibration cut-off forecasts both windows (mlforecast's
    # scheme; ``Forecaster.calibration_scheme``). Measured on generate_shop(n_skus=100),
    # 4 origins x 28 days: coverage 82.8% / 95.8% at 80 / 95 either way (refit per window:
    # 82.79% / 95.88%, shared: 82.83% / 95.83%), bands 0.2-0.5% wider, 42% less CPU.
    calibration_scheme = "shared"

    def __init__(self, alias: str | None = None, seed: int = 0, **params: Any) -> None:
        super().__init__(alias=alias, seed=seed, **{**DEFAULTS, **params})

    def min_length(self, freq: str) -> int:
        """Shortest series accepted: enough periods for the lags to mean something."""
        return lag_spec(freq).min_history

    def _fit(self, df: pd.DataFrame, progress: Progress | None) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when OpenMP first loads
        import lightgbm as lgb

        p = self.params
        # x: float32, LightGBM bins it
        self.maker_, x, y = tabular_training(df, self.freq, p, seed=self.seed)
        params = {k: v for k, v in p.items() if k not in _NOT_LIGHTGBM}
        params.update(
            seed=self.seed,
            deterministic=True,
            force_row_wise=True,  # required for bit-identical results with deterministic
            num_threads=self._threads(len(y)),
            verbose=-1,
        )
        total = int(p["n_estimators"])
        chunk = max(1, total // 20)

        def report(env: Any) -> None:
            done = env.iteration + 1
            if progress and (done % chunk == 0 or done == total):
                progress(done / total, f"{done}/{total}")

        names = self.maker_.feature_names
        data = lgb.Dataset(x, label=y, feature_name=names, params=params, free_raw_data=True)
        data.construct()  # binned copy made: the raw matrix can go before boosting starts
        del x
        self.booster_ = lgb.train(params, data, num_boost_round=total, callbacks=[report])

    def _threads(self, rows: int) -> int:
        """LightGBM's threads for a fit on ``rows`` rows: ``num_threads`` when given, else
        every core (``n_jobs``) from ``THREAD_ROWS`` rows and one below."""
        from forecasting.engine.parallel import n_jobs

        asked = self.params.get("num_threads")
        if asked is None and rows < THREAD_ROWS:
            return 1
        return n_jobs(None if asked is None else int(asked))

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        def ratio(x: np.ndarray) -> np.ndarray:
            return self.booster_.predict(x, num_threads=1)  # a few rows: threads only cost

        return tabular_forecast(
            self.maker_, self.train_, future, h, self.alias, ratio, self.nonnegative_
        )

    def feature_importance(self) -> pd.DataFrame:
        """Total gain per feature, largest first (for the model-explanation view)."""
        gain = self.booster_.feature_importance(importance_type="gain")
        out = pd.DataFrame({"feature": self.booster_.feature_name(), "gain": gain})
        return out.sort_values("gain", ascending=False).reset_index(drop=True)

    def components(self, h: int, future: pd.DataFrame | None = None, series=None) -> pd.DataFrame:
        """The forecast split into feature contributions in units (``models.explain``)."""
        from forecasting.models.explain import lightgbm_contributions

        return lightgbm_contributions(self, h, future, series)
