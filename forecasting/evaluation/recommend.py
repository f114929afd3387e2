"""Which forecast to use: the model (or combination) a backtest supports, and its error in words.

Pure functions, no streamlit. :func:`recommend` ranks the models of a backtest
frame (``unique_id, ds, cutoff, y`` + one column per model, bands optional) by
their **pooled WAPE** — ``sum |y - f| / sum |y|`` over every series, window and
period that all candidates forecast — and picks:

* the lowest WAPE; models within ``tie`` (relative) of the best count as tied and
  the simplest of them wins (a single model before a combination, a fast model
  before a slow or neural one, then the registry's order);
* a combination (``auto``, ``ensemble``) only when it is not behind any of its own
  members (:func:`forecasting.evaluation.diagnosis.behind_members`): otherwise the
  member is the honest recommendation.

:func:`recommend_from_models` does the same without a separate backtest, from the
inner backtest ``auto``/``ensemble`` ran while training (each member's and the
combination's out-of-sample forecasts, ``Ensemble.inner_backtest``).

:func:`expected_error_text` says the result in words: "typically within ±12% over
28 days" (the error of each series' horizon total, weighted by its sales).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.i18n import t
from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, levels_of, lo_col

if TYPE_CHECKING:
    from forecasting.evaluation.backtest import BacktestResult

__all__ = [
    "BACKTEST",
    "INNER",
    "Recommendation",
    "expected_error_text",
    "horizon_total_error",
    "pooled_wape",
    "recommend",
    "recommend_from_models",
    "simplicity",
]

BACKTEST = "backtest"  # ``Recommendation.source``: a backtest of the trained models
INNER = "inner"  # ... the inner backtest of a trained auto/ensemble
TIE = 0.01  # WAPEs within 1% (relative) of the best are a tie: the simpler model wins
MIN_SHARE = 0.5  # a model scored on fewer than half the rows of the best-covered is left out


@dataclass(frozen=True)
class Recommendation:
    """The recommended model and the backtest evidence behind it.

    Attributes:
        model: the recommended model alias.
        wape: its pooled WAPE (fraction) over every series, window and period.
        total_error: error of the horizon total: ``sum |F - Y| / sum Y`` over every
            (series, window), ``F``/``Y`` the forecast and actual total of the window
            (so big series weigh more); NaN when no window has sales.
        coverage: share of actuals inside its band at ``level`` (None without bands).
        level: the band level used for ``coverage``.
        horizon: periods per window.
        windows: backtest windows; ``series``: series scored.
        source: ``BACKTEST`` or ``INNER`` (the inner backtest of auto/ensemble).
        ranking: ``(model, wape)`` of every candidate, best first.
        reason: ``"best"``, ``"tie"`` (a simpler model within ``TIE`` of the best) or
            ``"member"`` (a combination was best but behind one of its members).
        passed_over: combinations left out because a member beat them.
    """

    model: str
    wape: float
    total_error: float
    coverage: float | None
    level: float | None
    horizon: int
    windows: int
    series: int
    source: str = BACKTEST
    ranking: tuple[tuple[str, float], ...] = ()
    reason: str = "best"
    passed_over: tuple[str, ...] = field(default_factory=tuple)


def simplicity(name: str) -> tuple:
    """Sort key, simplest first: single before combining, fast before slow/neural, then
    the registry's order (unregistered names last)."""
    from forecasting.models import REGISTRY

    names = list(REGISTRY)
    spec = REGISTRY.get(name)
    if spec is None:
        return (2, 2, len(names), name)
    slow = 2 if spec.tensorflow else 1 if spec.slow else 0
    return (int(spec.combines), slow, names.index(name), name)


def pooled_wape(y: np.ndarray, f: np.ndarray) -> float:
    """``sum |y - f| / sum |y|`` over the finite pairs; NaN when the actuals sum to 0."""
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    ok = np.isfinite(y) & np.isfinite(f)
    den = np.abs(y[ok]).sum()
    return float(np.abs(y[ok] - f[ok]).sum() / den) if den > 0 else float("nan")


def horizon_total_error(cv: pd.DataFrame, model: str) -> float:
    """Error of each series' horizon total, pooled: ``sum |F - Y| / sum Y`` over
    (series, window) pairs (rows where ``model`` has no forecast are left out)."""
    rows = cv.loc[np.isfinite(cv[model].to_numpy(float)) & cv[Y].notna(), [ID, CUTOFF, Y, model]]
    if rows.empty:
        return float("nan")
    tot = rows.groupby([ID, CUTOFF], observed=True)[[Y, model]].sum()
    den = tot[Y].abs().sum()
    return float((tot[model] - tot[Y]).abs().sum() / den) if den > 0 else float("nan")


def _coverage(
    cv: pd.DataFrame, model: str, level: float | None
) -> tuple[float | None, float | None]:
    """``(coverage, level)``: share of actuals inside ``model``'s band at ``level`` (its
    narrowest band when it lacks that one), or ``(None, None)`` without bands."""
    have = levels_of(cv, model)
    if not have:
        return None, None
    lv = float(level) if level is not None and float(level) in map(float, have) else min(have)
    lo, hi = cv[lo_col(model, lv)], cv[hi_col(model, lv)]
    ok = lo.notna() & hi.notna() & cv[Y].notna()
    if not ok.any():
        return None, None
    inside = (cv.loc[ok, Y] >= lo[ok]) & (cv.loc[ok, Y] <= hi[ok])
    return float(inside.mean()), float(lv)


def _candidates(cv: pd.DataFrame, models: Sequence[str]) -> list[str]:
    """Models with forecasts on at least ``MIN_SHARE`` of the best-covered model's rows."""
    counts = {m: int(np.isfinite(cv[m].to_numpy(float)).sum()) for m in models if m in cv}
    counts = {m: n for m, n in counts.items() if n > 0}
    if not counts:
        return []
    most = max(counts.values())
    return [m for m, n in counts.items() if n >= MIN_SHARE * most]


def _members_from(explanations: pd.DataFrame | None) -> dict[str, list[str]]:
    """``{combination: members}`` from a backtest's explanation frame."""
    from forecasting.evaluation.backtest import member_names

    if explanations is None or explanations.empty or "model" not in explanations:
        return {}
    out = {}
    for model, part in explanations.groupby("model", sort=False):
        out[str(model)] = member_names(part.dropna(axis=1, how="all"))
    return out


def _members_frame(members: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """An explanation-like frame (``model``, ``weight_<member>``) for ``behind_members``."""
    rows = [{"model": m, **{f"weight_{x}": 1.0 for x in ms}} for m, ms in members.items()]
    return pd.DataFrame(rows)


def recommend(
    backtest: BacktestResult | pd.DataFrame,
    models: Sequence[str] | None = None,
    *,
    members: Mapping[str, Sequence[str]] | None = None,
    candidates: Sequence[str] | None = None,
    level: float | None = 80,
    tie: float = TIE,
    source: str = BACKTEST,
) -> Recommendation | None:
    """The model the backtest supports (see the module docstring for the rule).

    Args:
        backtest: a :class:`BacktestResult` or its ``cv`` frame.
        models: the models to rank (default: the result's models, or every model
            column of the frame).
        members: ``{combination: its members}``; default from the result's
            explanations. Without it combinations are ranked like any model.
        candidates: only these may be recommended (e.g. the models that have a
            forecast on screen); the others still count as evidence against a
            combination.
        level: band level for the coverage (the narrowest band when absent).
        tie: relative WAPE difference below which two models are tied.
        source: recorded in the result (``BACKTEST`` or ``INNER``).

    Returns:
        The recommendation, or None when no candidate has any forecast.
    """
    from forecasting.evaluation.diagnosis import behind_members

    cv = backtest if isinstance(backtest, pd.DataFrame) else backtest.cv
    if models is None:
        models = getattr(backtest, "models", None) or _model_columns(cv)
    if members is None and not isinstance(backtest, pd.DataFrame):
        members = _members_from(backtest.explanations)
    models = [m for m in dict.fromkeys(models) if m in cv.columns]
    scored = _candidates(cv, models)
    allowed = [m for m in scored if candidates is None or m in candidates]
    if not allowed:
        return None
    common = cv[np.isfinite(cv[scored].to_numpy(float)).all(axis=1) & cv[Y].notna()]
    y = common[Y].to_numpy(float)
    wapes = {m: pooled_wape(y, common[m].to_numpy(float)) for m in scored}
    gaps = behind_members(cv, scored, _members_frame(members or {})) if members else []
    behind = tuple(dict.fromkeys(g.model for g in gaps if g.model in allowed))
    pool = [m for m in allowed if m not in behind and np.isfinite(wapes[m])]
    if not pool:
        pool = [m for m in allowed if np.isfinite(wapes[m])] or allowed
    best = min(pool, key=lambda m: (np.nan_to_num(wapes[m], nan=np.inf), simplicity(m)))
    tied = [m for m in pool if wapes[m] <= wapes[best] * (1 + tie) + 1e-12]
    choice = min(tied, key=simplicity)
    overall = min(allowed, key=lambda m: (np.nan_to_num(wapes[m], nan=np.inf), simplicity(m)))
    reason = "tie" if choice != best else "member" if overall in behind else "best"
    coverage, lv = _coverage(cv.loc[cv[choice].notna()], choice, level)
    rows = cv.loc[cv[choice].notna()]
    ranking = sorted(
        wapes.items(), key=lambda kv: (np.nan_to_num(kv[1], nan=np.inf), simplicity(kv[0]))
    )
    return Recommendation(
        model=choice,
        wape=wapes[choice],
        total_error=horizon_total_error(cv, choice),
        coverage=coverage,
        level=lv,
        horizon=int(rows.groupby([CUTOFF, ID], observed=True).size().max()),
        windows=int(rows[CUTOFF].nunique()),
        series=int(rows[ID].nunique()),
        source=source,
        ranking=tuple((m, float(w)) for m, w in ranking),
        reason=reason,
        passed_over=behind,
    )


def _model_columns(cv: pd.DataFrame) -> list[str]:
    """Point-forecast columns of a backtest frame (no ids, dates, actuals or bands)."""
    skip = {ID, DS, CUTOFF, Y}
    return [c for c in cv.columns if c not in skip and "-lo-" not in c and "-hi-" not in c]


def recommend_from_models(
    fitted: Mapping[str, Any],
    h: int,
    candidates: Sequence[str] | None = None,
    level: float | None = 80,
    tie: float = TIE,
) -> Recommendation | None:
    """A recommendation from the inner backtest of trained ``auto``/``ensemble`` models.

    Every fitted model with an ``inner_backtest(h)`` (``Ensemble``) contributes its
    members' and its own out-of-sample forecasts at horizon ``h``; nothing is
    refitted and the models are not changed.

    Args:
        fitted: ``{name: fitted model}`` (others than combinations are ignored).
        h: the forecast horizon the combination was predicted for.
        candidates: models that may be recommended (default: every scored one).
        level, tie: as :func:`recommend`.

    Returns:
        The recommendation (``source=INNER``, no band coverage), or None when no
        combination has an inner backtest for ``h``.
    """
    frame: pd.DataFrame | None = None
    members: dict[str, list[str]] = {}
    keys = [ID, DS, CUTOFF]
    for name, model in fitted.items():
        inner = getattr(model, "inner_backtest", None)
        cv = inner(h) if callable(inner) else None
        if cv is None or cv.empty or name not in cv.columns:
            continue
        names = [c for c in cv.columns if c not in (*keys, Y, name)]
        members[name] = names
        if frame is None:
            frame = cv
        elif len(cv) == len(frame):
            frame = frame.merge(cv[[*keys, name]], on=keys, how="left")
    if frame is None:
        return None
    models = [*dict.fromkeys(c for ms in members.values() for c in ms), *members]
    return recommend(
        frame,
        models,
        members=members,
        candidates=candidates,
        level=level,
        tie=tie,
        source=INNER,
    )


def expected_error_text(
    rec: Recommendation, h: int | None = None, unit: str = "D", lang: str = "zh"
) -> str:
    """The plain-words sentence: ``typically within ±12% over 28 days`` (``... per series``
    when the backtest scored several series: the error of each series' own total, which
    is larger than the error of their sum).

    Args:
        rec: the recommendation.
        h: the horizon to speak of (default: the backtest's window length).
        unit: ``D``, ``W`` or ``MS`` (or a pandas frequency: ``W-SUN``...).
        lang: "zh" or "en".
    """
    from forecasting.reports.summary import fmt_pct

    base = str(unit).upper().split("-")[0]
    key = "W" if base.startswith("W") else "MS" if base in ("M", "MS", "ME") else "D"
    err = rec.total_error if np.isfinite(rec.total_error) else rec.wape
    if not np.isfinite(err):
        return t("insights.rec.error_unknown", lang)
    return t(
        "insights.rec.error_per_series" if rec.series > 1 else "insights.rec.error",
        lang,
        pct=fmt_pct(err * 100, False),
        h=h or rec.horizon,
        unit=t(f"insights.unit.{key}", lang),
    )
