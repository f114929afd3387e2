"""The train -> forecast loop shared by the CLI, the dashboard and pre-warming.

One model at a time (:func:`run_models`): fit or load it, predict, and save it
again when predicting calibrated its bands. Each model is cached on disk
(``engine.store.ModelStore``) under a key made of the data's content hash and the
model's configuration, so the same data + settings never retrain.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.engine.runs import checked_levels, load_stored, merge_forecasts
from forecasting.errors import ShopcastError
from forecasting.schema import DEFAULT_LEVELS, validate_levels

if TYPE_CHECKING:
    from forecasting.engine.store import ModelStore
    from forecasting.models.base import Forecaster

Progress = Callable[[float, str], None]
PIPELINE_VERSION = 5  # bump when training semantics change, to invalidate stored models
# 4 (stop 32): the panel guard, common-row scores and the season rules of the bands (stops
# 18-32) change what a stored ensemble/auto or a calibrated single model holds.
# 5 (stop 34): a single model's stored calibration errors are divided by their dates'
# seasonal difficulty (``base.BAND_SEASON``); older ones would be widened twice over.


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
    source: str = "trained"  # "trained" | "disk" | "cache" (the app's memory)
    error: ShopcastError | None = None
    skipped: list[str] = field(default_factory=list)  # series with no forecast at all
    interval_method: str = ""
    # series -> the fallback that forecast it (``Forecaster.fallbacks_``): "seasonal_naive",
    # "season_mean", or "equal_weights" (ensemble/auto: members averaged, no backtest)
    fallbacks: dict[str, str] = field(default_factory=dict)
    # what the model changed to stay within budget (``Forecaster.notes_``): ``(i18n key,
    # params)`` pairs, e.g. an ensemble on a big catalogue backtesting a sample of series
    notes: list[tuple[str, dict]] = field(default_factory=list)


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
        model = load_stored(run, store, key)
        if model is not None:
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
    run.fallbacks = dict(getattr(model, "fallbacks_", {}))
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


@dataclass(frozen=True)
class ModelStep:
    """Where the loop is: handed to ``on_step`` callbacks (progress bars).

    Attributes:
        fraction: overall progress in [0, 1] (all models).
        model: registry name of the model being trained.
        index: its position in ``config.models``.
        n_models: number of models.
        detail: the model's own progress label while fitting ("" at start and end).
        phase: ``"start"``, ``"fit"``, ``"bands"`` (calibrating the bands) or ``"done"``.
    """

    fraction: float
    model: str
    index: int
    n_models: int
    detail: str = ""
    phase: str = "fit"

    @property
    def label(self) -> str:
        """The model's own label while fitting (``"± ..."`` while calibrating its bands),
        else the phase (``"start"``/``"done"``)."""
        if self.phase == "bands":
            return f"± {self.detail}".strip()
        return self.detail if self.phase == "fit" else self.phase


FitStep = Callable[[str, Progress], "tuple[Forecaster | None, ModelRun]"]
PredictStep = Callable[[str, "Forecaster"], pd.DataFrame]
Lock = Callable[[str], AbstractContextManager]


@contextmanager
def model_session(
    history: pd.DataFrame,
    freq: str,
    name: str,
    config: TrainConfig,
    *,
    dkey: str,
    store: ModelStore | None = None,
    lock: Lock | None = None,
    fit: FitStep | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[Forecaster | None, ModelRun]]:
    """One model's turn in the loop: fit or load it, let the caller predict, keep it.

    Under ``lock(store key)`` (when given) the model is fitted or loaded from
    ``store`` (``fit`` replaces :func:`fit_model`), handed to the block as
    ``(model, run)`` (model None when it failed, the reason in ``run.error``), and
    saved again after the block if its band calibration grew there.
    """
    key = store_key(dkey, name, config)
    with lock(key) if lock else nullcontext():
        if fit is not None:
            model, run = fit(name, progress)
        else:
            model, run = fit_model(history, freq, name, config, progress, store, dkey)
        if model is None:
            yield None, run
            return
        meta = {"data_key": dkey, "fit_seconds": run.fit_seconds, "freq": freq}
        with keeping_calibration(model, store, key, meta):
            yield model, run


def run_models(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    *,
    future: pd.DataFrame | None = None,
    store: ModelStore | None = None,
    dkey: str | None = None,
    lock: Lock | None = None,
    fit: FitStep | None = None,
    predict: PredictStep | None = None,
    on_step: Callable[[ModelStep], None] | None = None,
    on_run: Callable[[ModelRun], None] | None = None,
) -> dict[str, ModelRun]:
    """The one train -> predict -> keep loop, one model at a time (CLI, app, pre-warming).

    Each model of ``config`` is fitted or loaded (:func:`model_session`), predicts
    the horizon (``predict``, default ``model.predict`` with ``future`` and
    ``config.levels``) and is saved again when that calibrated its bands. Errors a
    user can cause end in ``ModelRun.error``, never as exceptions.

    Args:
        history: contract frame.
        freq: its frequency.
        config: models, horizon, levels, params.
        future: driver plan for the forecast dates (for the default ``predict``).
        store: on-disk model store (optional).
        dkey: ``data_key(history, freq)`` when the caller has it.
        lock: ``lock(store key)`` -> context manager held while a model is fitted,
            predicted and saved (so a concurrent caller waits and loads it).
        fit: ``fit(name, progress) -> (model, run)``, replaces :func:`fit_model`.
        predict: ``predict(name, model) -> forecast``.
        on_step: receives a :class:`ModelStep` at each model's start, during its
            fit and at its end.
        on_run: called with each model's ``ModelRun`` as soon as it is complete.

    Returns:
        ``ModelRun`` per model, in order, each with its forecast or its error.
    """
    dkey = dkey or data_key(history, freq)
    levels = validate_levels(config.levels)
    n = len(config.models)
    runs: dict[str, ModelRun] = {}

    def default(name: str, model: Forecaster) -> pd.DataFrame:
        return model.predict(config.horizon, future=future, level=levels)

    for i, name in enumerate(config.models):

        def tell(frac: float, detail: str = "", phase: str = "fit", i: int = i, name=name) -> None:
            if on_step:
                fraction = min(1.0, (i + max(0.0, min(float(frac), 1.0))) / n)
                on_step(ModelStep(fraction, name, i, n, str(detail), phase))

        tell(0.0, phase="start")
        share = fit_share(name, levels)  # of the model's bar for its fit; then its bands

        def fitting(frac: float, detail: str = "", share: float = share, tell=tell) -> None:
            tell(share * frac, detail)

        session = model_session(
            history,
            freq,
            name,
            config,
            dkey=dkey,
            store=store,
            lock=lock,
            fit=fit,
            progress=fitting,
        )
        with session as (model, run):
            if model is not None:
                t0 = time.perf_counter()
                calibrated(model, config.horizon, levels, share, tell)
                bands = time.perf_counter() - t0
                run = _predicted(run, name, model, predict or default)
                run.predict_seconds += bands  # the calibration is part of the forecast
        runs[name] = run
        if on_run:
            on_run(run)
        tell(1.0, phase="done")
    return runs


def fit_share(name: str, levels: list) -> float:
    """The part of a model's progress bar its fit takes; the rest is its band calibration
    (conformal refits, which would otherwise run inside the forecast with the bar still)."""
    from forecasting.models import get_class

    try:
        model = get_class(name)()
    except Exception:  # noqa: BLE001 - an unknown model fails in its fit, with its message
        return 1.0
    cost = model.calibration_cost() if levels else 0.0
    return 1.0 / (1.0 + cost)


def calibrated(model: Forecaster, h: int, levels: list, share: float, tell: Callable) -> None:
    """Calibrate ``model``'s bands for ``h`` before its forecast, so the progress bar moves
    through the refits (phase ``"bands"``). A failure is left to the forecast to report."""
    if not levels or share >= 1.0 or not model.needs_calibration(h):
        return

    def step(frac: float, detail: str = "") -> None:
        tell(share + (1.0 - share) * frac, detail, phase="bands")

    try:
        model.calibrate(h, progress=step)
    except Exception:  # noqa: BLE001, S110 - the forecast calibrates again and says why
        pass


def _predicted(run: ModelRun, name: str, model: Forecaster, predict: PredictStep) -> ModelRun:
    """``run`` with the model's forecast, timing and interval method, or its error."""
    try:
        t0 = time.perf_counter()
        run.forecast = predict(name, model)
        run.predict_seconds = time.perf_counter() - t0
        run.interval_method = getattr(model, "interval_method_", "native")
        # predicting may add fallbacks (a series the model left without numbers)
        run.skipped = list(getattr(model, "skipped_", run.skipped))
        run.fallbacks = dict(getattr(model, "fallbacks_", run.fallbacks))
        run.notes = list(getattr(model, "notes_", run.notes))
    except ShopcastError as exc:
        run.error = exc
    except Exception as exc:  # noqa: BLE001 - a model failing on odd data must not take the app down
        run.error = ShopcastError("model_failed", model=name, detail=_short(exc))
    return run


@contextmanager
def fitted_models(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    *,
    store: ModelStore | None = None,
    dkey: str | None = None,
    fit: FitStep | None = None,
) -> Iterator[list[tuple[str, Forecaster | None, ModelRun]]]:
    """Every model of ``config`` fitted or loaded at once, for callers that predict them
    together (what-if scenarios): each is a :func:`model_session` of the same loop, so
    on leaving the block every model whose calibration grew is saved again.

    Yields:
        ``(name, model, run)`` per model, in order; model None when it failed.
    """
    dkey = dkey or data_key(history, freq)
    with ExitStack() as stack:
        yield [
            (
                name,
                *stack.enter_context(
                    model_session(history, freq, name, config, dkey=dkey, store=store, fit=fit)
                ),
            )
            for name in config.models
        ]


def forecast(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    future: pd.DataFrame | None = None,
    progress: Progress | None = None,
    store: ModelStore | None = None,
    *,
    lock: Lock | None = None,
) -> ForecastResult:
    """Train (or load) every model in ``config`` and merge their forecasts.

    Args:
        history: contract frame.
        freq: its frequency.
        config: models, horizon, levels, params.
        future: driver plan for the forecast dates.
        progress: ``callback(fraction, label)``; fractions cover all models.
        store: on-disk model cache (optional).
        lock: per-model lock (see :func:`run_models`).
    """
    checked_levels(config)

    def on_step(step: ModelStep) -> None:
        if progress:
            progress(step.fraction, f"{step.model}: {step.label}")

    runs = run_models(history, freq, config, future=future, store=store, lock=lock, on_step=on_step)
    return ForecastResult(forecast=merge_forecasts(runs), runs=runs)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def run_summary(result: ForecastResult) -> pd.DataFrame:
    """One row per model: fit/predict seconds, source, interval method, error key, and
    ``skipped_series`` (series with no forecast: no data at all) and
    ``fallback_series`` (series forecast by a fallback: ``ModelRun.fallbacks``) with
    ``fallbacks`` naming the chain's models used, e.g. ``seasonal_naive=30``."""
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
                "fallback_series": len(r.fallbacks),
                "fallbacks": ", ".join(
                    f"{k}={v}" for k, v in sorted(Counter(r.fallbacks.values()).items())
                ),
                "error": r.error.key if r.error else "",
            }
        )
    return pd.DataFrame(rows)
