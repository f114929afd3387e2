"""Forecast accuracy metrics as plain functions and one tidy table.

``evaluate`` returns ``unique_id`` (or ``all``), ``metric``, one column per
model — the STYLE.md metrics contract. Point metrics need ``y`` and the model
column; interval metrics use ``Alias-lo-L``/``Alias-hi-L``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, levels_of, lo_col, model_aliases

ALL = "all"


def mae(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.mean(np.abs(y - f)))


def rmse(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - f) ** 2)))


def mse(y: np.ndarray, f: np.ndarray) -> float:
    return float(np.mean((y - f) ** 2))


def mape(y: np.ndarray, f: np.ndarray) -> float:
    """Mean absolute percentage error over points with y != 0 (zeros are undefined)."""
    mask = y != 0
    return float(np.mean(np.abs((y[mask] - f[mask]) / y[mask]))) if mask.any() else np.nan


def smape(y: np.ndarray, f: np.ndarray) -> float:
    denom = np.abs(y) + np.abs(f)
    mask = denom > 0
    return float(np.mean(2 * np.abs(y[mask] - f[mask]) / denom[mask])) if mask.any() else 0.0


def wape(y: np.ndarray, f: np.ndarray) -> float:
    """Sum of absolute errors over sum of absolute actuals (robust to zeros)."""
    total = np.sum(np.abs(y))
    return float(np.sum(np.abs(y - f)) / total) if total > 0 else np.nan


def bias(y: np.ndarray, f: np.ndarray) -> float:
    """Mean forecast minus actual, relative to the mean actual (+ = over-forecast)."""
    m = np.mean(np.abs(y))
    return float(np.mean(f - y) / m) if m > 0 else np.nan


def r2(y: np.ndarray, f: np.ndarray) -> float:
    ss = np.sum((y - np.mean(y)) ** 2)
    return float(1 - np.sum((y - f) ** 2) / ss) if ss > 0 else np.nan


def mase(y: np.ndarray, f: np.ndarray, scale: float) -> float:
    """MAE over the in-sample seasonal-naive MAE (``scale``)."""
    return float(mae(y, f) / scale) if scale > 0 else np.nan


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def pinball(y: np.ndarray, q: np.ndarray, tau: float) -> float:
    diff = y - q
    return float(np.mean(np.maximum(tau * diff, (tau - 1) * diff)))


POINT: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mae": mae,
    "rmse": rmse,
    "mse": mse,
    "mape": mape,
    "smape": smape,
    "wape": wape,
    "bias": bias,
    "r2": r2,
}


def seasonal_scale(train: pd.DataFrame, m: int) -> pd.Series:
    """In-sample seasonal-naive MAE per series: the MASE denominator."""

    def one(y: pd.Series) -> float:
        v = y.to_numpy(dtype=float)
        lag = m if len(v) > m else 1
        return float(np.mean(np.abs(v[lag:] - v[:-lag]))) if len(v) > lag else np.nan

    return train.groupby(ID, observed=True)[Y].apply(one)


def _mase(g: pd.DataFrame, alias: str, scale: float | None) -> float:
    """MASE of one series: one scale, or a scale per row (``_SCALE``, per cut-off)."""
    y, f = g[Y].to_numpy(float), g[alias].to_numpy(float)
    if scale is not None:
        return mase(y, f, scale)
    s = g[_SCALE].to_numpy(float)
    ok = np.isfinite(s) & (s > 0)
    return float(np.mean(np.abs(y[ok] - f[ok]) / s[ok])) if ok.any() else np.nan


def _scores(g: pd.DataFrame, alias: str, scale: float | None) -> dict[str, float]:
    y, f = g[Y].to_numpy(float), g[alias].to_numpy(float)
    out = {name: fn(y, f) for name, fn in POINT.items()}
    if scale is not None or _SCALE in g:
        out["mase"] = _mase(g, alias, scale)
    for lv in levels_of(g, alias):
        lo, hi = g[lo_col(alias, lv)].to_numpy(float), g[hi_col(alias, lv)].to_numpy(float)
        out[f"coverage_{lv}"] = coverage(y, lo, hi)
        tau = (100 - lv) / 200
        out[f"pinball_{lv}"] = (pinball(y, lo, tau) + pinball(y, hi, 1 - tau)) / 2
    return out


_SCALE = "_mase_scale"


def _row_scales(df: pd.DataFrame, train: pd.DataFrame, season: int) -> np.ndarray:
    """MASE denominator of every row of ``df``, measured on ``train`` up to its cut-off.

    A backtest row is scaled by the seasonal-naive error of the history its
    model saw (``ds <= cutoff``), so the score never uses the test window.
    """
    pieces = []
    for cut in df[CUTOFF].dropna().unique():
        sc = seasonal_scale(train[train[DS] <= cut], season)
        pieces.append(
            pd.DataFrame({ID: sc.index.astype(str), CUTOFF: cut, _SCALE: sc.to_numpy(float)})
        )
    if not pieces:
        return np.full(len(df), np.nan)
    table = pd.concat(pieces, ignore_index=True)
    keys = pd.DataFrame({ID: df[ID].astype(str).to_numpy(), CUTOFF: df[CUTOFF].to_numpy()})
    return keys.merge(table, on=[ID, CUTOFF], how="left")[_SCALE].to_numpy(float)


def evaluate(
    df: pd.DataFrame,
    models: Sequence[str] | None = None,
    train: pd.DataFrame | None = None,
    season: int = 7,
    per_series: bool = True,
    mask: np.ndarray | pd.Series | None = None,
    scale_at_cutoff: bool = False,
) -> pd.DataFrame:
    """Tidy metrics table: ``unique_id`` (or ``all``), ``metric``, one column per model.

    Args:
        df: actuals and forecasts (``y``, model columns, bands), e.g. a backtest.
        models: model aliases (default: every model column).
        train: history used for the MASE scale (omit to skip MASE).
        season: seasonal period for the MASE scale.
        per_series: also score each series, not only the pooled ``all`` row.
        mask: boolean per row of ``df``; only rows where it is True are scored
            (e.g. dates inside festival windows). The MASE scale still comes
            from the whole ``train``.
        scale_at_cutoff: with a backtest frame (``cutoff`` column) and ``train``,
            measure each row's MASE scale on ``train`` up to its cut-off rather
            than on all of ``train`` — what the benchmark does.

    Returns:
        ``unique_id, metric, <model>...``; the pooled ``mase`` of ``all`` is the
        mean of the per-series MASE values. Empty (same columns) when no row
        has both an actual and a forecast.
    """
    models = list(models or model_aliases(df))
    by_row = scale_at_cutoff and train is not None and CUTOFF in df.columns
    scales = seasonal_scale(train, season) if train is not None and not by_row else None
    if by_row:
        df = df.assign(**{_SCALE: _row_scales(df, train, season)})
    if mask is not None:
        df = df[np.asarray(mask, dtype=bool)]
    rows: dict[tuple[str, str], dict[str, float]] = {}
    groups = [(ALL, df)] + (list(df.groupby(ID, observed=True)) if per_series else [])
    for uid, g in groups:
        for alias in models:
            g2 = g.dropna(subset=[Y, alias])
            if g2.empty:
                continue
            if scales is None or uid == ALL:  # pooled MASE: mean of per-series scaled errors
                scale = None
            else:
                scale = float(scales.get(uid, np.nan))
            scores = _scores(g2, alias, scale)
            if uid == ALL:
                scores.pop("mase", None)
            for metric, value in scores.items():
                rows.setdefault((str(uid), metric), {})[alias] = value
        if uid == ALL and (scales is not None or by_row):
            for alias in models:
                per = [
                    _mase(s, alias, None if by_row else float(scales.get(sid, np.nan)))
                    for sid, s in df.dropna(subset=[Y, alias]).groupby(ID, observed=True)
                ]
                per = [v for v in per if np.isfinite(v)]
                rows.setdefault((ALL, "mase"), {})[alias] = float(np.mean(per)) if per else np.nan
    out = pd.DataFrame(
        [{ID: k[0], "metric": k[1], **v} for k, v in rows.items()], columns=[ID, "metric", *models]
    )
    return out.reset_index(drop=True)


# ------------------------------------------------------------ error over the horizon
def horizon_steps(df: pd.DataFrame) -> np.ndarray:
    """Step ahead (1..h) of every row of a backtest: its rank after the cut-off."""
    if CUTOFF not in df.columns:
        return (df.groupby(ID, observed=True)[DS].rank(method="dense")).to_numpy(int)
    return df.groupby([ID, CUTOFF], observed=True)[DS].rank(method="dense").to_numpy(int)


def horizon_errors(cv: pd.DataFrame, models: Sequence[str] | None = None) -> pd.DataFrame:
    """Error by step ahead, pooled over series and windows.

    Args:
        cv: backtest frame (``unique_id, ds, cutoff, y`` and model columns).
        models: aliases to score (default: every model column).

    Returns:
        Long frame ``step, model, mae, wape, n`` (step 1 = first period after
        the cut-off); steps where a model has no forecast are left out.
    """
    models = list(models or model_aliases(cv))
    steps = horizon_steps(cv)
    y = cv[Y].to_numpy(float)
    parts = []
    for alias in models:
        f = cv[alias].to_numpy(float)
        ok = np.isfinite(y) & np.isfinite(f)
        if not ok.any():
            continue
        frame = pd.DataFrame(
            {"step": steps[ok], "err": np.abs(y[ok] - f[ok]), "act": np.abs(y[ok])}
        )
        g = frame.groupby("step").agg(
            mae=("err", "mean"), abs_err=("err", "sum"), abs_y=("act", "sum"), n=("err", "size")
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            wape_ = np.where(g["abs_y"] > 0, g["abs_err"] / g["abs_y"], np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "step": g.index.to_numpy(int),
                    "model": alias,
                    "mae": g["mae"].to_numpy(float),
                    "wape": wape_,
                    "n": g["n"].to_numpy(int),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "step": pd.Series(dtype=int),
                "model": pd.Series(dtype=str),
                "mae": pd.Series(dtype=float),
                "wape": pd.Series(dtype=float),
                "n": pd.Series(dtype=int),
            }
        )
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------ festival windows
ANY_FESTIVAL, NO_FESTIVAL = "any", "none"
FESTIVAL = "festival"


def festival_masks(
    dates: pd.Series | pd.DatetimeIndex,
    freq: str,
    windows: dict[str, tuple[int, int]] | None = None,
    festivals: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Boolean masks of dates inside each festival window, plus ``any`` and ``none``.

    A weekly or monthly period counts as inside when any of its days is
    (``calendar.festival_features`` gives the fraction of days in the window).
    Festivals with no date inside are left out.
    """
    from forecasting.data.festivals import festival_features

    feats = festival_features(
        pd.Series(pd.to_datetime(dates)).to_numpy(), freq, windows=windows, festivals=festivals
    )
    cols = [c for c in feats.columns if c.startswith("fest_") and not c.endswith("_d")]
    inside = feats[cols].to_numpy(float) > 0
    masks = {
        c.removeprefix("fest_"): inside[:, i] for i, c in enumerate(cols) if inside[:, i].any()
    }
    any_ = inside.any(axis=1) if cols else np.zeros(len(feats), dtype=bool)
    if any_.any():
        masks[ANY_FESTIVAL] = any_
    masks[NO_FESTIVAL] = ~any_
    return masks


def festival_evaluate(
    cv: pd.DataFrame,
    freq: str,
    models: Sequence[str] | None = None,
    train: pd.DataFrame | None = None,
    season: int | None = None,
    per_series: bool = False,
    windows: dict[str, tuple[int, int]] | None = None,
    festivals: Sequence[str] | None = None,
    scale_at_cutoff: bool = True,
) -> pd.DataFrame:
    """``evaluate`` restricted to dates inside each festival window.

    How good is a model around 618 or Double-11, compared with ordinary days?

    Args:
        cv: backtest frame.
        freq: its frequency (decides how weeks/months overlap a window).
        models: aliases (default: every model column).
        train: history for the MASE scale (optional).
        season: seasonal period for MASE (default: from ``freq``).
        per_series: also score each series inside each window.
        windows, festivals: as in ``calendar.festival_features``.
        scale_at_cutoff: as in :func:`evaluate`.

    Returns:
        ``festival`` (a festival name, ``any`` = inside any window, ``none`` =
        outside every window), ``unique_id``, ``metric``, one column per model.
        Each festival group also has a ``n_points`` row: the number of scored
        actuals per model. Festivals absent from the backtest dates are left out.
    """
    from forecasting.schema import season_length

    models = list(models or model_aliases(cv))
    season = season or season_length(freq)
    parts = []
    for name, mask in festival_masks(cv[DS], freq, windows, festivals).items():
        table = evaluate(
            cv,
            models,
            train=train,
            season=season,
            per_series=per_series,
            mask=mask,
            scale_at_cutoff=scale_at_cutoff,
        )
        if table.empty:
            continue
        sub = cv[mask]
        counts = {a: float(sub[[Y, a]].dropna().shape[0]) for a in models}
        table = pd.concat(
            [table, pd.DataFrame([{ID: ALL, "metric": "n_points", **counts}])], ignore_index=True
        )
        parts.append(table.assign(**{FESTIVAL: name}))
    cols = [FESTIVAL, ID, "metric", *models]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


# ------------------------------------------------------------ leaderboard
# How to rank by each metric: lower is better unless listed here.
HIGHER_IS_BETTER = frozenset({"r2"})
ABS_IS_BETTER = frozenset({"bias"})  # closest to zero
LEADERBOARD_ORDER = ("wape", "mase", "mae", "rmse", "smape", "mape", "bias", "r2")


def metric_loss(metric: str, values: pd.Series) -> pd.Series:
    """A "lower is better" version of ``metric``'s values, for ranking.

    Coverage is ranked by its distance from the nominal level (``coverage_80``
    best at 0.80), bias by its distance from zero, R² by its negative.
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if metric.startswith("coverage_"):
        return (v - float(metric.split("_", 1)[1]) / 100).abs()
    if metric in ABS_IS_BETTER:
        return v.abs()
    if metric in HIGHER_IS_BETTER:
        return -v
    return v


def leaderboard(
    metrics_table: pd.DataFrame, sort_by: str = "wape", models: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per model with its all-series metrics, best first.

    Args:
        metrics_table: the tidy table of :func:`evaluate` (the ``all`` rows are used).
        sort_by: metric to rank by (see :func:`metric_loss` for its direction);
            falls back to the first available of ``wape, mase, mae`` when absent.
        models: model columns to include (default: every model column).

    Returns:
        ``rank, model`` and one column per metric (``wape, mase, mae, ...``,
        then coverage/pinball). Models with no score rank last.
    """
    models = list(models or [c for c in metrics_table.columns if c not in (ID, "metric", FESTIVAL)])
    pooled = metrics_table[metrics_table[ID].astype(str) == ALL]
    if FESTIVAL in pooled.columns:
        raise ValueError("leaderboard() takes the evaluate() table, not festival_evaluate()")
    wide = pooled.set_index("metric")[models].T if len(pooled) else pd.DataFrame(index=models)
    wide = wide.reindex(models)
    known = [m for m in LEADERBOARD_ORDER if m in wide.columns]
    cols = known + [c for c in wide.columns if c not in known]
    wide = wide[cols].apply(pd.to_numeric, errors="coerce")
    if sort_by not in wide.columns:
        sort_by = next((m for m in ("wape", "mase", "mae") if m in wide.columns), None)
    if sort_by is not None:
        loss = metric_loss(sort_by, wide[sort_by])
        order = loss.sort_values(na_position="last", kind="stable").index
        wide = wide.loc[order]
    out = wide.rename_axis("model").reset_index()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.attrs["sort_by"] = sort_by
    return out
