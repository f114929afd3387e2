"""The train -> forecast pipeline shared by the CLI and the dashboard.

One model at a time, each result cached on disk (``persistence.ModelStore``)
under a key made of the data's content hash and the model's configuration, so
the same data + settings never retrain.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DEFAULT_LEVELS, DS, ID, validate_levels

if TYPE_CHECKING:
    from forecasting.engine.store import ModelStore
    from forecasting.models.base import Forecaster

Progress = Callable[[float, str], None]
PIPELINE_VERSION = 1  # bump when training semantics change, to invalidate stored models


@dataclass
class TrainConfig:
    """What to train and how.

    Attributes:
        models: registry names, e.g. ``["seasonal_naive", "lightgbm"]``.
        horizon: periods to forecast.
        levels: interval levels in percent.
        model_params: per-model constructor parameters, e.g. ``{"mlp": {"epochs": 20}}``.
        seed: random seed for every model.
    """

    models: list[str]
    horizon: int
    levels: list[int] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    model_params: dict[str, dict] = field(default_factory=dict)
    seed: int = 0

    def model_key(self, name: str) -> str:
        """Stable hash of everything that changes the fitted model ``name``."""
        blob = {
            "v": PIPELINE_VERSION,
            "model": name,
            "seed": self.seed,
            "params": self.model_params.get(name, {}),
        }
        return _hash(json.dumps(blob, sort_keys=True, default=str).encode())[:16]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


@dataclass
class ModelRun:
    """Outcome of training (or loading) one model."""

    name: str
    forecast: pd.DataFrame | None = None
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    source: str = "trained"  # "trained" | "disk"
    error: ShopcastError | None = None
    skipped: list[str] = field(default_factory=list)
    interval_method: str = ""


@dataclass
class ForecastResult:
    """All models' forecasts merged into one contract frame."""

    forecast: pd.DataFrame
    runs: dict[str, ModelRun]

    @property
    def errors(self) -> dict[str, ShopcastError]:
        return {n: r.error for n, r in self.runs.items() if r.error is not None}

    @property
    def models(self) -> list[str]:
        return [n for n, r in self.runs.items() if r.forecast is not None]


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_key(history: pd.DataFrame, freq: str) -> str:
    """SHA-256 of the history's content (values, column names, frequency)."""
    h = hashlib.sha256()
    h.update(freq.encode())
    h.update(json.dumps([str(c) for c in history.columns]).encode())
    h.update(pd.util.hash_pandas_object(history, index=False).to_numpy().tobytes())
    return h.hexdigest()


def store_key(dkey: str, name: str, config: TrainConfig) -> str:
    """Key of a fitted model in the store."""
    return f"{name}-{dkey[:24]}-{config.model_key(name)}"


def fit_model(
    history: pd.DataFrame,
    freq: str,
    name: str,
    config: TrainConfig,
    progress: Progress | None = None,
    store: ModelStore | None = None,
    dkey: str | None = None,
) -> tuple[Forecaster | None, ModelRun]:
    """Train model ``name`` on ``history`` or load it from ``store``.

    Errors a user can cause (too short history, ...) come back in
    ``ModelRun.error``; they never escape as exceptions.
    """
    from forecasting.models import create

    run = ModelRun(name=name)
    dkey = dkey or data_key(history, freq)
    key = store_key(dkey, name, config)
    if store is not None:
        model = store.load(key)
        if model is not None:
            run.source = "disk"
            meta = store.read_meta(key) or {}
            run.fit_seconds = float(meta.get("fit_seconds", 0.0))
            run.skipped = list(getattr(model, "skipped_", []))
            return model, run
    try:
        model = create(name, seed=config.seed, **config.model_params.get(name, {}))
        t0 = time.perf_counter()
        model.fit(history, freq=freq, progress=progress)
        run.fit_seconds = time.perf_counter() - t0
    except ShopcastError as exc:
        run.error = exc
        return None, run
    except Exception as exc:  # noqa: BLE001 - a model failing on odd data must not take the app down
        run.error = ShopcastError("model_failed", model=name, detail=_short(exc))
        return None, run
    run.skipped = list(model.skipped_)
    if store is not None:
        store.save(key, model, {"data_key": dkey, "fit_seconds": run.fit_seconds, "freq": freq})
    return model, run


@contextmanager
def keeping_calibration(
    model: Forecaster, store: ModelStore | None, key: str | None, meta: dict | None = None
) -> Iterator[None]:
    """Save ``model`` again after the block if its band calibration grew.

    Conformal calibration (refits on earlier cut-offs) happens on the first predict
    for a horizon; saving it means a restart does not pay for those refits twice.
    ``meta`` defaults to what the store already holds for ``key``.
    """
    before = model.calibration_state()
    yield
    if store is None or not key or not (model.calibration_state() - before):
        return
    if meta is None:
        old = store.read_meta(key) or {}
        if not old:
            return
        meta = {k: old[k] for k in ("data_key", "fit_seconds", "freq") if k in old}
    store.save(key, model, meta)


def predict_model(
    model: Forecaster,
    config: TrainConfig,
    future: pd.DataFrame | None = None,
    store: ModelStore | None = None,
    key: str | None = None,
) -> pd.DataFrame:
    """Forecast ``config.horizon`` steps with a fitted model.

    Conformal calibration (refits on earlier cut-offs) happens on the first
    predict for a horizon; when ``store``/``key`` are given the model is saved
    again with it, so a restart does not pay for those refits twice.
    """
    levels = validate_levels(config.levels)
    with keeping_calibration(model, store, key):
        return model.predict(config.horizon, future=future, level=levels)


def forecast(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    future: pd.DataFrame | None = None,
    progress: Progress | None = None,
    store: ModelStore | None = None,
) -> ForecastResult:
    """Train (or load) every model in ``config`` and merge their forecasts.

    Args:
        history: contract frame.
        freq: its frequency.
        config: models, horizon, levels, params.
        future: driver plan for the forecast dates.
        progress: ``callback(fraction, label)``; fractions cover all models.
        store: on-disk model cache (optional).
    """
    if not config.models:
        raise ShopcastError("no_models")
    if config.horizon < 1:
        raise ShopcastError("bad_horizon", h=config.horizon)
    validate_levels(config.levels)
    dkey = data_key(history, freq)
    runs: dict[str, ModelRun] = {}
    merged: pd.DataFrame | None = None
    n = len(config.models)
    for i, name in enumerate(config.models):

        def sub(frac: float, label: str, i: int = i, name: str = name) -> None:
            if progress:
                progress(min(1.0, (i + max(0.0, min(frac, 1.0))) / n), f"{name}: {label}")

        sub(0.0, "start")
        model, run = fit_model(history, freq, name, config, sub, store, dkey)
        if model is not None:
            try:
                t0 = time.perf_counter()
                run.forecast = predict_model(
                    model, config, future, store, store_key(dkey, name, config)
                )
                run.predict_seconds = time.perf_counter() - t0
                run.interval_method = getattr(model, "interval_method_", "native")
            except ShopcastError as exc:
                run.error = exc
            except Exception as exc:  # noqa: BLE001
                run.error = ShopcastError("model_failed", model=name, detail=_short(exc))
        runs[name] = run
        if run.forecast is not None:
            fc = run.forecast
            merged = fc if merged is None else merged.merge(fc, on=[ID, DS], how="outer")
        sub(1.0, "done")
    if merged is None:
        merged = pd.DataFrame(columns=[ID, DS])
    merged = merged.sort_values([ID, DS]).reset_index(drop=True)
    return ForecastResult(forecast=merged, runs=runs)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def run_summary(result: ForecastResult) -> pd.DataFrame:
    """One row per model: fit/predict seconds, source, skipped series, error key."""
    rows: list[dict[str, Any]] = []
    for name, r in result.runs.items():
        rows.append(
            {
                "model": name,
                "fit_seconds": round(r.fit_seconds, 3),
                "predict_seconds": round(r.predict_seconds, 3),
                "source": r.source,
                "intervals": r.interval_method,
                "skipped_series": len(r.skipped),
                "error": r.error.key if r.error else "",
            }
        )
    return pd.DataFrame(rows)
