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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import (
    CUTOFF,
    DS,
    ID,
    Y,
    driver_columns,
    future_dates,
    season_length,
    validate_levels,
)

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

Progress = Callable[[float, str], None]
SELECTORS = ("ensemble", "auto")  # models built from a member backtest (they can explain)


@dataclass(frozen=True)
class Step:
    """Where a backtest is: handed to ``report`` callbacks (progress bars).

    Attributes:
        fraction: overall progress in [0, 1].
        model: registry name being fitted ("" once finished).
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


def cutoffs(
    history: pd.DataFrame, h: int, n_windows: int, freq: str, step: int | None = None
) -> list[pd.Timestamp]:
    """Common cut-off dates, oldest first: the last window ends at the last date."""
    step = step or h
    last = history[DS].max()
    dates = pd.date_range(end=last, periods=h + step * (n_windows - 1) + 1, freq=freq)
    return [dates[-1 - h - step * k] for k in reversed(range(n_windows))]


def max_windows(n_periods: int, h: int, step: int | None = None, min_train: int = 1) -> int:
    """How many windows fit in ``n_periods`` leaving ``min_train`` periods to train on."""
    step = step or h
    room = n_periods - min_train - h
    return room // step + 1 if room >= 0 else 0


def check_windows(
    history: pd.DataFrame,
    h: int,
    n_windows: int,
    freq: str,
    step: int | None = None,
    min_train: int = 1,
) -> list[pd.Timestamp]:
    """Validate a backtest's shape and return its cut-offs.

    Args:
        history: contract frame.
        h, n_windows, freq, step: as in :func:`cross_validation`.
        min_train: periods the first cut-off must leave to train on (longest series).

    Raises:
        ShopcastError: ``bad_horizon``, ``bad_windows``, ``bad_step`` or
            ``backtest_too_long`` (with the number of periods, the periods
            needed and the most windows that fit).
    """
    if h < 1:
        raise ShopcastError("bad_horizon", h=h)
    if n_windows < 1:
        raise ShopcastError("bad_windows", n=n_windows)
    if step is not None and step < 1:
        raise ShopcastError("bad_step", step=step)
    min_train = max(1, int(min_train))
    need = min_train + h + (step or h) * (n_windows - 1)
    n = int(history.groupby(ID, observed=True)[DS].nunique().max()) if len(history) else 0
    if n == 0:
        raise ShopcastError("backtest_too_long", h=h, windows=n_windows, n=0, need=need, most=0)
    cuts = cutoffs(history, h, n_windows, freq, step)
    trained = int(history.loc[history[DS] <= cuts[0], DS].nunique())
    if trained < min_train:
        raise ShopcastError(
            "backtest_too_long",
            h=h,
            windows=n_windows,
            n=n,
            need=need,
            most=max_windows(n, h, step, min_train),
        )
    return cuts


def _apply_plan(fut: pd.DataFrame, plan: pd.DataFrame | None) -> pd.DataFrame:
    """Driver values of ``plan`` replace the recorded ones where it has a row."""
    if plan is None or plan.empty:
        return fut
    cols = [c for c in driver_columns(plan) if c in fut.columns]
    if not cols:
        return fut
    keys = [ID, DS] if ID in plan.columns else [DS]
    p = plan.assign(**{DS: pd.to_datetime(plan[DS])})
    if ID in p.columns:
        p[ID] = p[ID].astype(str)
    p = p[[*keys, *cols]].drop_duplicates(keys, keep="last")
    merged = fut.merge(p, on=keys, how="left", suffixes=("", "__plan"))
    for c in cols:
        planned = pd.to_numeric(merged.pop(f"{c}__plan"), errors="coerce")
        merged[c] = planned.where(planned.notna(), merged[c]).to_numpy()
    return merged


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
    if not models:
        raise ShopcastError("no_models")
    if min_train is None:
        min_train = season_length(freq)
    res = _run(
        history,
        freq,
        list(dict.fromkeys(models)),
        h,
        n_windows,
        step,
        levels,
        model_params,
        seed,
        progress,
        future,
        report,
        min_train,
    )
    if not res.scored_models:
        errs = res.errors()
        raise BacktestFailed(errs[0] if errs else None)
    return res


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
    res = _run(
        history,
        freq,
        list(dict.fromkeys(models)),
        h,
        n_windows,
        step,
        levels,
        model_params,
        seed,
        progress,
        future,
        report,
        min_train,
    )
    return res.cv


def _run(
    history,
    freq,
    models,
    h,
    n_windows,
    step,
    levels,
    model_params,
    seed,
    progress,
    future,
    report,
    min_train,
) -> BacktestResult:
    levels = validate_levels(levels)
    cuts = check_windows(history, h, n_windows, freq, step, min_train)
    model_params = model_params or {}
    failures: list[dict[str, Any]] = []
    explained: list[pd.DataFrame] = []
    seconds = dict.fromkeys(models, 0.0)
    total = max(1, len(cuts) * len(models))
    out = []
    done = 0
    for w, cut in enumerate(cuts, start=1):
        past = history[history[DS] <= cut]
        window_dates = future_dates(cut, h, freq)
        actual = history[history[DS].isin(window_dates)]
        frame = actual[[ID, DS, Y]].assign(**{CUTOFF: cut})
        fut = _apply_plan(actual.drop(columns=[Y]), future)
        fitted: dict[str, Forecaster] = {}
        for name in models:

            def sub(
                frac: float, label: str, name: str = name, w: int = w, cut=cut, done: int = done
            ) -> None:
                frac = min(max(float(frac), 0.0), 1.0)
                _tell(
                    progress,
                    report,
                    Step((done + frac) / total, name, w, len(cuts), cut, str(label or "")),
                )

            sub(0.0, "")
            t0 = time.perf_counter()
            try:
                m = _fit_or_share(name, fitted, model_params, seed, past, freq, sub)
                fitted[name] = m
                fc = m.predict(h, future=fut, level=list(levels))
                frame = frame.merge(fc, on=[ID, DS], how="left")
                if name in SELECTORS and hasattr(m, "explain"):
                    explained.append(m.explain(h).assign(model=name, **{CUTOFF: cut}))
            except ShopcastError as exc:
                failures.append(
                    {"model": name, CUTOFF: cut, "key": exc.key, "params": dict(exc.params)}
                )
            except Exception as exc:  # noqa: BLE001 - one model failing on one window must not stop the rest
                failures.append(
                    {
                        "model": name,
                        CUTOFF: cut,
                        "key": "model_failed",
                        "params": {"model": name, "detail": _short(exc)},
                    }
                )
            seconds[name] += time.perf_counter() - t0
            done += 1
        out.append(frame)
    _tell(progress, report, Step(1.0, "", len(cuts), len(cuts), None))
    res = pd.concat(out, ignore_index=True)
    first = [ID, DS, CUTOFF, Y]
    res = res[first + [c for c in res.columns if c not in first]]
    expl = pd.DataFrame()
    if explained:
        expl = pd.concat(explained, ignore_index=True)
        lead = ["model", CUTOFF, ID, "chosen"]
        expl = expl[lead + [c for c in expl.columns if c not in lead]]
    return BacktestResult(
        cv=res,
        models=list(models),
        h=h,
        n_windows=n_windows,
        step=step or h,
        freq=freq,
        levels=list(levels),
        failures=failures,
        explanations=expl,
        seconds=seconds,
    )


def _fit_or_share(
    name: str,
    fitted: dict,
    model_params: dict,
    seed: int,
    past: pd.DataFrame,
    freq: str,
    sub: Progress,
) -> Forecaster:
    """Fit ``name`` on ``past``; ``auto``/``ensemble`` reuse their fitted sibling.

    Both run the same member backtest, so when one is already fitted on this
    window with the same parameters the other is derived from it for free.
    """
    from forecasting.models import create

    if name in SELECTORS:
        other = SELECTORS[1 - SELECTORS.index(name)]
        if other in fitted and model_params.get(other, {}) == model_params.get(name, {}):
            return fitted[other].variant(select=name == "auto")
    m = create(name, seed=seed, **model_params.get(name, {}))
    m.fit(past, freq=freq, progress=sub)
    return m


def _tell(progress: Progress | None, report: Report | None, step: Step) -> None:
    if progress:
        progress(step.fraction, step.label)
    if report:
        report(step)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


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
