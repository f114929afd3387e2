"""Rolling-origin backtests in the forecast contract (+ ``cutoff``, ``y``).

For each of ``n_windows`` cut-offs, every model is refitted on the history up
to the cut-off (never seeing later data) and forecasts the next ``h`` periods
with the drivers really in force then — drivers such as the promotion calendar
and planned prices are known in advance, exactly as in production. A plan of
drivers (``future``) can replace the recorded ones inside the test windows, to
score the forecast as it would have been made from the plan.

``cross_validation`` returns the frame; ``backtest`` returns it together with
what the dashboard and the CLI report: failures per window, each
``ensemble``/``auto`` model's per-series choice at every cut-off, and time.

This is the name-based boundary: models are created from the registry here and
handed as instances to the engine (``forecasting.engine.cross_validation``), which
owns the windows loop; ``cutoffs``, ``max_windows`` and ``check_windows`` live in
``forecasting.engine.splits`` and are re-exported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.engine.cross_validation import Report, Step, fit_clone
from forecasting.engine.cross_validation import cross_validation as cv_instances
from forecasting.engine.splits import check_windows, cutoffs, max_windows
from forecasting.errors import ShopcastError
from forecasting.models import combining_models
from forecasting.schema import CUTOFF, ID, season_length, validate_levels

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

__all__ = [
    "SELECTORS",
    "BacktestFailed",
    "BacktestResult",
    "Report",
    "Step",
    "auto_choices",
    "backtest",
    "backtest_settings",
    "check_windows",
    "cross_validation",
    "cutoffs",
    "max_windows",
    "member_names",
]

Progress = Callable[[float, str], None]
# Models built from a member backtest (they can explain their per-series choice).
SELECTORS = tuple(combining_models())


class BacktestFailed(ShopcastError):
    """No model produced any forecast; the message includes the first model's reason."""

    def __init__(self, cause: ShopcastError | None) -> None:
        self.cause = cause
        super().__init__("backtest_all_failed", reason="")

    def message(self, lang: str = "zh") -> str:
        from forecasting.i18n import t

        reason = self.cause.message(lang) if self.cause is not None else ""
        return t("error.backtest_all_failed", lang, reason=reason)


@dataclass
class BacktestResult:
    """A backtest and what happened while running it.

    Attributes:
        cv: ``unique_id, ds, cutoff, y`` and each model's columns.
        models: requested registry names, in order.
        h, n_windows, step, freq, levels: the settings.
        failures: one dict per failed (model, window): ``model, cutoff, key, params``
            (a ``ShopcastError`` key and parameters, so it can be translated later).
        explanations: for ``ensemble``/``auto``: ``model, cutoff, unique_id``,
            ``weight_<member>``, ``mae_<member>`` (inner-backtest MAE) and ``chosen``.
        seconds: fit + predict wall time per model, summed over windows.
    """

    cv: pd.DataFrame
    models: list[str]
    h: int
    n_windows: int
    step: int
    freq: str
    levels: list
    failures: list[dict[str, Any]] = field(default_factory=list)
    explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_windows(
        cls,
        cv: pd.DataFrame,
        models: Sequence[str],
        h: int,
        n_windows: int,
        step: int | None,
        freq: str,
        levels: Sequence[int],
        failures: list[dict[str, Any]],
        explained: list[pd.DataFrame],
        seconds: dict[str, float],
    ) -> BacktestResult:
        """The result of a backtest run with these settings (``step`` None: ``h``),
        from its windows' frame, failures, explanations (one frame per explained
        window, in order) and seconds per model."""
        expl = pd.DataFrame()
        if explained:
            expl = pd.concat(explained, ignore_index=True)
            lead = ["model", CUTOFF, ID, "chosen"]
            expl = expl[lead + [c for c in expl.columns if c not in lead]]
        return cls(
            cv=cv,
            models=list(models),
            h=h,
            n_windows=n_windows,
            step=step or h,
            freq=freq,
            levels=list(validate_levels(levels)),
            failures=failures,
            explanations=expl,
            seconds=seconds,
        )

    def checked(self) -> BacktestResult:
        """This result, when at least one model forecast something.

        Raises:
            BacktestFailed: no model did (with the first model's reason).
        """
        if not self.scored_models:
            errs = self.errors()
            raise BacktestFailed(errs[0] if errs else None)
        return self

    @property
    def scored_models(self) -> list[str]:
        """Models with at least one forecast in the backtest."""
        return [m for m in self.models if m in self.cv.columns and self.cv[m].notna().any()]

    def errors(self) -> list[ShopcastError]:
        """The failures as (translatable) errors, one per model (its first failure)."""
        seen: dict[str, ShopcastError] = {}
        for f in self.failures:
            seen.setdefault(f["model"], ShopcastError(f["key"], **f["params"]))
        return list(seen.values())

    def failure_summary(self, lang: str = "zh") -> list[tuple[str, int, str]]:
        """``(model, windows failed, first reason in lang)`` per model that failed somewhere."""
        out: dict[str, list] = {}
        for f in self.failures:
            entry = out.setdefault(f["model"], [0, ShopcastError(f["key"], **f["params"])])
            entry[0] += 1
        return [(m, k, err.message(lang)) for m, (k, err) in out.items()]

    def metrics(self, history: pd.DataFrame | None = None, per_series: bool = True) -> pd.DataFrame:
        """``metrics.evaluate`` of the backtest (MASE scaled at each cut-off)."""
        from forecasting.evaluation.metrics import evaluate

        return evaluate(
            self.cv,
            self.models,
            train=history,
            season=season_length(self.freq),
            per_series=per_series,
            scale_at_cutoff=True,
        )

    def horizon_errors(self) -> pd.DataFrame:
        """``metrics.horizon_errors`` of the backtest."""
        from forecasting.evaluation.metrics import horizon_errors

        return horizon_errors(self.cv, self.scored_models)

    def festival_metrics(self, history: pd.DataFrame | None = None) -> pd.DataFrame:
        """``metrics.festival_evaluate`` of the backtest (pooled over series)."""
        from forecasting.evaluation.metrics import festival_evaluate

        return festival_evaluate(self.cv, self.freq, self.scored_models, train=history)


def backtest(
    history: pd.DataFrame,
    freq: str,
    models: Sequence[str],
    h: int,
    n_windows: int = 3,
    step: int | None = None,
    levels: Sequence[int] = (80, 95),
    model_params: dict[str, dict] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    future: pd.DataFrame | None = None,
    report: Report | None = None,
    min_train: int | None = None,
) -> BacktestResult:
    """Backtest ``models`` and keep failures, ensemble choices and timings.

    Args: as :func:`cross_validation`, except that ``min_train`` defaults to one
    seasonal period (7 days, 52 weeks, 12 months), the least any model can use.

    Raises:
        ShopcastError: bad settings, a backtest longer than the history, or
            ``backtest_all_failed`` when no model produced any forecast.
    """
    models, min_train = backtest_settings(models, freq, min_train)
    return _run(**locals()).checked()  # every parameter, as given (models without repeats)


def backtest_settings(
    models: Sequence[str], freq: str, min_train: int | None
) -> tuple[list[str], int]:
    """The models without repeats and the ``min_train`` of :func:`backtest` (default:
    one seasonal period), for every engine that runs it.

    Raises:
        ShopcastError: ``no_models`` when no model is named.
    """
    if not models:
        raise ShopcastError("no_models")
    return list(dict.fromkeys(models)), season_length(freq) if min_train is None else min_train


def cross_validation(
    history: pd.DataFrame,
    freq: str,
    models: Sequence[str],
    h: int,
    n_windows: int = 3,
    step: int | None = None,
    levels: Sequence[int] = (80, 95),
    model_params: dict[str, dict] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    future: pd.DataFrame | None = None,
    report: Report | None = None,
    min_train: int = 1,
) -> pd.DataFrame:
    """Backtest ``models`` over ``n_windows`` rolling origins.

    Args:
        history: contract frame (``unique_id, ds, y`` + drivers).
        freq: its frequency.
        models: registry names; ``ensemble`` and ``auto`` with the same
            parameters share one member backtest per window.
        h: horizon of each window.
        n_windows: number of cut-offs.
        step: periods between cut-offs (default ``h``: windows touch, no overlap).
        levels: interval levels for the bands.
        model_params: per-model constructor parameters.
        seed: random seed of every model.
        progress: ``callback(fraction, label)``, called per (window, model)
            and, within a model, with its own fit progress.
        future: optional driver plan; where it has a row, its values replace the
            recorded drivers inside the test windows.
        report: like ``progress`` but receives a :class:`Step` (window, model...).
        min_train: periods of history the first cut-off must leave (see
            :func:`check_windows`).

    Returns:
        ``unique_id, ds, cutoff, y`` and each model's columns (point + bands).
        A model that fails on a window leaves NaN there rather than aborting.

    Raises:
        ShopcastError: bad horizon/windows/step, or a backtest longer than the history.
    """
    return _run(**locals()).cv  # every parameter, as given


def _run(
    *,
    history: pd.DataFrame,
    freq: str,
    models: Sequence[str],
    h: int,
    n_windows: int,
    step: int | None,
    levels: Sequence[int],
    model_params: dict[str, dict] | None,
    seed: int,
    progress: Progress | None,
    future: pd.DataFrame | None,
    report: Report | None,
    min_train: int,
) -> BacktestResult:
    """Create the models at this boundary and cross-validate the instances (engine)."""
    models = list(dict.fromkeys(models))
    model_params = model_params or {}
    templates = [_template(name, seed, model_params.get(name, {})) for name in models]
    explained: list[pd.DataFrame] = []

    def fit(i: int, past: pd.DataFrame, sub: Progress, fitted: dict) -> Forecaster:
        shared = _sibling(models, i, fitted, model_params)
        return shared if shared is not None else fit_clone(templates[i], past, freq, sub)

    def on_forecast(i: int, m: Forecaster, cut: pd.Timestamp) -> None:
        if models[i] in SELECTORS and hasattr(m, "explain"):
            explained.append(m.explain(h).assign(model=models[i], **{CUTOFF: cut}))

    def tell(s: Step) -> None:
        if progress:
            progress(s.fraction, s.label)
        if report:
            report(s)

    res = cv_instances(
        templates,
        history,
        h,
        n_windows,
        freq=freq,
        step=step,
        levels=levels,
        future=future,
        min_train=min_train,
        names=models,
        fit=fit,
        on_forecast=on_forecast,
        report=tell,
    )
    seconds = dict(zip(models, res.seconds, strict=True))
    return BacktestResult.from_windows(
        res.cv, models, h, n_windows, step, freq, levels, res.failures, explained, seconds
    )


class _Unbuildable:
    """Stands for a model whose constructor failed: every window fails the same way."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def clone(self):
        raise self.error


def _template(name: str, seed: int, params: dict):
    """The instance the windows clone, or a stand-in that fails like ``create`` did."""
    from forecasting.models import create

    try:
        return create(name, seed=seed, **params)
    except Exception as exc:  # noqa: BLE001 - reported per window, as a fit failure would be
        return _Unbuildable(exc)


def _sibling(models: list[str], i: int, fitted: dict, model_params: dict) -> Forecaster | None:
    """``auto``/``ensemble`` derived from their sibling already fitted on this window.

    Both run the same member backtest, so when one is already fitted on this
    window with the same parameters the other comes from it for free (an
    ``ensemble`` not from an ``auto``, which leaves Prophet out: ``variant`` says None).
    """
    name = models[i]
    if name not in SELECTORS:
        return None
    other = SELECTORS[1 - SELECTORS.index(name)]
    j = models.index(other) if other in models else -1
    if j in fitted and model_params.get(other, {}) == model_params.get(name, {}):
        from forecasting.models import get_class

        return fitted[j].variant(select=get_class(name).select)
    return None


def auto_choices(explanations: pd.DataFrame) -> pd.DataFrame:
    """Per model and series: the latest choice, its reasons and how stable it was.

    Args:
        explanations: :attr:`BacktestResult.explanations`.

    Returns:
        ``model, unique_id, chosen`` (at the latest cut-off), ``cutoff``,
        ``weight_<m>`` and ``mae_<m>`` at that cut-off, ``times_chosen``
        (member -> windows where it was chosen) and ``n_windows``.
    """
    if explanations is None or explanations.empty:
        return pd.DataFrame(columns=["model", ID, "chosen", CUTOFF, "times_chosen", "n_windows"])
    ex = explanations.sort_values(CUTOFF)
    latest = ex.groupby(["model", ID], observed=True, sort=False).tail(1)
    counts = ex.groupby(["model", ID], observed=True)["chosen"].agg(
        lambda s: dict(s.value_counts().sort_values(ascending=False, kind="stable"))
    )
    n = ex.groupby(["model", ID], observed=True)[CUTOFF].nunique()
    out = latest.set_index(["model", ID])
    out["times_chosen"] = counts
    out["n_windows"] = n
    out = out.reset_index()
    lead = ["model", ID, "chosen", CUTOFF]
    out = out[lead + [c for c in out.columns if c not in lead]]
    # NaN-only member columns (members that failed at that cut-off) carry no reason
    return out.dropna(axis=1, how="all").sort_values(["model", ID]).reset_index(drop=True)


def member_names(explanations: pd.DataFrame) -> list[str]:
    """Member models present in an explanation frame (from its ``weight_`` columns)."""
    return [c.removeprefix("weight_") for c in explanations.columns if c.startswith("weight_")]
