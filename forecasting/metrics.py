"""Forecast accuracy metrics as plain functions and one tidy table.

``evaluate`` returns ``unique_id`` (or ``all``), ``metric``, one column per
model — the STYLE.md metrics contract. Point metrics need ``y`` and the model
column; interval metrics use ``Alias-lo-L``/``Alias-hi-L``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from forecasting.schema import ID, Y, hi_col, levels_of, lo_col, model_aliases

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
    "mae": mae, "rmse": rmse, "mse": mse, "mape": mape, "smape": smape, "wape": wape,
    "bias": bias, "r2": r2,
}


def seasonal_scale(train: pd.DataFrame, m: int) -> pd.Series:
    """In-sample seasonal-naive MAE per series: the MASE denominator."""

    def one(y: pd.Series) -> float:
        v = y.to_numpy(dtype=float)
        lag = m if len(v) > m else 1
        return float(np.mean(np.abs(v[lag:] - v[:-lag]))) if len(v) > lag else np.nan

    return train.groupby(ID, observed=True)[Y].apply(one)


def _scores(g: pd.DataFrame, alias: str, scale: float | None) -> dict[str, float]:
    y, f = g[Y].to_numpy(float), g[alias].to_numpy(float)
    out = {name: fn(y, f) for name, fn in POINT.items()}
    if scale is not None:
        out["mase"] = mase(y, f, scale)
    for lv in levels_of(g, alias):
        lo, hi = g[lo_col(alias, lv)].to_numpy(float), g[hi_col(alias, lv)].to_numpy(float)
        out[f"coverage_{lv}"] = coverage(y, lo, hi)
        tau = (100 - lv) / 200
        out[f"pinball_{lv}"] = (pinball(y, lo, tau) + pinball(y, hi, 1 - tau)) / 2
    return out


def evaluate(
    df: pd.DataFrame,
    models: Sequence[str] | None = None,
    train: pd.DataFrame | None = None,
    season: int = 7,
    per_series: bool = True,
) -> pd.DataFrame:
    """Tidy metrics table: ``unique_id`` (or ``all``), ``metric``, one column per model.

    Args:
        df: actuals and forecasts (``y``, model columns, bands), e.g. a backtest.
        models: model aliases (default: every model column).
        train: history used for the MASE scale (omit to skip MASE).
        season: seasonal period for the MASE scale.
        per_series: also score each series, not only the pooled ``all`` row.
    """
    models = list(models or model_aliases(df))
    scales = seasonal_scale(train, season) if train is not None else None
    rows: dict[tuple[str, str], dict[str, float]] = {}
    groups = [(ALL, df)] + (list(df.groupby(ID, observed=True)) if per_series else [])
    for uid, g in groups:
        for alias in models:
            g2 = g.dropna(subset=[Y, alias])
            if g2.empty:
                continue
            if scales is None:
                scale = None
            elif uid == ALL:  # pooled MASE: mean of per-series scaled errors
                scale = None
            else:
                scale = float(scales.get(uid, np.nan))
            for metric, value in _scores(g2, alias, scale).items():
                rows.setdefault((str(uid), metric), {})[alias] = value
        if uid == ALL and scales is not None:
            for alias in models:
                per = [mase(s[Y].to_numpy(float), s[alias].to_numpy(float),
                            float(scales.get(sid, np.nan)))
                       for sid, s in df.dropna(subset=[Y, alias]).groupby(ID, observed=True)]
                rows.setdefault((ALL, "mase"), {})[alias] = float(np.nanmean(per)) if per else np.nan
    out = pd.DataFrame([{ID: k[0], "metric": k[1], **v} for k, v in rows.items()])
    return out.reset_index(drop=True)
