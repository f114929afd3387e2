"""Honest intervals for models that have none of their own.

Split-conformal on rolling origins: the model is cloned and refitted on the
history cut ``h``, ``2h``... periods early, forecasts the held-out stretch with
the drivers that were really in force (they are known in advance), and the
absolute errors — scaled by each series' seasonal-naive error so SKUs of
different size can be pooled — give the half-width of the band at each step.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.schema import DS, ID, Y, hi_col, lo_col, season_length

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

MIN_POOL = 30  # errors per step before we stop borrowing from neighbouring steps


def series_scale(train: pd.DataFrame, m: int) -> pd.Series:
    """Mean absolute seasonal difference per series (the MASE denominator).

    Falls back to the lag-1 difference, then to the mean level, then to 1.
    """

    def one(y: pd.Series) -> float:
        v = y.to_numpy(dtype=float)
        for lag in (m, 1):
            if len(v) > lag:
                s = np.nanmean(np.abs(v[lag:] - v[:-lag]))
                if np.isfinite(s) and s > 0:
                    return float(s)
        s = float(np.nanmean(np.abs(v))) if len(v) else 0.0
        return s if s > 0 else 1.0

    return train.groupby(ID, observed=True)[Y].apply(one)


def calibration_errors(model: Forecaster, h: int) -> np.ndarray:
    """Scaled out-of-sample errors, shape ``(n_samples, h)`` (NaN where missing)."""
    train = model.train_
    m = season_length(model.freq)
    rows = []
    for w in range(1, model.calibration_windows + 1):
        cut = train.groupby(ID, observed=True)[DS].transform(
            lambda s, w=w: s.iloc[-w * h] if len(s) > w * h else s.iloc[0]
        )
        past, held = train[train[DS] < cut], train[(train[DS] >= cut)]
        held = held[held.groupby(ID, observed=True).cumcount() < h]
        if past.empty:
            continue
        sub = model.clone()
        sub.calibration_windows = 0
        try:
            sub.fit(past, freq=model.freq)
        except Exception:  # noqa: BLE001 - too little history at this cut-off
            continue
        fut = held.drop(columns=[Y])
        pred = sub.predict(h, future=fut if sub.drivers_ else None, level=[])
        merged = held.merge(pred, on=[ID, DS], how="inner")
        scale = series_scale(past, m)
        merged["err"] = (merged[Y] - merged[sub.alias]) / merged[ID].map(scale)
        merged["step"] = merged.groupby(ID, observed=True).cumcount()
        for _, g in merged.groupby(ID, observed=True):
            row = np.full(h, np.nan)
            row[g["step"].to_numpy()] = g["err"].to_numpy()
            rows.append(row)
    return np.vstack(rows) if rows else np.empty((0, h))


def step_quantiles(errors: np.ndarray, levels: list, h: int) -> dict[float, np.ndarray]:
    """Conformal half-widths per step and level from scaled errors.

    When a step has fewer than ``MIN_POOL`` errors, neighbouring steps are
    pooled in, so a single series still gets a usable (if smoother) band.
    """
    abs_err = np.abs(errors)
    out: dict[float, np.ndarray] = {}
    for lv in levels:
        q = np.zeros(h)
        for k in range(h):
            r = 0
            while True:
                lo, hi = max(0, k - r), min(h, k + r + 1)
                pool = abs_err[:, lo:hi].ravel()
                pool = pool[np.isfinite(pool)]
                if len(pool) >= MIN_POOL or (lo == 0 and hi == h):
                    break
                r += 1
            if len(pool) == 0:
                q[k] = np.nan
                continue
            n = len(pool)
            # finite-sample conformal correction
            rank = min(1.0, math.ceil((n + 1) * lv / 100) / n)
            q[k] = float(np.quantile(pool, rank, method="higher"))
        out[lv] = q
    return out


def naive_half_widths(train: pd.DataFrame, levels: list, h: int, m: int) -> dict:
    """Fallback when no calibration window fits: scaled seasonal-naive theory.

    Half-width in scale units grows like sqrt(number of seasons ahead).
    """
    from statistics import NormalDist

    steps = np.arange(1, h + 1)
    growth = np.sqrt(np.floor((steps - 1) / max(m, 1)) + 1)
    return {lv: NormalDist().inv_cdf(0.5 + lv / 200) * 1.25 * growth for lv in levels}


def conformal_bands(model: Forecaster, point: pd.DataFrame, h: int, levels: list) -> pd.DataFrame:
    """Add ``lo``/``hi`` columns to a point forecast using conformal half-widths.

    Calibration is computed once per horizon and kept on the model
    (``model.calibration_``), so it is saved with it and reused.
    """
    cal = model.calibration_.get(h)
    if cal is None:
        errors = calibration_errors(model, h) if model.calibration_windows else np.empty((0, h))
        cal = {"errors": errors}
        model.calibration_[h] = cal
    m = season_length(model.freq)
    errors = cal["errors"]
    if np.isfinite(errors).sum() >= 5:
        widths = step_quantiles(errors, levels, h)
        method = "conformal"
    else:
        widths = naive_half_widths(model.train_, levels, h, m)
        method = "naive-theory"
    model.interval_method_ = method
    scale = series_scale(model.train_, m)
    out = point.copy()
    out["_step"] = out.groupby(ID, observed=True).cumcount()
    s = out[ID].map(scale).to_numpy(dtype=float)
    mean = out[model.alias].to_numpy(dtype=float)
    for lv in levels:
        w = widths[lv][out["_step"].to_numpy()] * s
        out[lo_col(model.alias, lv)] = mean - w
        out[hi_col(model.alias, lv)] = mean + w
    return out.drop(columns="_step")
