"""The engine's loop on a Dask cluster (``--engine dask``): more cores, more machines.

What runs where, and why the forecasts are the local engine's:

* A model that fits every series on its own, with its own deterministic intervals
  (:func:`splits_by_series`: ETS, ARIMA, Theta, seasonal naive) is fitted and predicted
  in **batches of series**, one task per batch. Each batch runs the local loop
  (``engine.forecast.run_models``) on its series; the one thing a batch cannot see, the
  common end every series is forecast to (the last date over *all* series), is handed
  to it. Its forecast is then the local one by construction; the client keeps the
  batches' fitted copies together as one :class:`SeriesBatches` model.
* Every other model is fitted **whole, on one worker** (one task with every series):
  global models learn across series (LightGBM, ridge, the networks), conformal bands
  pool errors over series (intermittent), Prophet's bands are draws from one random
  stream running through the series, and ``ensemble``/``auto`` contain such models.
  Such tasks run side by side with the batches, so the cluster still works on several
  models at once. A history with negative values (no clipping at zero) is fitted whole
  too: whether a model clips depends on all series together.
* Backtests run one task per (cut-off, model): each task is the local backtest of one
  window, so every model, global ones included, gives the local numbers.

The client keeps the model store: stored models are loaded and predicted on the
client, models trained on the cluster are stored under the local engine's key (the
same forecasts), so either engine reuses the other's fits. Workers use one thread per
library (``SHOPCAST_N_JOBS=1``, BLAS/OpenMP threads 1): the parallelism is the cluster's.
Dask is imported only here, and only when ``--engine dask`` is asked for.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.engine.batching import (  # noqa: F401 - part of this module's interface
    BATCHES_PER_THREAD,
    SAMPLED_BANDS,
    WORKER_ENV,
    batch_config,
    choices_task,
    one_level,
    series_batches,
    splits_by_series,
)
from forecasting.engine.cross_validation import cv_frame, failure
from forecasting.engine.forecast import (
    FitStep,
    ForecastResult,
    ModelRun,
    TrainConfig,
    data_key,
    fit_model,
    run_models,
    store_key,
)
from forecasting.engine.forecast import fitted_models as local_fitted_models
from forecasting.engine.runs import checked_levels, load_stored, merge_forecasts
from forecasting.errors import ShopcastError
from forecasting.models.base import Forecaster
from forecasting.schema import CUTOFF, DEFAULT_LEVELS, DS, ID, Y, future_dates

if TYPE_CHECKING:
    from distributed import Client

    from forecasting.engine.store import ModelStore
    from forecasting.evaluation.backtest import BacktestResult

Progress = Callable[[float, str], None]

TIMEOUT_ENV = "SHOPCAST_DASK_TIMEOUT"  # seconds to reach a scheduler (default 10)
DEFAULT_TIMEOUT = 10.0
PART_KEY = "dask-part"  # data key inside a task: workers never use the store


# ------------------------------------------------------------------ the cluster
@contextmanager
def dask_client(address: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A Dask client: to the scheduler at ``address``, or to a new local cluster.

    Args:
        address: ``tcp://HOST:PORT`` of a running ``dask scheduler``; None starts a
            ``LocalCluster`` of ``workers`` processes (one thread each) for the block.
        workers: processes of the local cluster (default: one per core).

    Raises:
        ShopcastError: ``dask_missing`` (not installed), ``dask_connect`` (no scheduler
            at ``address`` within ``SHOPCAST_DASK_TIMEOUT`` seconds, or a malformed
            address), ``dask_no_workers`` (the scheduler has no worker).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ShopcastError("dask_missing") from None
    timeout = connect_timeout()
    if address:
        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ShopcastError("dask_connect", address=address, detail=short(exc)) from None
        with client:
            wait_for_workers(client, address, timeout)
            yield client
        return
    n = int(workers or os.cpu_count() or 1)
    try:
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env=dict(WORKER_ENV),
        )
    except Exception as exc:  # noqa: BLE001 - no process could start: say so in one line
        raise ShopcastError("dask_local", workers=n, detail=short(exc)) from None
    with cluster, Client(cluster) as client:
        yield client


def connect_timeout() -> float:
    """Seconds to wait for a scheduler: ``SHOPCAST_DASK_TIMEOUT`` (default 10)."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value < float("inf") else DEFAULT_TIMEOUT


def wait_for_workers(client: Client, address: str, timeout: float) -> None:
    """Wait until the scheduler has a worker (``dask_no_workers`` after ``timeout``)."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ShopcastError("dask_no_workers", address=address, detail=short(exc)) from None


def describe(client: Client) -> tuple[str, int, int]:
    """``(scheduler address, workers, threads)`` of the cluster behind ``client``."""
    threads = client.nthreads()
    return str(client.scheduler.address), len(threads), int(sum(threads.values()))


@contextmanager
def cluster_errors(what: str) -> Iterator[None]:
    """Translate what the cluster can do wrong while running ``what`` into one
    ShopcastError: a worker that died, a lost scheduler, a worker without Shopcast."""
    from distributed.scheduler import KilledWorker

    try:
        yield
    except ShopcastError:
        raise
    except KilledWorker as exc:
        raise ShopcastError("dask_worker_died", task=what, detail=short(exc)) from None
    except ImportError as exc:  # the worker's Python lacks shopcast (or its version)
        raise ShopcastError("dask_worker_import", task=what, detail=short(exc)) from None
    except (OSError, TimeoutError, EOFError) as exc:
        raise ShopcastError("dask_lost", task=what, detail=short(exc)) from None
    except Exception as exc:
        from concurrent.futures import CancelledError

        if isinstance(exc, CancelledError):
            raise ShopcastError("dask_lost", task=what, detail=short(exc)) from None
        raise


def short(exc: BaseException) -> str:
    """``Type: first line`` of an exception (at most 200 characters)."""
    text = (str(exc).splitlines() or [""])[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------ one task, on a worker
@dataclass
class Part:
    """What a task sends back: the fitted model (and its native files), the run (its
    error as ``key, params``: exceptions do not cross processes faithfully)."""

    name: str
    run: ModelRun
    model: Forecaster | None = None
    native: dict[str, bytes] = field(default_factory=dict)
    error: tuple[str, dict] | None = None
    fitted: bool = False


def run_part(
    history: pd.DataFrame,
    freq: str,
    name: str,
    config: TrainConfig,
    future: pd.DataFrame | None,
    end: pd.Timestamp | None,
    predict: bool,
) -> Part:
    """Fit model ``name`` on ``history`` (a batch, or every series) and, with
    ``predict``, forecast it: the local loop (``run_models``), run on a worker.

    ``end`` is the common end of all series (for a batch, which may not reach it).
    """
    kept: dict[str, Forecaster | None] = {}

    def fit(n: str, progress: Progress | None) -> tuple[Forecaster | None, ModelRun]:
        model, run = fit_model(history, freq, n, config, progress, dkey=PART_KEY)
        if model is not None and end is not None:
            align_end(model, end)
        kept[n] = model
        return model, run

    with one_level():
        if predict:
            one = replace(config, models=[name])
            run = run_models(history, freq, one, future=future, dkey=PART_KEY, fit=fit)[name]
        else:
            _, run = fit(name, None)
    return to_part(name, run, kept.get(name))


def align_end(model: Forecaster, end: pd.Timestamp) -> None:
    """Set the common end ``model`` forecasts every series to (and its fallbacks')."""
    for m in (model, *getattr(model, "fallback_models_", [])):
        m.end_ = pd.Timestamp(end)


def to_part(name: str, run: ModelRun, model: Forecaster | None) -> Part:
    """``run`` and ``model`` ready to cross to the client."""
    error = (run.error.key, dict(run.error.params)) if run.error is not None else None
    part = Part(name, replace(run, error=None), error=error, fitted=model is not None)
    if model is not None:
        part.model = model
        with tempfile.TemporaryDirectory() as tmp:
            model.save_native(tmp)  # e.g. a Keras network, which pickling leaves out
            root = Path(tmp)
            part.native = {
                str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()
            }
    return part


def from_part(part: Part) -> tuple[Forecaster | None, ModelRun]:
    """The model (native files restored) and run (error rebuilt) of a task."""
    run = part.run
    if part.error is not None:
        run = replace(run, error=ShopcastError(part.error[0], **part.error[1]))
    model = part.model
    if model is not None and part.native:
        with tempfile.TemporaryDirectory() as tmp:
            for rel, data in part.native.items():
                path = Path(tmp) / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            model.load_native(tmp)
    return model, run


# ------------------------------------------------------------------ the batches
class SeriesBatches(Forecaster):
    """A per-series model fitted in batches of series: the batches' fitted copies,
    predicted one after the other and stacked. Stored under the local engine's key,
    so it stands for the model fitted at once (its forecasts are the same)."""

    name = "series_batches"

    def __init__(self, parts: Sequence[Forecaster]) -> None:
        first = parts[0]
        super().__init__(alias=first.alias, seed=first.seed, **first.params)
        self.parts = list(parts)
        self.name = first.name  # the manifest and the summary name the real model
        self.uses_drivers = first.uses_drivers
        self.native_intervals = first.native_intervals
        self.freq = first.freq
        self.end_ = getattr(first, "end_", None)
        self.drivers_ = list(getattr(first, "drivers_", []))
        self.nonnegative_ = all(getattr(p, "nonnegative_", True) for p in parts)
        self.calibration_ = {}
        self.fitted_ = True

    @property
    def train_(self) -> pd.DataFrame:  # type: ignore[override]
        return pd.concat([p.train_ for p in self.parts], ignore_index=True)

    @property
    def skipped_(self) -> list[str]:  # type: ignore[override]
        return [s for p in self.parts for s in getattr(p, "skipped_", [])]

    @property
    def fallbacks_(self) -> dict[str, str]:  # type: ignore[override]
        return {k: v for p in self.parts for k, v in getattr(p, "fallbacks_", {}).items()}

    @property
    def interval_method_(self) -> str:
        return getattr(self.parts[0], "interval_method_", "native")

    def get_params(self) -> dict[str, Any]:
        return self.parts[0].get_params()

    def clone(self) -> Forecaster:
        """An unfitted copy of the model the batches are copies of."""
        return self.parts[0].clone()

    def calibration_state(self) -> frozenset:
        return frozenset().union(*(p.calibration_state() for p in self.parts))

    def predict(
        self,
        h: int,
        future: pd.DataFrame | None = None,
        level: Sequence[int | float] | None = DEFAULT_LEVELS,
        *,
        align: bool = True,
    ) -> pd.DataFrame:
        """Every batch's forecast, stacked in the contract's order (``unique_id, ds``)."""
        out = [p.predict(h, future=future, level=level, align=align) for p in self.parts]
        return pd.concat(out, ignore_index=True).sort_values([ID, DS]).reset_index(drop=True)

    def save_native(self, folder) -> None:
        for i, p in enumerate(self.parts):
            sub = Path(folder) / f"part{i}"
            sub.mkdir(parents=True, exist_ok=True)
            p.save_native(sub)

    def load_native(self, folder) -> None:
        for i, p in enumerate(self.parts):
            p.load_native(Path(folder) / f"part{i}")


def combine(name: str, parts: list[Part]) -> tuple[Forecaster | None, ModelRun, Any]:
    """One model's tasks as one ``(model, run, forecast)``; the forecast is an error
    (ShopcastError) when predicting failed after fitting, None when not predicted."""
    opened = [from_part(p) for p in parts]
    runs = [r for _, r in opened]
    errors = [r.error for r in runs if r.error is not None]
    notes = [n for r in runs for n in getattr(r, "notes", [])]  # the same from every batch
    run = ModelRun(
        name=name,
        fit_seconds=sum(r.fit_seconds for r in runs),
        predict_seconds=sum(r.predict_seconds for r in runs),
        interval_method=runs[0].interval_method,
        skipped=[s for r in runs for s in r.skipped],
        fallbacks={k: v for r in runs for k, v in r.fallbacks.items()},
        notes=[n for i, n in enumerate(notes) if n not in notes[:i]],
    )
    if not all(p.fitted for p in parts):
        run.error = errors[0] if errors else ShopcastError("model_failed", model=name, detail="")
        return None, run, None
    models = [m for m, _ in opened]
    model = models[0] if len(models) == 1 else SeriesBatches(models)
    if errors:
        return model, run, errors[0]
    frames = [r.forecast for r in runs]
    if any(f is None for f in frames):
        return model, run, None
    fc = pd.concat(frames, ignore_index=True).sort_values([ID, DS]).reset_index(drop=True)
    return model, run, fc


def run_on_cluster(
    client: Client,
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    names: Sequence[str],
    *,
    future: pd.DataFrame | None = None,
    predict: bool = True,
    progress: Progress | None = None,
) -> dict[str, tuple[Forecaster | None, ModelRun, Any]]:
    """Fit (and predict) ``names`` on the cluster: batches or whole, all at once.

    Returns:
        Per model ``(model, run, forecast)`` as :func:`combine` gives them.
    """
    from distributed import as_completed

    if not names:
        return {}
    slots = max(1, describe(client)[2])
    end = history[DS].max()
    scattered: dict[Any, Any] = {}

    def data(ids: tuple[str, ...] | None):
        """The (scattered once) history and plan of the series ``ids`` (None: all)."""
        if ids not in scattered:
            part = history if ids is None else history[history[ID].astype(str).isin(ids)]
            plan = future
            if future is not None and ids is not None and ID in future.columns:
                plan = future[future[ID].astype(str).isin(ids)]
            scattered[ids] = (
                client.scatter(part, direct=False),
                None if plan is None else client.scatter(plan, direct=False),
            )
        return scattered[ids]

    tasks: dict[Any, tuple[str, int]] = {}
    with cluster_errors(", ".join(names)):
        for name in names:
            batches = series_batches(history, freq, name, config, slots)
            groups = [None] if batches is None else [tuple(b) for b in batches]
            shared = (
                config
                if batches is None
                else batch_config(client, history, freq, name, config, slots)
            )
            for i, ids in enumerate(groups):
                hist, plan = data(ids)
                fut = client.submit(
                    run_part,
                    hist,
                    freq,
                    name,
                    shared,
                    plan,
                    None if ids is None else end,
                    predict,
                    pure=False,
                    priority=1 if ids is None else 0,  # the long whole fits first
                )
                tasks[fut] = (name, i)
        parts: dict[str, dict[int, Part]] = {n: {} for n in names}
        for k, fut in enumerate(as_completed(list(tasks)), start=1):
            name, i = tasks[fut]
            parts[name][i] = fut.result()
            if progress:
                progress(k / len(tasks), f"{name} [{k}/{len(tasks)}]")
    return {n: combine(n, [p[i] for i in sorted(p)]) for n, p in parts.items()}


# --------------------------------------------------------------------- forecast
def stored(
    store: ModelStore | None, dkey: str, config: TrainConfig
) -> dict[str, tuple[Forecaster, ModelRun]]:
    """The models of ``config`` already in ``store`` (as ``fit_model`` loads them)."""
    out: dict[str, tuple[Forecaster, ModelRun]] = {}
    if store is None:
        return out
    for name in config.models:
        run = ModelRun(name=name)
        model = load_stored(run, store, store_key(dkey, name, config))
        if model is not None:
            out[name] = (model, run)
    return out


def fit_all(
    client: Client,
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    store: ModelStore | None,
    *,
    future: pd.DataFrame | None = None,
    predict: bool = True,
    progress: Progress | None = None,
) -> tuple[str, FitStep, dict[str, tuple[Forecaster | None, ModelRun, Any]]]:
    """Every model of ``config`` loaded from ``store`` or fitted (and, with ``predict``,
    predicted) on the cluster, for the local loop (``run_models``, ``model_session``).

    Returns:
        ``(dkey, fit, done)``: the data key; ``fit(name, progress) -> (model, run)``,
        which stores a model trained on the cluster under the local key as it hands it
        over; and per model trained on the cluster ``(model, run, forecast)``
        (:func:`combine`).
    """
    dkey = data_key(history, freq)
    loaded = stored(store, dkey, config)
    todo = [n for n in config.models if n not in loaded]
    done = run_on_cluster(
        client, history, freq, config, todo, future=future, predict=predict, progress=progress
    )

    def fit(name: str, _progress: Progress | None = None) -> tuple[Forecaster | None, ModelRun]:
        if name in loaded:
            return loaded[name]
        model, run, _ = done[name]
        keep(store, dkey, name, config, model, run, freq)
        return model, run

    return dkey, fit, done


def forecast(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    client: Client,
    future: pd.DataFrame | None = None,
    progress: Progress | None = None,
    store: ModelStore | None = None,
) -> ForecastResult:
    """``engine.forecast.forecast`` on a Dask cluster: the same forecasts.

    Models in ``store`` are loaded and predicted here; the others are fitted and
    predicted on the cluster (:func:`run_on_cluster`) and stored under the local key.

    Raises:
        ShopcastError: as the local ``forecast``, and the cluster's errors
            (:func:`cluster_errors`).
    """
    levels = checked_levels(config)

    def tell(frac: float, label: str) -> None:
        if progress:
            progress(frac, label)

    # 90% of the bar for the cluster's work, when there is any (it reports only then)
    dkey, fit, done = fit_all(
        client, history, freq, config, store, future=future, progress=lambda f, s: tell(f * 0.9, s)
    )
    share = 0.9 if done else 0.0
    seconds = {n: run.predict_seconds for n, (_, run, _) in done.items()}

    def predict(name: str, model: Forecaster) -> pd.DataFrame:
        if name in done:
            fc = done[name][2]
            if isinstance(fc, ShopcastError):
                raise fc
            if fc is not None:
                return fc
        return model.predict(config.horizon, future=future, level=levels)

    def on_run(run: ModelRun) -> None:
        if run.name in seconds:  # the worker's time, not the hand-over's
            run.predict_seconds = seconds[run.name]

    runs = run_models(
        history,
        freq,
        config,
        future=future,
        store=store,
        dkey=dkey,
        fit=fit,
        predict=predict,
        on_step=lambda s: tell(share + (1 - share) * s.fraction, f"{s.model}: {s.label}"),
        on_run=on_run,
    )
    return ForecastResult(forecast=merge_forecasts(runs), runs=runs)


def keep(
    store: ModelStore | None,
    dkey: str,
    name: str,
    config: TrainConfig,
    model: Forecaster | None,
    run: ModelRun,
    freq: str,
) -> None:
    """Store a model trained on the cluster under the local engine's key."""
    if store is not None and model is not None and run.source == "trained":
        meta = {"data_key": dkey, "fit_seconds": run.fit_seconds, "freq": freq}
        store.save(store_key(dkey, name, config), model, meta)


@contextmanager
def fitted_models(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    client: Client,
    *,
    store: ModelStore | None = None,
    progress: Progress | None = None,
) -> Iterator[list[tuple[str, Forecaster | None, ModelRun]]]:
    """``engine.forecast.fitted_models`` with the fitting on the cluster: every model of
    ``config`` fitted (or loaded from ``store``), for callers that predict them together
    here (what-if scenarios). Leaving the block saves the models whose calibration grew.
    """
    dkey, fit, _ = fit_all(client, history, freq, config, store, predict=False, progress=progress)
    with local_fitted_models(history, freq, config, store=store, dkey=dkey, fit=fit) as out:
        yield out


# --------------------------------------------------------------------- backtest
def backtest(
    history: pd.DataFrame,
    freq: str,
    models: Sequence[str],
    h: int,
    client: Client,
    n_windows: int = 3,
    step: int | None = None,
    levels: Sequence[int] = (80, 95),
    model_params: dict[str, dict] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    future: pd.DataFrame | None = None,
    min_train: int | None = None,
) -> BacktestResult:
    """``evaluation.backtest.backtest`` on a Dask cluster: one task per (cut-off, model).

    A task is the local backtest of one window (the history up to the window's last
    date), so every model gives the local numbers; ``ensemble`` and ``auto`` share a
    task, as they share their member backtest locally.

    Raises:
        ShopcastError: as the local ``backtest``, and the cluster's errors.
    """
    from distributed import as_completed

    from forecasting.engine.splits import check_windows
    from forecasting.evaluation.backtest import SELECTORS, backtest_settings
    from forecasting.evaluation.backtest import backtest as local_backtest

    models, min_train = backtest_settings(models, freq, min_train)
    cuts = check_windows(history, h, n_windows, freq, step, min_train)
    ends = [future_dates(c, h, freq)[-1] for c in cuts]
    common = dict(step=step, levels=levels, model_params=model_params, seed=seed, future=future)
    if not pd.Index(ends).isin(history[DS].unique()).all():
        # a window ends on a date no series has: cut there, its history would end early
        return local_backtest(
            history, freq, models, h, n_windows, progress=progress, **common, min_train=min_train
        )
    groups = [[m] for m in models if m not in SELECTORS]
    groups += [[m for m in models if m in SELECTORS]] if set(models) & set(SELECTORS) else []
    tasks: dict[Any, tuple[int, list[str]]] = {}
    results: dict[tuple[int, int], Any] = {}
    with cluster_errors("backtest"):
        for w, (cut, end) in enumerate(zip(cuts, ends, strict=True)):
            past = client.scatter(history[history[DS] <= end], direct=False)
            for g, names in enumerate(groups):
                fut = client.submit(window_task, past, freq, names, h, cut, common, pure=False)
                tasks[fut] = (w, g)
        for k, fut in enumerate(as_completed(list(tasks)), start=1):
            results[tasks[fut]] = fut.result()
            if progress:
                progress(k / len(tasks), f"backtest [{k}/{len(tasks)}]")
    return assemble(
        history, freq, models, h, n_windows, step, levels, cuts, groups, results
    ).checked()


def window_task(
    past: pd.DataFrame, freq: str, names: list[str], h: int, cut: pd.Timestamp, common: dict
) -> tuple[Any, list[dict], pd.DataFrame, dict[str, float]]:
    """The local backtest of one window (cut-off ``cut``, the last ``h`` periods of
    ``past``), on a worker.

    Returns:
        ``(cv or None, failures, explanations, seconds)``.
    """
    from forecasting.evaluation.backtest import BacktestFailed
    from forecasting.evaluation.backtest import backtest as local_backtest

    try:
        with one_level():
            res = local_backtest(past, freq, names, h, 1, **common, min_train=1)
    except BacktestFailed as exc:  # every model of the task failed on this window
        key, params = ("backtest_all_failed", {})
        if exc.cause is not None:
            key, params = exc.cause.key, dict(exc.cause.params)
        fails = [failure(n, cut, key, params) for n in names]
        return None, fails, pd.DataFrame(), {}
    return res.cv, res.failures, res.explanations, res.seconds


def assemble(history, freq, models, h, n_windows, step, levels, cuts, groups, results):
    """The tasks' windows as the local backtest's one result (same rows, same order)."""
    from forecasting.evaluation.backtest import BacktestResult

    frames, failures, explained = [], [], []
    seconds = dict.fromkeys(models, 0.0)
    order = {m: i for i, m in enumerate(models)}
    for w, cut in enumerate(cuts):
        actual = history[history[DS].isin(future_dates(cut, h, freq))]
        frame = actual[[ID, DS, Y]].assign(**{CUTOFF: cut})
        cols: dict[str, pd.DataFrame] = {}
        fails = []
        for g in range(len(groups)):
            cv, fail, expl, secs = results[(w, g)]
            fails += fail
            if len(expl):
                explained.append(expl)
            for m, s in secs.items():
                seconds[m] += s
            if cv is not None:
                for m in groups[g]:
                    own = [c for c in cv.columns if c == m or c.startswith(f"{m}-")]
                    if m in cv.columns:
                        cols[m] = cv[[ID, DS, *own]]
        for m in models:  # the local order: each model's columns as it forecast
            if m in cols:
                frame = frame.merge(cols[m], on=[ID, DS], how="left")
        failures += sorted(fails, key=lambda f: order.get(f["model"], 0))
        frames.append(frame)
    return BacktestResult.from_windows(
        cv_frame(frames), models, h, n_windows, step, freq, levels, failures, explained, seconds
    )
