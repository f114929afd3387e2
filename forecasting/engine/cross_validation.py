"""Rolling-origin cross-validation over model *instances*.

For each cut-off, every model is cloned unfitted, refitted on the history up to
the cut-off (never seeing later data) and forecasts the next ``h`` periods with
the drivers really in force then (``splits.apply_plan`` can replace them with a
plan). The engine never builds models from names: callers hand it instances
(``evaluation.backtest`` creates them from the registry at its boundary; an
``ensemble`` hands over its members).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.engine.splits import apply_plan, check_windows
from forecasting.errors import ShopcastError
from forecasting.schema import CUTOFF, DS, ID, Y, future_dates, validate_levels

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Step:
    """Where a cross-validation is: handed to ``report`` callbacks (progress bars).

    Attributes:
        fraction: overall progress in [0, 1].
        model: name of the model being fitted ("" once finished).
        window: 1-based window number.
        n_windows: number of windows.
        cutoff: the window's cut-off date.
        detail: the model's own progress label (e.g. an ensemble member), may be "".
    """

    fraction: float
    model: str
    window: int
    n_windows: int
    cutoff: pd.Timestamp | None
    detail: str = ""

    @property
    def label(self) -> str:
        """Plain-text label, e.g. ``"ets @ 2024-05-01 (2/3)"``."""
        if not self.model:
            return "done"
        day = self.cutoff.date() if self.cutoff is not None else ""
        extra = f": {self.detail}" if self.detail else ""
        return f"{self.model} @ {day} ({self.window}/{self.n_windows}){extra}"


Report = Callable[[Step], None]
# (model index, history up to the cut-off, progress, models already fitted on this
# window by index) -> the fitted model for this window
FitStep = Callable[[int, pd.DataFrame, Progress, dict], "Forecaster"]
OnForecast = Callable[[int, "Forecaster", pd.Timestamp], None]


@dataclass
class CrossValidation:
    """A cross-validation and what happened while running it.

    Attributes:
        cv: ``unique_id, ds, cutoff, y`` and each model's columns (point + bands).
        names: the models' names, in order.
        failures: one dict per failed (model, window): ``model, cutoff, key, params``.
        seconds: fit + predict wall time per model (by position), summed over windows.
    """

    cv: pd.DataFrame
    names: list[str]
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def fit_clone(model: Forecaster, past: pd.DataFrame, freq: str, progress: Progress) -> Forecaster:
    """An unfitted clone of ``model`` fitted on ``past``."""
    return model.clone().fit(past, freq=freq, progress=progress)


def cross_validation(
    models: Sequence[Forecaster],
    history: pd.DataFrame,
    h: int,
    n_windows: int = 3,
    *,
    freq: str,
    step: int | None = None,
    levels: Sequence[int | float] = (),
    future: pd.DataFrame | None = None,
    min_train: int = 1,
    names: Sequence[str] | None = None,
    fit: FitStep | None = None,
    on_forecast: OnForecast | None = None,
    report: Report | None = None,
) -> CrossValidation:
    """Cross-validate model instances over ``n_windows`` rolling origins.

    Args:
        models: model instances; each window fits a clone (the instances are not changed).
        history: contract frame (``unique_id, ds, y`` + drivers).
        h: horizon of each window.
        n_windows: number of cut-offs.
        freq: the history's frequency.
        step: periods between cut-offs (default ``h``: windows touch, no overlap).
        levels: interval levels for the bands (none by default).
        future: optional driver plan replacing the recorded drivers in the windows.
        min_train: periods the first cut-off must leave (``splits.check_windows``).
        names: the models' names in progress and failures (default: their aliases).
        fit: replaces :func:`fit_clone` (e.g. to derive a model from one already
            fitted on the same window).
        on_forecast: called with (index, fitted model, cut-off) after each forecast;
            an error it raises counts as that model's failure on that window.
        report: receives a :class:`Step` per (window, model) and the model's own progress.

    Returns:
        The frame, failures and timings. A model that fails on a window leaves NaN
        there rather than aborting.

    Raises:
        ShopcastError: bad horizon/windows/step/levels, or windows longer than the history.
    """
    levels = validate_levels(levels)
    cuts = check_windows(history, h, n_windows, freq, step, min_train)
    names = [m.alias for m in models] if names is None else list(names)
    result = CrossValidation(cv=pd.DataFrame(), names=names, seconds=[0.0] * len(models))
    total = max(1, len(cuts) * len(models))
    out = []
    done = 0
    for w, cut in enumerate(cuts, start=1):
        past = history[history[DS] <= cut]
        actual = history[history[DS].isin(future_dates(cut, h, freq))]
        frame = actual[[ID, DS, Y]].assign(**{CUTOFF: cut})
        fut = apply_plan(actual.drop(columns=[Y]), future)
        fitted: dict[int, Forecaster] = {}
        for i, model in enumerate(models):

            def sub(frac: float, label: str, i: int = i, w: int = w, cut=cut, done=done) -> None:
                frac = min(max(float(frac), 0.0), 1.0)
                position = (done + frac) / total
                tell(report, Step(position, names[i], w, len(cuts), cut, str(label or "")))

            sub(0.0, "")
            t0 = time.perf_counter()
            try:
                m = fit(i, past, sub, fitted) if fit else fit_clone(model, past, freq, sub)
                fitted[i] = m
                fc = m.predict(h, future=fut, level=list(levels))
                frame = frame.merge(fc, on=[ID, DS], how="left")
                if on_forecast:
                    on_forecast(i, m, cut)
            except ShopcastError as exc:
                result.failures.append(failure(names[i], cut, exc.key, dict(exc.params)))
            except Exception as exc:  # noqa: BLE001 - one model failing on one window must not stop the rest
                detail = {"model": names[i], "detail": short_error(exc)}
                result.failures.append(failure(names[i], cut, "model_failed", detail))
            result.seconds[i] += time.perf_counter() - t0
            done += 1
        out.append(frame)
    tell(report, Step(1.0, "", len(cuts), len(cuts), None))
    result.cv = cv_frame(out)
    return result


def cv_frame(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The windows' frames as one, ``unique_id, ds, cutoff, y`` first."""
    res = pd.concat(frames, ignore_index=True)
    first = [ID, DS, CUTOFF, Y]
    return res[first + [c for c in res.columns if c not in first]]


def failure(name: str, cut: pd.Timestamp, key: str, params: dict) -> dict[str, Any]:
    """One failed (model, window), as kept in :attr:`CrossValidation.failures`."""
    return {"model": name, CUTOFF: cut, "key": key, "params": params}


def tell(report: Report | None, step: Step) -> None:
    """Hand ``step`` to ``report`` when there is one."""
    if report:
        report(step)


def short_error(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 160 characters of it)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__
