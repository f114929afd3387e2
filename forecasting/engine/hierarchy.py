"""Coherent forecasts of a sales file's levels: forecast each level, then reconcile.

What ``python -m forecasting forecast INPUT --reconcile METHOD`` runs. Every level of
the data down to the chosen one (total, e.g. 品类, 商品) is forecast on its own with the
one engine loop (``engine.forecast.forecast``, or a caller's runner such as the Dask
engine), the base forecasts are reconciled (``engine.reconcile``) so that SKUs add up
to their category and categories to the total, and how far the base forecasts were
from adding up is measured before and after. ``mint_shrink`` takes its residuals from
a quick backtest of every level (:data:`RESIDUAL_WINDOWS` windows of the horizon);
when the history is too short for one, ``wls_struct`` (which needs none) is used and
the reason kept in :attr:`CoherentForecast.fallback`.

:func:`check_levels` is the cheap counterpart for forecasts already made (the app's
overview): no training, only the sums, the incoherence and, when asked, a method.
Frames in, frames out; nothing is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.data.vocabulary import TOTAL
from forecasting.engine.reconcile import (
    LEVEL,
    METHODS,
    NEEDS_RESIDUALS,
    Hierarchy,
    Incoherence,
    Reconciled,
    build_hierarchy,
    incoherence,
    reconcile,
    residuals_from_backtest,
)
from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, hi_col, levels_of, lo_col

if TYPE_CHECKING:
    from forecasting.data import SalesData
    from forecasting.engine.forecast import ForecastResult, Progress, TrainConfig
    from forecasting.engine.store import ModelStore

NONE = "none"
CHOICES = (NONE, *METHODS)  # what ``--reconcile`` accepts
FALLBACK = "wls_struct"  # mint_shrink without enough history for its residuals
RESIDUAL_WINDOWS = 2  # backtest windows that give mint_shrink its residuals
# The errors a short history gives the residuals' backtest or MinT: they mean "fall back".
SHORT_HISTORY = frozenset(
    {"backtest_too_long", "bad_windows", "reconcile_few_residuals", "reconcile_no_residuals"}
)
Runner = Callable[..., "ForecastResult"]


@dataclass
class CoherentForecast:
    """Every level's forecast, reconciled, and how it was done.

    Attributes:
        forecast: ``unique_id, ds, level`` and each kept model's columns, every node of
            :attr:`hierarchy` (total first, then each level, coarse to fine): coherent.
        base: the same rows as forecast level by level, before reconciling.
        history: every level's history stacked (``unique_id, ds, y``...).
        hierarchy: the tree (its level names are the data's: ``total``, ``品类``...).
        requested: the method asked for.
        method: the method used (:data:`FALLBACK` when ``mint_shrink`` fell back).
        fallback: why ``mint_shrink`` fell back (None when it did not).
        runs: each level's ``ForecastResult`` (timings, errors), coarse to fine.
        left_out: models that failed at some level: model -> that level (a method
            needs the same model at every level, so they are not in :attr:`forecast`).
        before: per model, the largest incoherence of the base forecasts.
        after: per model, the largest incoherence after reconciling (0 up to rounding).
        shrinkage: per model, MinT's covariance shrinkage intensity.
    """

    forecast: pd.DataFrame
    base: pd.DataFrame
    history: pd.DataFrame
    hierarchy: Hierarchy
    requested: str
    method: str
    fallback: ShopcastError | None = None
    runs: dict[str, ForecastResult] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    before: dict[str, Incoherence] = field(default_factory=dict)
    after: dict[str, Incoherence] = field(default_factory=dict)
    shrinkage: dict[str, float] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """The models reconciled (forecast at every level)."""
        return list(self.before)


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`CHOICES`.

    Raises:
        ShopcastError: ``reconcile_method`` naming the choices.
    """
    if method not in CHOICES:
        raise ShopcastError("reconcile_method", method=method, choices=", ".join(CHOICES))
    return method


def hierarchy_of(
    data: SalesData, bottom: str | None = None, keep: Sequence[str] | None = None
) -> Hierarchy:
    """The tree of ``data`` from the total down to ``bottom`` (default: the finest level).

    Node ids are the ``unique_id`` values of ``data.history(level)`` at each level and
    level names the data's own (``total``, then its id columns). ``keep`` names the
    levels between the total and ``bottom`` to include (default: all of them).

    Raises:
        ShopcastError: ``reconcile_one_level`` when ``bottom`` is the total, the
            errors of :func:`~forecasting.engine.reconcile.build_hierarchy`.
    """
    if not data.ids:  # one series, no id column
        raise ShopcastError("reconcile_one_series", n=1)
    bottom = data.resolve_level(bottom)
    if bottom == TOTAL:
        raise ShopcastError("reconcile_one_level", level=bottom)
    ids = data.ids[: data.ids.index(bottom) + 1]
    frame = pd.DataFrame({lv: data.uid(lv).to_numpy() for lv in ids})
    frame.insert(0, ID, frame[bottom])
    frame = frame.drop_duplicates(ID).sort_values(ID, kind="stable").reset_index(drop=True)
    if keep is not None:
        ids = [lv for lv in ids if lv in keep or lv == bottom]
    return build_hierarchy(frame, levels=ids)


def forecast_coherent(
    data: SalesData,
    config: TrainConfig,
    method: str,
    freq: str,
    *,
    bottom: str | None = None,
    grain: str | None = None,
    futures: Mapping[str, pd.DataFrame | None] | None = None,
    store: ModelStore | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
    windows: int = RESIDUAL_WINDOWS,
) -> CoherentForecast:
    """Forecast every level of ``data`` down to ``bottom`` and reconcile them.

    Args:
        data: the loaded sales file.
        config: models, horizon, bands, params, seed (the same at every level).
        method: one of :data:`~forecasting.engine.reconcile.METHODS`.
        freq: the forecast frequency (the bottom level's history's).
        bottom: the finest level reconciled (default: the data's finest).
        grain: a coarser frequency to resample to (``SalesData.history``'s ``freq``).
        futures: level -> driver plan for the forecast dates (optional, per level).
        store: the model store (optional).
        progress: ``callback(fraction, label)`` over the whole run.
        runner: ``runner(history, freq, config, future=, progress=, store=)`` ->
            ``ForecastResult``; default ``engine.forecast.forecast``.
        windows: backtest windows for ``mint_shrink``'s residuals.

    Returns:
        :class:`CoherentForecast`.

    Raises:
        ShopcastError: an unknown method, a data without a hierarchy, every model
            failing at some level (that level's first reason).
    """
    if check_method(method) == NONE:
        raise ShopcastError("reconcile_method", method=method, choices=", ".join(METHODS))
    hier = hierarchy_of(data, bottom)
    levels = hier.level_names()
    # the bar: each level's forecast one share, MinT's backtests as many shares again
    share = 1.0 / (len(levels) * (2 if method in NEEDS_RESIDUALS else 1))
    histories = {lv: data.history(lv, freq=grain) for lv in levels}
    runs = _forecast_levels(histories, freq, config, futures, store, progress, runner, share)
    models, left_out = _common_models(runs, config.models)
    base = _stack({lv: r.forecast for lv, r in runs.items()}, models)
    residuals, fallback = None, None
    if method in NEEDS_RESIDUALS:
        rest = _span(progress, len(levels) * share, 1.0)
        residuals, fallback = _residuals(histories, freq, models, config, windows, rest)
    rec, used, fallback = _reconcile(base, hier, method, residuals, fallback)
    return CoherentForecast(
        forecast=with_levels(rec.forecast, hier),
        base=with_levels(base, hier),
        history=pd.concat(histories.values(), ignore_index=True),
        hierarchy=hier,
        requested=method,
        method=used,
        fallback=fallback,
        runs=runs,
        left_out=left_out,
        before={m: incoherence(base, hier, m) for m in models},
        after={m: incoherence(rec.forecast, hier, m) for m in models},
        shrinkage=rec.shrinkage,
    )


def with_levels(forecast: pd.DataFrame, hierarchy: Hierarchy) -> pd.DataFrame:
    """``forecast`` in the hierarchy's node order with a ``level`` column after ``ds``."""
    order = {n: i for i, n in enumerate(hierarchy.nodes)}
    level_of = dict(zip(hierarchy.nodes, hierarchy.levels, strict=True))
    ids = forecast[ID].astype(str)
    out = forecast.assign(_order=ids.map(order)).sort_values(["_order", DS], kind="stable")
    out = out.drop(columns="_order").reset_index(drop=True)
    out.insert(2, LEVEL, out[ID].astype(str).map(level_of))
    return out


def run_table(result: CoherentForecast) -> pd.DataFrame:
    """Every level's run summary (``engine.forecast.run_summary``) with a ``level`` column."""
    from forecasting.engine.forecast import run_summary

    parts = [run_summary(r).assign(**{LEVEL: lv}) for lv, r in result.runs.items()]
    table = pd.concat(parts, ignore_index=True)
    return table[[LEVEL, *[c for c in table.columns if c != LEVEL]]]


# --------------------------------------------------------------------------- app check
@dataclass
class LevelCheck:
    """Do forecasts already made add up? (:func:`check_levels`).

    Attributes:
        table: one row per level of the hierarchy, coarse to fine: ``level``,
            ``series`` (nodes), ``own`` (the level's own forecasts summed over its
            series and the horizon; NaN when the level was not forecast),
            ``bottom_up`` (the bottom series' forecasts summed: what every level adds
            up to), ``reconciled`` (the same after ``method``; NaN without one).
        before: the largest incoherence of the forecasts given (NaN when only the
            bottom level was given: nothing to compare).
        reconciled: the reconciliation (None without a method).
    """

    table: pd.DataFrame
    before: Incoherence
    reconciled: Reconciled | None = None


def check_levels(
    forecasts: Mapping[str, pd.DataFrame],
    hierarchy: Hierarchy,
    model: str,
    method: str = NONE,
) -> LevelCheck:
    """Whether one model's forecasts of several levels add up, and, with ``method``,
    the coherent forecasts: no model is trained (cheap enough for every page run).

    Args:
        forecasts: level -> that level's own forecast (contract frame); the bottom
            level of ``hierarchy`` is needed, coarser ones are compared when given.
        hierarchy: the tree (e.g. :func:`hierarchy_of`).
        model: the alias to check; levels without it count as not forecast.
        method: :data:`NONE` or a method; other than ``bottom_up``, every aggregate
            level needs its own forecast.

    Raises:
        ShopcastError: ``reconcile_method``, the bottom level missing
            (``reconcile_missing_series``), or ``reconcile``'s errors.
    """
    check_method(method)
    levels = hierarchy.level_names()
    have = {lv: fc for lv, fc in forecasts.items() if lv in levels and model in fc.columns}
    base = _stack(have, [model])
    if levels[-1] not in have:
        missing = hierarchy.bottoms
        raise ShopcastError(
            "reconcile_missing_series", series=", ".join(missing[:5]), n=len(missing)
        )
    before = incoherence(base, hierarchy, model)
    rec = reconcile(base, hierarchy, method) if method != NONE else None
    nodes = hierarchy.frame()
    own = base.groupby(ID)[model].sum() if len(base) else pd.Series(dtype=float)
    bottoms = own.reindex(list(hierarchy.bottoms)).fillna(0.0).sum()
    after = rec.forecast.groupby(ID)[model].sum() if rec is not None else None
    rows = []
    for lv in levels:
        ids = nodes.loc[nodes[LEVEL] == lv, ID]
        rows.append(
            {
                LEVEL: lv,
                "series": len(ids),
                "own": float(own.reindex(ids).sum()) if lv in have else np.nan,
                "bottom_up": float(bottoms),
                "reconciled": float(after.reindex(ids).sum()) if after is not None else np.nan,
            }
        )
    return LevelCheck(pd.DataFrame(rows), before, rec)


# --------------------------------------------------------------------------- internals
def _span(progress: Progress | None, start: float, end: float, prefix: str = "") -> Progress | None:
    """``progress`` for one part of the run: its fractions 0..1 land in ``start..end``
    and its labels get ``prefix`` (the level)."""
    if progress is None:
        return None

    def tell(frac: float, label: str) -> None:
        done = start + (end - start) * max(0.0, min(float(frac), 1.0))
        progress(min(1.0, done), f"{prefix}: {label}" if prefix else label)

    return tell


def _forecast_levels(
    histories: Mapping[str, pd.DataFrame],
    freq: str,
    config: TrainConfig,
    futures: Mapping[str, pd.DataFrame | None] | None,
    store: ModelStore | None,
    progress: Progress | None,
    runner: Runner | None,
    share: float,
) -> dict[str, ForecastResult]:
    """Each level forecast on its own by the engine loop, coarse to fine."""
    if runner is None:
        from forecasting.engine.forecast import forecast as runner
    runs = {}
    for i, (level, history) in enumerate(histories.items()):
        tell = _span(progress, i * share, (i + 1) * share, level)
        future = (futures or {}).get(level)
        runs[level] = runner(history, freq, config, future=future, progress=tell, store=store)
    return runs


def _common_models(
    runs: Mapping[str, ForecastResult], models: list[str]
) -> tuple[list[str], dict[str, str]]:
    """The models forecast at every level, and the others with the first level they failed.

    Raises:
        ShopcastError: no model has a forecast at every level (the first failure's reason).
    """
    left_out: dict[str, str] = {}
    for level, run in runs.items():
        for m in models:
            if m not in run.models and m not in left_out:
                left_out[m] = level
    kept = [m for m in models if m not in left_out]
    if kept:
        return kept, left_out
    for run in runs.values():
        for err in run.errors.values():
            if isinstance(err, ShopcastError):
                raise err
    raise ShopcastError("all_models_failed")


def _stack(forecasts: Mapping[str, pd.DataFrame], models: list[str]) -> pd.DataFrame:
    """The levels' forecasts of ``models`` (points and bands) in one frame."""
    parts = []
    for fc in forecasts.values():
        cols = [ID, DS]
        for m in models:
            if m in fc.columns:
                cols.append(m)
                for lv in levels_of(fc, m):
                    cols += [lo_col(m, lv), hi_col(m, lv)]
        parts.append(fc[cols])
    if not parts:
        return pd.DataFrame(columns=[ID, DS, *models])
    out = pd.concat(parts, ignore_index=True)
    out[ID] = out[ID].astype(str)
    return out


def _residuals(
    histories: Mapping[str, pd.DataFrame],
    freq: str,
    models: list[str],
    config: TrainConfig,
    windows: int,
    progress: Progress | None,
) -> tuple[pd.DataFrame | None, ShopcastError | None]:
    """Backtest errors of ``models`` at every level, or ``(None, why)`` when the history
    is too short. Point forecasts only (no bands: no conformal refits)."""
    from forecasting.evaluation.backtest import cross_validation

    parts = []
    n = len(histories)
    for i, (level, history) in enumerate(histories.items()):
        tell = _span(progress, i / n, (i + 1) / n, level)
        try:
            cv = cross_validation(
                history,
                freq,
                models,
                config.horizon,
                n_windows=windows,
                levels=(),
                model_params=config.model_params,
                seed=config.seed,
                progress=tell,
            )
        except ShopcastError as exc:
            if exc.key not in SHORT_HISTORY:
                raise
            return None, exc
        parts.append(cv)
    return residuals_from_backtest(pd.concat(parts, ignore_index=True)), None


def _reconcile(
    base: pd.DataFrame,
    hier: Hierarchy,
    method: str,
    residuals: pd.DataFrame | None,
    fallback: ShopcastError | None,
) -> tuple[Reconciled, str, ShopcastError | None]:
    """``reconcile`` with ``method``; :data:`FALLBACK` when MinT's residuals are lacking."""
    if method in NEEDS_RESIDUALS and residuals is not None:
        try:
            return reconcile(base, hier, method, residuals=residuals), method, None
        except ShopcastError as exc:
            if exc.key not in SHORT_HISTORY:
                raise
            fallback = exc
    if method in NEEDS_RESIDUALS:
        return reconcile(base, hier, FALLBACK), FALLBACK, fallback
    return reconcile(base, hier, method), method, None
