"""Coherent forecasts across a hierarchy: series -> category (-> ...) -> total.

Forecasting every level on its own gives numbers that do not add up (the SKUs of a
category sum to something else than the category's forecast). Reconciliation maps
the base forecasts to coherent ones, where every aggregate is exactly the sum of
its bottom series. Pure numpy: frames in, frames out, no model is touched.

Methods (:data:`METHODS`), all of the form ``reconciled = S @ bottoms`` with ``S`` the
summing matrix, so coherence is exact by construction:

- ``bottom_up``: the bottom series' own forecasts, summed. Needs only the bottom level.
- ``ols``: the coherent forecast closest to every level's base forecast (least
  squares, each node weighted the same; Hyndman et al. 2011).
- ``wls_struct``: as ``ols``, each node weighted by the number of bottom series under
  it (a node's error variance grows with its size; Athanasopoulos et al. 2017).
- ``mint_shrink``: MinT, trace minimisation with the base forecast errors' covariance
  ``W`` estimated from residuals (e.g. backtest errors, :func:`residuals_from_backtest`)
  and shrunk toward its diagonal with the Schäfer–Strimmer intensity
  (Wickramasuriya, Athanasopoulos & Hyndman 2019). It uses how accurate and how
  correlated each level's errors were, so it can beat bottom-up when the aggregates
  are easier to forecast than the noisy bottom series.

Every non-bottom-up method is computed in the projection form
``y~ = y^ - W U (U' W U)^-1 U' y^`` with ``U' = [I, -C]`` (``C``: which bottoms each
aggregate sums), which solves a system only as large as the number of aggregates.

Bands. Quantiles do not add up, so an aggregate's band is never the plain sum of its
series' bounds (that assumes every series errs the same way at once). Half-widths are
propagated as Gaussian standard deviations (the ``z`` of the level cancels), on each
side separately:

- ``bottom_up``: bottom series keep their bands; an aggregate's half-width is
  ``sqrt(h' R h)`` over its bottom series' half-widths ``h``, with ``R`` the
  correlation of their errors estimated from ``residuals`` (shrunk); without residuals,
  ``rho`` between every pair (default 0, independence: ``sqrt(sum h_i^2)``, which is
  too narrow when SKUs move together, e.g. on festival days; 1: the sum of the bounds).
- other methods: each node's band moves with its point. With residuals its widths
  are scaled by ``sqrt(diag(S~) / diag(W_e))``, ``S~ = A W_e A'`` the reconciled error
  covariance of the linear map ``A`` applied to the base forecasts and ``W_e`` the
  residuals' shrunk covariance; without residuals each node keeps its own base band's
  widths (its model's own uncertainty; a diagonal guess of ``W_e`` would ignore that
  SKUs move together and narrow the aggregates' bands: measured in
  ``benchmarks/hierarchy.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.data.vocabulary import TOTAL
from forecasting.errors import ShopcastError
from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, levels_of, lo_col, model_aliases

METHODS = ("bottom_up", "ols", "wls_struct", "mint_shrink")
NEEDS_RESIDUALS = frozenset({"mint_shrink"})
LEVEL, SERIES = "level", "series"


# --------------------------------------------------------------------------- hierarchy
@dataclass(frozen=True)
class Hierarchy:
    """A tree of series: the aggregates (coarse to fine), then the bottom series.

    Attributes:
        nodes: every ``unique_id``: the total, each level's values, then the bottoms.
        levels: the level name of each node (``"total"``, e.g. ``"品类"``, ``"商品"``).
        summing: ``(n_aggregates, n_bottom)`` 0/1 array ``C``: the bottoms each
            aggregate sums. The full summing matrix is ``S = [C; I]``.
    """

    nodes: tuple[str, ...]
    levels: tuple[str, ...]
    summing: np.ndarray

    @property
    def n_agg(self) -> int:
        """Number of aggregate nodes (the first ``n_agg`` of :attr:`nodes`)."""
        return int(self.summing.shape[0])

    @property
    def n_bottom(self) -> int:
        """Number of bottom series (the last ``n_bottom`` of :attr:`nodes`)."""
        return int(self.summing.shape[1])

    @property
    def bottoms(self) -> tuple[str, ...]:
        """The bottom series' ids."""
        return self.nodes[self.n_agg :]

    def level_names(self) -> list[str]:
        """The levels, coarse to fine (``["total", ..., bottom level]``)."""
        return list(dict.fromkeys(self.levels))

    def frame(self) -> pd.DataFrame:
        """``unique_id, level, series`` (bottom series under the node), one row per node."""
        sizes = np.concatenate([self.summing.sum(axis=1), np.ones(self.n_bottom)])
        return pd.DataFrame(
            {ID: list(self.nodes), LEVEL: list(self.levels), SERIES: sizes.astype(int)}
        )


def build_hierarchy(
    frame: pd.DataFrame, levels: Sequence[str] | None = None, total: str = TOTAL
) -> Hierarchy:
    """The tree of a hierarchy frame, with the total on top.

    Args:
        frame: ``unique_id`` (the bottom series) and one column per coarser level,
            coarse to fine, whose values are the ``unique_id`` of that level's series:
            ``forecasting.planning.scenarios.hierarchy_from_data(data)`` gives exactly
            this for a ``SalesData`` (its labels match ``data.history(level)``). A
            column equal to ``unique_id`` (the bottom level itself) names the bottom
            level and adds no aggregates.
        levels: the columns to use as aggregate levels, coarse to fine (default: all).
        total: the total's ``unique_id`` (``data.history("total")`` uses ``"total"``).

    Raises:
        ShopcastError: fewer than two bottom series, a level that is not nested in
            the coarser one, or the same id at two levels.
    """
    if ID not in frame.columns:
        raise ShopcastError("missing_column", file="hierarchy", column=ID)
    df = frame.astype(str).drop_duplicates().reset_index(drop=True)
    cols = [c for c in (levels if levels is not None else frame.columns) if c != ID]
    unknown = [c for c in cols if c not in df.columns]
    if unknown:
        raise ShopcastError("missing_column", file="hierarchy", column=unknown[0])
    bottom_level = next((c for c in cols if df[c].equals(df[ID])), ID)
    cols = [c for c in cols if not df[c].equals(df[ID])]
    if df[ID].duplicated().any():
        dup = df.loc[df[ID].duplicated(), ID].iloc[0]
        raise ShopcastError("reconcile_not_nested", level=bottom_level, value=dup)
    if len(df) < 2:
        raise ShopcastError("reconcile_one_series", n=len(df))
    parent = pd.Series(total, index=df.index)
    nodes, names, blocks = [total], [TOTAL], [np.ones((1, len(df)))]
    for col in cols:
        _check_nested(df[col], parent, col)
        codes, values = pd.factorize(df[col], sort=True)
        block = np.zeros((len(values), len(df)))
        block[codes, np.arange(len(df))] = 1.0
        nodes += list(values)
        names += [col] * len(values)
        blocks.append(block)
        parent = df[col]
    nodes += list(df[ID])
    names += [bottom_level] * len(df)
    seen = pd.Series(nodes)
    if seen.duplicated().any():
        raise ShopcastError(
            "reconcile_duplicate_ids", ids=", ".join(seen[seen.duplicated()].unique()[:5])
        )
    return Hierarchy(tuple(nodes), tuple(names), np.vstack(blocks))


def _check_nested(values: pd.Series, parent: pd.Series, level: str) -> None:
    """Each value of ``level`` must sit under exactly one value of the coarser level."""
    parents = pd.DataFrame({"v": values, "p": parent}).drop_duplicates()
    many = parents["v"].duplicated(keep=False)
    if many.any():
        raise ShopcastError(
            "reconcile_not_nested", level=level, value=parents.loc[many, "v"].iloc[0]
        )


# --------------------------------------------------------------------------- result
@dataclass
class Reconciled:
    """Coherent forecasts at every level and how they were made.

    Attributes:
        forecast: contract frame (``unique_id, ds``, each model's point and bands) with
            every node of the hierarchy, in :attr:`Hierarchy.nodes` order.
        nodes: ``unique_id, level, series`` of every node (:meth:`Hierarchy.frame`).
        method: the method used (one of :data:`METHODS`).
        shrinkage: per model, the covariance shrinkage intensity used (0 = sample
            covariance, 1 = its diagonal), when residuals were used.
        filled: base values that were missing: a bottom series' missing point counts
            as 0, an aggregate's is taken as the sum of its bottom series.
    """

    forecast: pd.DataFrame
    nodes: pd.DataFrame
    method: str
    shrinkage: dict[str, float] = field(default_factory=dict)
    filled: int = 0

    def at_level(self, level: str) -> pd.DataFrame:
        """The forecast rows of one level (``"total"``, a category column...)."""
        ids = set(self.nodes.loc[self.nodes[LEVEL] == level, ID])
        return self.forecast[self.forecast[ID].isin(ids)].reset_index(drop=True)


# --------------------------------------------------------------------------- API
def reconcile(
    base: pd.DataFrame,
    hierarchy: Hierarchy | pd.DataFrame,
    method: str = "bottom_up",
    residuals: pd.DataFrame | None = None,
    rho: float = 0.0,
) -> Reconciled:
    """Coherent forecasts at every level of ``hierarchy`` from base forecasts.

    Args:
        base: forecast contract frame (``unique_id, ds``, ``Alias``, ``Alias-lo-L``,
            ``Alias-hi-L``) holding the bottom series and, for methods other than
            ``bottom_up``, every aggregate too (each level forecast on its own;
            ``pd.concat`` of the per-level forecasts).
        hierarchy: a :class:`Hierarchy` or a frame for :func:`build_hierarchy`.
        method: one of :data:`METHODS`.
        residuals: base forecast errors ``unique_id, ds, [cutoff], Alias...`` (actual
            minus forecast) for every node, e.g. :func:`residuals_from_backtest` of
            a backtest at each level. Required by ``mint_shrink``; with other
            methods they set the error correlation used for the bands.
        rho: without residuals, the correlation assumed between the bottom series'
            errors for bottom-up aggregate bands: ``sqrt((1 - rho) * sum(h^2) +
            rho * sum(h)^2)`` (0: independence; 1: the plain sum of the bounds).

    Returns:
        :class:`Reconciled` (every node, every model of ``base``, every band level).

    Raises:
        ShopcastError: unknown method, series unknown to the hierarchy, a node
            without forecasts the method needs, missing or too few residuals.
    """
    if method not in METHODS:
        raise ShopcastError("reconcile_method", method=method, choices=", ".join(METHODS))
    hier = hierarchy if isinstance(hierarchy, Hierarchy) else build_hierarchy(hierarchy)
    if not 0.0 <= rho <= 1.0:
        raise ShopcastError("reconcile_rho", rho=rho)
    if method in NEEDS_RESIDUALS and residuals is None:
        raise ShopcastError("reconcile_needs_residuals", method=method)
    grid = _Grid(base, hier, need_all=method != "bottom_up")
    cols: dict[str, np.ndarray] = {}
    shrinkage: dict[str, float] = {}
    filled = 0
    for alias in model_aliases(base):
        errors = None
        if residuals is not None:
            errors = _error_matrix(residuals, hier, alias, whole=method != "bottom_up")
        out, lam, n_filled = _reconcile_model(grid, hier, method, alias, errors, rho)
        cols.update(out)
        filled += n_filled
        if lam is not None:
            shrinkage[alias] = lam
    frame = pd.DataFrame(
        {
            ID: np.repeat(np.asarray(hier.nodes, dtype=object), len(grid.dates)),
            DS: np.tile(grid.dates, len(hier.nodes)),
        }
    )
    for c in [c for c in base.columns if c in cols]:
        frame[c] = cols[c].ravel()
    return Reconciled(frame, hier.frame(), method, shrinkage, filled)


def describe(rec: Reconciled, lang: str = "zh") -> str:
    """One line saying that, and how, the forecasts were reconciled (CLI summary, page).

    Names the method in words and, for MinT, each model's shrinkage intensity.
    """
    from forecasting.i18n import t

    text = t("reconcile.applied", lang, method=t(f"reconcile.method.{rec.method}", lang))
    if rec.shrinkage:
        values = ", ".join(f"{m} {v:.2f}" for m, v in rec.shrinkage.items())
        text += " " + t("reconcile.shrinkage", lang, values=values)
    return text


@dataclass(frozen=True)
class Incoherence:
    """The largest gap between an aggregate's forecast and the sum of its bottom series.

    Attributes:
        gap: ``|aggregate - sum of its bottoms|`` in units, at the worst node and date.
        relative: that gap over the larger of the two (0 = coherent; NaN when no
            aggregate has a forecast to compare).
        node: the aggregate's ``unique_id`` ("" when none).
        ds: the date (None when none).
    """

    gap: float
    relative: float
    node: str = ""
    ds: pd.Timestamp | None = None


def incoherence(forecast: pd.DataFrame, hierarchy: Hierarchy, model: str) -> Incoherence:
    """How far ``model``'s forecast is from adding up, over every aggregate and date.

    Args:
        forecast: contract frame with the bottom series and any aggregates of
            ``hierarchy`` (an aggregate without rows is not compared; a missing
            bottom value counts as 0, as :func:`reconcile` counts it).
        hierarchy: the tree.
        model: the alias to check.

    Returns:
        :class:`Incoherence` at the node and date with the largest relative gap.
    """
    fc = forecast[forecast[ID].astype(str).isin(set(hierarchy.nodes))]
    wide = fc.pivot_table(index=ID, columns=DS, values=model, aggfunc="mean", dropna=False)
    wide = wide.reindex(list(hierarchy.nodes))
    y = wide.to_numpy(dtype=float)
    a = hierarchy.n_agg
    summed = hierarchy.summing @ np.nan_to_num(y[a:])
    gap = np.abs(y[:a] - summed)
    scale = np.maximum(np.abs(y[:a]), np.abs(summed))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, gap / scale, np.where(np.isnan(gap), np.nan, 0.0))
    if rel.size == 0 or np.all(np.isnan(rel)):
        return Incoherence(float("nan"), float("nan"))
    i, j = np.unravel_index(np.nanargmax(rel), rel.shape)
    return Incoherence(
        float(gap[i, j]), float(rel[i, j]), str(hierarchy.nodes[i]), pd.Timestamp(wide.columns[j])
    )


def residuals_from_backtest(cv: pd.DataFrame) -> pd.DataFrame:
    """Forecast errors (actual minus forecast) per model from a backtest frame.

    Args:
        cv: ``unique_id, ds, cutoff, y`` and each model's columns (the output of
            ``forecasting.evaluation.backtest.cross_validation``), at every level.

    Returns:
        ``unique_id, ds, cutoff`` and one error column per model (bands dropped).
    """
    keys = [c for c in (ID, DS, CUTOFF) if c in cv.columns]
    out = cv[keys].copy()
    for alias in model_aliases(cv):
        out[alias] = cv[Y].to_numpy(dtype=float) - cv[alias].to_numpy(dtype=float)
    return out


def shrunk_covariance(errors: np.ndarray) -> tuple[np.ndarray, float]:
    """Error covariance shrunk toward its diagonal (Schäfer & Strimmer 2005).

    Args:
        errors: ``(T, n)`` forecast errors, one column per node; NaN where a node has
            no error at a time point (each pair is estimated from the time points both
            have). Every column needs at least 2 values.

    Returns:
        ``(W, lambda)``: ``W = lambda * diag(S) + (1 - lambda) * S`` with ``S`` the
        uncentred second moment ``E' E / T`` (a biased model's errors count), and
        the intensity ``lambda`` in [0, 1] that estimates the best trade-off from the
        sampling variance of the correlations.
    """
    mask = np.isfinite(errors)
    m = mask.astype(float)
    e = np.where(mask, errors, 0.0)
    pairs = m.T @ m  # time points each pair of nodes shares
    with np.errstate(divide="ignore", invalid="ignore"):
        second = np.where(pairs > 0, (e.T @ e) / pairs, 0.0)
        count = mask.sum(axis=0)
        mean = e.sum(axis=0) / np.maximum(count, 1)
        sd = np.sqrt(((e - mean) ** 2 * m).sum(axis=0) / np.maximum(count - 1, 1))
        x = np.where(mask & (sd > 0), (e - mean) / np.where(sd > 0, sd, 1.0), 0.0)
        cross = x.T @ x
        usable = pairs > 1
        corr = np.where(usable, cross / (pairs - 1), 0.0)
        squares = x * x
        var_corr = np.where(
            usable, pairs / (pairs - 1) ** 3 * (squares.T @ squares - cross**2 / pairs), 0.0
        )
    # sums over the off-diagonal pairs: everything minus the diagonal
    denom = float(np.sum(corr**2) - np.sum(np.diag(corr) ** 2))
    num = float(np.sum(var_corr) - np.sum(np.diag(var_corr)))
    lam = 1.0 if denom <= 0 else float(np.clip(num / denom, 0.0, 1.0))
    shrunk = (1.0 - lam) * second
    shrunk[np.diag_indices_from(shrunk)] = np.diag(second)
    return shrunk, lam


# --------------------------------------------------------------------------- internals
class _Grid:
    """The base forecast as ``(node, date)`` matrices, one per column."""

    def __init__(self, base: pd.DataFrame, hier: Hierarchy, need_all: bool) -> None:
        if ID not in base.columns or DS not in base.columns:
            raise ShopcastError("missing_column", file="forecast", column=ID)
        index = {n: i for i, n in enumerate(hier.nodes)}
        ids = base[ID].astype(str)
        rows = ids.map(index)
        unknown = ids[rows.isna()].unique()
        if len(unknown):
            raise ShopcastError("reconcile_unknown_series", series=", ".join(unknown[:5]))
        present = set(rows.astype(int))
        first = 0 if need_all else hier.n_agg
        absent = [n for i, n in enumerate(hier.nodes) if i >= first and i not in present]
        if absent:
            raise ShopcastError(
                "reconcile_missing_series", series=", ".join(absent[:5]), n=len(absent)
            )
        self.dates = np.sort(pd.unique(base[DS]))
        self.rows = rows.to_numpy(dtype=int)
        self.cols = np.searchsorted(self.dates, base[DS].to_numpy())
        self.base = base
        self.shape = (len(hier.nodes), len(self.dates))

    def matrix(self, column: str) -> np.ndarray:
        out = np.full(self.shape, np.nan)
        out[self.rows, self.cols] = self.base[column].to_numpy(dtype=float)
        return out


def _error_matrix(residuals: pd.DataFrame, hier: Hierarchy, alias: str, whole: bool) -> np.ndarray:
    """``(T, n)`` errors of ``alias``, one row per time point (``cutoff, ds``), NaN where a
    node has none. Every node (``whole=False``: every bottom series) needs 2 or more."""
    if alias not in residuals.columns:
        raise ShopcastError("reconcile_no_residuals", model=alias)
    keys = [c for c in (CUTOFF, DS) if c in residuals.columns]
    res = residuals[residuals[ID].astype(str).isin(set(hier.nodes))]
    wide = res.pivot_table(index=keys, columns=ID, values=alias, aggfunc="mean")
    wide = wide.reindex(columns=list(hier.nodes))
    need = wide.columns if whole else wide.columns[hier.n_agg :]
    counts = wide[list(need)].notna().sum(axis=0)
    if len(wide) < 2 or counts.min() < 2:
        worst = str(counts.idxmin()) if len(counts) else ""
        n = int(counts.min()) if len(counts) else 0
        raise ShopcastError("reconcile_few_residuals", model=alias, n=n, series=worst)
    return wide.to_numpy(dtype=float)


def _reconcile_model(
    grid: _Grid, hier: Hierarchy, method: str, alias: str, errors: np.ndarray | None, rho: float
) -> tuple[dict[str, np.ndarray], float | None, int]:
    """Reconciled point and band matrices of one model."""
    a, c = hier.n_agg, hier.summing
    y = grid.matrix(alias)
    missing = np.isnan(y)
    yb = np.where(missing[a:], 0.0, y[a:])
    lam = None
    if method == "bottom_up":
        bottoms = yb
    else:
        filled_base = y.copy()
        filled_base[a:] = yb
        filled_base[:a] = np.where(missing[:a], c @ yb, y[:a])
        w, lam = _weights(method, hier, errors)
        bottoms = yb - _correction(filled_base, w, c)
    point = np.vstack([c @ bottoms, bottoms])
    out = {alias: point}
    n_filled = int(missing[a:].sum() + (missing[:a].sum() if method != "bottom_up" else 0))
    widths = _band_widths(grid, alias, y)
    if not widths:
        return out, lam, n_filled
    scale = corr = None
    if method == "bottom_up":
        if errors is not None:
            corr = _correlation_blocks(_bottom_correlation(errors, a), c)
    else:
        if method == "mint_shrink":
            scale = _scale(w, w, c)  # W is the residuals' shrunk covariance
        elif errors is not None:
            scale = _scale(w, shrunk_covariance(errors)[0], c)
        else:  # no error covariance to propagate: each node keeps its own band's widths
            scale = np.ones(len(hier.nodes))
    for lv, (lo_w, hi_w) in widths.items():
        if scale is None:
            lo_w = np.vstack([_aggregate_width(lo_w[a:], c, corr, rho), lo_w[a:]])
            hi_w = np.vstack([_aggregate_width(hi_w[a:], c, corr, rho), hi_w[a:]])
        else:
            lo_w, hi_w = lo_w * scale[:, None], hi_w * scale[:, None]
        out[lo_col(alias, lv)] = point - lo_w
        out[hi_col(alias, lv)] = point + hi_w
    return out, lam, n_filled


def _band_widths(
    grid: _Grid, alias: str, y: np.ndarray
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Per level, the base half-widths below and above the point (never negative)."""
    out = {}
    for lv in levels_of(grid.base, alias):
        lo = grid.matrix(lo_col(alias, lv))
        hi = grid.matrix(hi_col(alias, lv))
        out[lv] = (np.clip(y - lo, 0.0, None), np.clip(hi - y, 0.0, None))
    return out


def _weights(
    method: str, hier: Hierarchy, errors: np.ndarray | None
) -> tuple[np.ndarray, float | None]:
    """The ``W`` of the method: a vector (diagonal) or a full covariance, and lambda."""
    n = len(hier.nodes)
    if method == "ols":
        return np.ones(n), None
    if method == "wls_struct":
        return np.concatenate([hier.summing.sum(axis=1), np.ones(hier.n_bottom)]), None
    w, lam = shrunk_covariance(errors)
    return w, lam


def _wu(w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``W U`` with ``U' = [I, -C]``: ``(n, n_agg)``."""
    a = c.shape[0]
    if w.ndim == 1:
        w = _guard_diag(w)
        return np.vstack([np.diag(w[:a]), -(w[a:, None] * c.T)])
    w = w.copy()
    w[np.diag_indices_from(w)] = _guard_diag(np.diag(w))
    return w[:, :a] - w[:, a:] @ c.T


def _guard_diag(d: np.ndarray) -> np.ndarray:
    """Zero variances (a series that never errs, e.g. all zeros) made tiny but positive."""
    d = np.nan_to_num(np.asarray(d, dtype=float), nan=0.0)
    floor = 1e-9 * (float(np.mean(np.abs(d))) or 1.0)
    return np.maximum(d, floor)


def _ut(m: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``U' m`` for ``m`` with one row per node: the aggregate rows minus their sums."""
    a = c.shape[0]
    return m[:a] - c @ m[a:]


def _solve(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(lhs, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(lhs, rhs, rcond=None)[0]


def _correction(y: np.ndarray, w: np.ndarray, c: np.ndarray) -> np.ndarray:
    """How much each bottom forecast moves: ``(W U (U' W U)^-1 U' y)`` bottom rows."""
    wu = _wu(w, c)
    return wu[c.shape[0] :] @ _solve(_ut(wu, c), _ut(y, c))


def _scale(w: np.ndarray, w_err: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``sqrt(diag(A W_e A') / diag(W_e))`` for ``A = I - W U (U' W U)^-1 U'``."""
    wu = _wu(w, c)
    b = _solve(_ut(wu, c).T, wu.T).T  # W U (U' W U)^-1, (n, n_agg)
    if w_err.ndim == 1:
        w_err = np.diag(_guard_diag(w_err))
    ute = _ut(w_err, c)  # U' W_e, (n_agg, n)
    utu = _ut(ute.T, c).T  # U' W_e U, (n_agg, n_agg)
    diag = np.diag(w_err) - 2 * np.sum(b * ute.T, axis=1) + np.sum((b @ utu) * b, axis=1)
    base = _guard_diag(np.diag(w_err))
    return np.sqrt(np.clip(diag, 0.0, None) / base)


def _bottom_correlation(errors: np.ndarray, a: int) -> np.ndarray:
    """Shrunk correlation of the bottom series' errors."""
    w = shrunk_covariance(errors[:, a:])[0]
    sd = np.sqrt(_guard_diag(np.diag(w)))
    return w / np.outer(sd, sd)


def _correlation_blocks(corr: np.ndarray, c: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per aggregate: its bottom series and their correlation block (cut once per model)."""
    out = []
    for row in c:
        idx = np.flatnonzero(row)
        out.append((idx, corr[np.ix_(idx, idx)]))
    return out


def _aggregate_width(
    h: np.ndarray, c: np.ndarray, blocks: list | None, rho: float = 0.0
) -> np.ndarray:
    """Each aggregate's half-width from its bottoms' ``h`` (``(m, T)``): ``sqrt(h' R h)``,
    ``R`` the errors' correlation (``blocks``), or ``rho`` between every pair without.

    An aggregate with a bottom series without a band gets no band (NaN).
    """
    unknown = np.isnan(h)
    h = np.where(unknown, 0.0, h)
    if blocks is None:
        out = np.sqrt((1.0 - rho) * (c @ (h * h)) + rho * (c @ h) ** 2)
    else:
        out = np.empty((c.shape[0], h.shape[1]))
        for i, (idx, block) in enumerate(blocks):
            g = h[idx]
            out[i] = np.sqrt(np.clip(np.sum(g * (block @ g), axis=0), 0.0, None))
    return np.where(c @ unknown > 0, np.nan, out)
