"""Training in the session: one model at a time, each result kept as soon as it is done.

Stopping (any click reruns the script) interrupts the model being trained;
models finished before are already the session's result (``state.keep_result``), in the
Streamlit caches and in the on-disk model store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from forecasting.engine.parallel import Eta
from forecasting.errors import ShopcastError
from forecasting.i18n import DEFAULT_LANG, t
from forecasting.schema import DS, ID

if TYPE_CHECKING:
    from forecasting.engine.forecast import ModelRun, TrainConfig

OnProgress = Callable[[float, str, int, str], None]  # fraction, model, index, library label


@dataclass(frozen=True)
class RunInfo:
    """What the Train page shows about one model of the latest training."""

    name: str
    status: str  # "trained" | "disk" | "cache" | "failed"
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    skipped: int = 0
    fallbacks: int = 0  # series forecast by a simpler model of the fallback chain
    error: ShopcastError | None = None
    notes: tuple = ()  # ``(i18n key, params)``: what the model changed to stay in budget


@dataclass
class Result:
    """A forecast and everything needed to draw it, independent of later data changes."""

    data_name: str
    level: str
    freq: str
    config: TrainConfig
    history: pd.DataFrame
    forecast: pd.DataFrame
    runs: dict[str, RunInfo] = field(default_factory=dict)
    data_key: str = ""
    plan_name: str = ""
    created: str = field(default_factory=lambda: datetime.now().strftime("%Y-%m-%d %H:%M"))

    @property
    def models(self) -> list[str]:
        """Models with a forecast, in training order."""
        return [n for n in self.config.models if n in self.forecast.columns]

    @property
    def series(self) -> list[str]:
        """Series ids of the forecast, biggest history first."""
        fc_ids = set(self.forecast[ID].astype(str))
        sizes = self.history.groupby(ID, observed=True)["y"].sum().sort_values(ascending=False)
        ordered = [str(s) for s in sizes.index if str(s) in fc_ids]
        return ordered + sorted(fc_ids - set(ordered))


def check_horizon(history: pd.DataFrame, horizon: int) -> None:
    """Refuse a horizon longer than half of the longest series.

    Raises:
        ShopcastError: ``horizon_too_long`` with the longest length and the maximum.
    """
    if horizon < 1:
        raise ShopcastError("bad_horizon", h=horizon)
    n = int(history.groupby(ID, observed=True).size().max()) if len(history) else 0
    most = max(1, n // 2)
    if horizon > most:
        raise ShopcastError("horizon_too_long", h=horizon, n=n, max=most)


def train(
    history: pd.DataFrame,
    freq: str,
    config: TrainConfig,
    *,
    data_name: str,
    level: str,
    future: pd.DataFrame | None = None,
    on_progress: OnProgress | None = None,
    on_result: Callable[[Result], None] | None = None,
    on_run: Callable[[RunInfo], None] | None = None,
    lang: str = DEFAULT_LANG,
) -> tuple[Result | None, dict[str, RunInfo]]:
    """Train (or fetch from the caches) each model of ``config`` in turn.

    Args:
        history: contract frame to train on.
        freq: its frequency.
        config: models, horizon, levels, params.
        data_name: file name, shown with the result.
        level: forecast level ("total" or an id column), shown with the result.
        future: planned drivers (prices, promotions) for the forecast dates.
        on_progress: ``callback(fraction, model, index, label)`` for the progress bar.
        on_result: called with the growing ``Result`` after every successful model,
            so an interrupted training keeps what is done.
        on_run: called with each model's ``RunInfo`` as soon as it is known.
        lang: language of the progress label (the time left, see :func:`progress_label`).

    Returns:
        The result (None when no model succeeded) and every model's ``RunInfo``.

    Raises:
        ShopcastError: no model chosen, bad horizon or levels (before any training).
    """
    from forecasting.engine import forecast as pipeline
    from forecasting.schema import validate_levels

    if not config.models:
        raise ShopcastError("no_models")
    validate_levels(config.levels)
    check_horizon(history, config.horizon)
    dkey = pipeline.data_key(history, freq)
    fkey = pipeline.data_key(future, freq) if future is not None and len(future) else ""
    fit, predict = _cached_steps(history, freq, config, dkey, future if fkey else None, fkey)
    runs: dict[str, RunInfo] = {}
    result: Result | None = None

    clock = Eta()

    def on_step(step: pipeline.ModelStep) -> None:
        own = step.fraction * step.n_models - step.index  # this model's own fraction
        if step.phase == "start":
            clock.start = None  # each model's time left from its own pace
        if on_progress:
            detail = step.detail
            if step.phase == "bands":  # conformal refits after the fit
                detail = t("scale.bands", lang, done=detail).strip(" ·")
            label = progress_label(detail, clock, own, lang)
            on_progress(step.fraction, step.model, step.index, label)

    def model_done(run: pipeline.ModelRun) -> None:
        nonlocal result
        info = run_info(run)
        runs[run.name] = info
        if on_run:
            on_run(info)
        fc = run.forecast
        if fc is not None:
            if result is None:
                result = Result(data_name, level, freq, replace(config), history, fc, data_key=dkey)
            else:
                result.forecast = result.forecast.merge(fc, on=[ID, DS], how="outer")
            result.runs = dict(runs)
            if on_result:
                on_result(result)

    pipeline.run_models(
        history,
        freq,
        config,
        dkey=dkey,
        fit=fit,
        predict=predict,
        on_step=on_step,
        on_run=model_done,
    )
    if result is not None:
        result.config = replace(config, models=[m for m in config.models if m in result.models])
        result.runs = dict(runs)
        if on_result:
            on_result(result)
    return result, runs


def progress_label(detail: str, clock: Eta, fraction: float, lang: str) -> str:
    """A model's progress label with the time it has left: ``"240/1000 · 剩余约 0:35"``.

    The time left extrapolates the model's pace so far (``clock`` restarts at each
    model); while there is too little to go on, the model's own label alone.
    """
    from forecasting.engine.parallel import clock as as_clock

    left = clock.remaining(fraction)
    if not detail or left is None:
        return detail
    return t("scale.progress", lang, done=detail, left=as_clock(left))


def run_info(run: ModelRun) -> RunInfo:
    """What the Train page shows about a model run of the engine's loop."""
    if run.error is not None or run.forecast is None:
        return RunInfo(run.name, "failed", run.fit_seconds, error=run.error)
    return RunInfo(
        run.name,
        run.source,
        run.fit_seconds,
        run.predict_seconds,
        len(run.skipped),
        len(getattr(run, "fallbacks", None) or {}),
        notes=tuple(getattr(run, "notes", None) or ()),
    )


def _cached_steps(history, freq, config, dkey, future, fkey):
    """The loop's fit and predict steps through the app's caches (memory, then disk).

    Fitting returns a copy of the cached run (status "cache", "disk" or "trained" in
    ``source``): the loop writes the forecast into it, never into the shared one.
    """
    from forecasting.ui import cache

    def fit(name: str, progress) -> tuple:
        model, run, status = cache.fitted_model(history, freq, name, config, dkey, progress)
        return model, replace(run, source=status)

    def predict(name: str, model) -> pd.DataFrame:
        try:
            return cache.predicted(model, name, config, dkey, future, fkey)
        except ShopcastError:
            raise
        except Exception as exc:  # noqa: BLE001 - one failing model must not stop the others
            from forecasting.ui.messages import short_error

            raise ShopcastError("model_failed", model=name, detail=short_error(exc)) from exc

    return fit, predict
