"""What a forecast is made of: trend, weekly and yearly season, festivals, promotions & price.

Pure functions over a *fitted* model; nothing is refitted and the model is not
changed. Two models can say what drives their numbers:

* **Prophet** — its own additive pieces: ``trend``, the seasonalities, one column
  per festival and one per driver (regressor). In multiplicative mode a piece is a
  fraction of the trend, so it is turned into units as ``trend * piece``; then
  ``trend + sum(pieces) = yhat`` exactly.
* **LightGBM** — per-feature contributions from the booster itself
  (``predict(X, pred_contrib=True)``: SHAP values, plus the expected value as
  ``bias``), on the very feature rows of the forecast, rebuilt as
  ``LightGBMModel._predict`` builds them (step by step, or a block at a time for a
  direct model). The booster predicts a ratio to the
  series' scale, so each contribution is multiplied by that scale (and by the
  recent level when ``level_window`` is on) to be in units; they then sum to the
  forecast.

Where the shown forecast differs from the model's raw number — clipped at zero for
sales — the difference is one more row (``feature="clip"``, group ``other``), so the
components always add up to the forecast on screen.

Output is tidy: :func:`explain` gives ``unique_id, ds, feature, component, value``
(value in units); :func:`by_component` sums it to ``unique_id, ds, component, value``
with ``component`` one of :data:`COMPONENTS`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from forecasting.schema import DS, ID, future_dates, is_price_like, make_future_frame

__all__ = [
    "COMPONENTS",
    "by_component",
    "explain",
    "feature_group",
    "festival_effects",
    "lightgbm_contributions",
    "prophet_components",
    "supports",
]

# Business groups, in the order they are stacked and listed.
TREND, WEEKLY, YEARLY, FESTIVALS, PROMO, OTHER = (
    "trend",
    "weekly",
    "yearly",
    "festivals",
    "promo_price",
    "other",
)
COMPONENTS = (TREND, WEEKLY, YEARLY, FESTIVALS, PROMO, OTHER)
BIAS, CLIP = "bias", "clip"
FEATURE, COMPONENT, VALUE = "feature", "component", "value"
_WEEKLY_CAL = ("cal_dow", "weekly")
_YEARLY_CAL = ("cal_woy", "cal_month", "cal_doy_sin", "cal_doy_cos", "yearly")


def feature_group(name: str) -> str:
    """The business group of a feature or component name.

    ``bias``, ``trend``, lags, rolling statistics, the recent level and a direct
    model's steps ahead -> ``trend``
    (where sales stand and are heading); weekday -> ``weekly``; week of year, month,
    day-of-year waves -> ``yearly``; ``fest_*`` and festival ids -> ``festivals``;
    prices (``*_rel``) and promotion-like drivers -> ``promo_price``; anything else
    (the series' size, day of month, other drivers, the zero clip) -> ``other``.
    """
    from forecasting.models.features import is_promo_like

    n = str(name)
    if n in (BIAS, TREND, "steps_ahead") or n.startswith(("lag_", "roll_", "level_")):
        return TREND
    if n in _WEEKLY_CAL:
        return WEEKLY
    if n in _YEARLY_CAL:
        return YEARLY
    if n.startswith("fest_"):
        return FESTIVALS
    base = n.removesuffix("_rel")
    if is_price_like(base) or is_promo_like(base):
        return PROMO
    return OTHER


def supports(model: Any) -> bool:
    """Whether :func:`explain` can split this fitted model's forecast."""
    return _kind(model) is not None


def _kind(model: Any) -> str | None:
    if not getattr(model, "fitted_", False):
        return None
    if hasattr(model, "booster_") and hasattr(model, "maker_"):
        return "lightgbm"
    if hasattr(model, "regressors_") and isinstance(getattr(model, "models_", None), dict):
        return "prophet"
    return None


def explain(
    model: Any,
    h: int,
    future: pd.DataFrame | None = None,
    series: str | list[str] | None = None,
) -> pd.DataFrame:
    """Each forecast value of ``model`` split into its features (in units).

    Args:
        model: a fitted LightGBM or Prophet model (:func:`supports`).
        h: horizon, as the forecast was made.
        future: the driver plan the forecast was made with.
        series: one series id, a list, or None for every series the model itself
            forecast (series handed to a fallback model are left out).

    Returns:
        ``unique_id, ds, feature, component, value``; per ``(unique_id, ds)`` the
        values sum to the model's forecast. Empty when the model cannot explain.
    """
    kind = _kind(model)
    if kind == "lightgbm":
        return lightgbm_contributions(model, h, future, series)
    if kind == "prophet":
        return prophet_components(model, h, future, series)
    return _empty()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            ID: pd.Series(dtype=object),
            DS: pd.Series(dtype="datetime64[ns]"),
            FEATURE: pd.Series(dtype=object),
            COMPONENT: pd.Series(dtype=object),
            VALUE: pd.Series(dtype=float),
        }
    )


def _series(model: Any, series: str | list[str] | None) -> list[str]:
    """The requested series the model forecast itself (not a fallback's)."""
    own = [str(u) for u in pd.unique(model.train_[ID])]
    if series is not None:
        want = {series} if isinstance(series, str) else {str(s) for s in series}
        own = [u for u in own if u in want]
    fallbacks = {str(u) for u in (getattr(model, "fallbacks_", {}) or {})}
    return [u for u in own if u not in fallbacks]


def _steps(model: Any, ids: list[str], h: int) -> tuple[int, pd.DatetimeIndex]:
    """Periods to forecast (series that stopped early go further) and the shown dates."""
    end = getattr(model, "end_", None)
    end = model.train_[DS].max() if end is None else end
    gaps = model.gaps()
    gaps = gaps[gaps.index.astype(str).isin(ids)]
    extra = int(gaps.max()) if len(gaps) else 0
    return h + max(extra, 0), future_dates(end, h, model.freq)


def lightgbm_contributions(
    model: Any,
    h: int,
    future: pd.DataFrame | None = None,
    series: str | list[str] | None = None,
) -> pd.DataFrame:
    """LightGBM feature contributions (``pred_contrib``) of the forecast, in units.

    The future feature rows are rebuilt exactly as the model's own forecast builds
    them (``features.panel_forecast``: recursively, the prediction of one step becomes
    a lag of the next; directly, a block of steps from one origin).
    """
    from forecasting.models.features import panel_forecast

    ids = _series(model, series)
    if not ids:
        return _empty()
    steps, shown = _steps(model, ids, h)
    train = model.train_[model.train_[ID].astype(str).isin(ids)]
    fut = make_future_frame(train, steps, model.freq, future)
    maker, booster = model.maker_, model.booster_
    panel = maker.panel(train, fut, steps)
    rows = np.arange(len(panel.ids))
    names = [*maker.feature_names, BIAS]
    contrib = np.zeros((len(rows), steps, len(names)))

    def cells(r: np.ndarray, cols: np.ndarray, back: np.ndarray | None) -> np.ndarray:
        x = maker.tabular(panel, r, cols, back)
        parts = np.asarray(booster.predict(x, pred_contrib=True, num_threads=1), dtype=float)
        parts = parts * maker.level(panel, r, cols, back)[:, None]  # ratio -> scaled units
        contrib[r, cols - panel.origin, :] = parts
        return parts.sum(axis=1)

    floor = 0.0 if getattr(model, "nonnegative_", False) else None
    shown_values = panel_forecast(maker, panel, cells, steps, floor=floor)
    units = contrib * panel.scale[:, None, None]
    dates = panel.dates[:, panel.origin : panel.origin + steps]
    frames = []
    for i, uid in enumerate(panel.ids):
        raw = units[i].sum(axis=1)
        clip = shown_values[i] - raw  # 0 unless the floor lifted a negative prediction
        part = pd.DataFrame(np.column_stack([units[i], clip]), columns=[*names, CLIP])
        part[ID], part[DS] = str(uid), dates[i]
        frames.append(part)
    wide = pd.concat(frames, ignore_index=True)
    wide = wide[wide[DS].isin(shown)]
    return _long(wide, [*names, CLIP])


def _long(wide: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Wide per-feature columns -> ``unique_id, ds, feature, component, value``."""
    out = wide.melt(id_vars=[ID, DS], value_vars=features, var_name=FEATURE, value_name=VALUE)
    out[COMPONENT] = out[FEATURE].map(lambda f: OTHER if f == CLIP else feature_group(f))
    out[DS] = pd.to_datetime(out[DS])
    out = out[[ID, DS, FEATURE, COMPONENT, VALUE]]
    return out.sort_values([ID, DS, FEATURE], kind="stable").reset_index(drop=True)


def prophet_components(
    model: Any,
    h: int,
    future: pd.DataFrame | None = None,
    series: str | list[str] | None = None,
) -> pd.DataFrame:
    """Prophet's trend, seasonalities, festivals and regressors per forecast date, in units."""
    ids = [u for u in _series(model, series) if u in model.models_]
    if not ids:
        return _empty()
    steps, shown = _steps(model, ids, h)
    train = model.train_[model.train_[ID].astype(str).isin(ids)]
    fut = make_future_frame(train, steps, model.freq, future)
    clip = bool(getattr(model, "nonnegative_", False))
    frames = []
    for uid in ids:
        m = model.models_[uid]
        frame = fut.loc[fut[ID] == uid, [DS, *model.regressors_[uid]]].reset_index(drop=True)
        point = copy.copy(m)  # never mutate a (possibly shared, cached) fitted model
        point.uncertainty_samples = 0
        pred = point.predict(frame)
        frames.append(_prophet_parts(m, pred, str(uid), clip))
    wide = pd.concat(frames, ignore_index=True)
    wide = wide[wide[DS].isin(shown)]
    features = [c for c in wide.columns if c not in (ID, DS)]
    out = _long(wide.fillna({c: 0.0 for c in features}), features)
    return out[~((out[FEATURE] != TREND) & (out[VALUE] == 0))].reset_index(drop=True)


def _prophet_parts(m: Any, pred: pd.DataFrame, uid: str, clip: bool) -> pd.DataFrame:
    """One series' Prophet prediction split into unit pieces (+ the zero clip)."""
    multiplicative = set(m.component_modes.get("multiplicative", ()))
    trend = pred["trend"].to_numpy(float)
    holidays = list(m.train_holiday_names) if m.train_holiday_names is not None else []
    pieces = [*m.seasonalities, *holidays, *m.extra_regressors]
    part = pd.DataFrame({ID: uid, DS: pd.to_datetime(pred["ds"]).to_numpy(), TREND: trend})
    for name in pieces:
        if name not in pred.columns:
            continue
        v = pred[name].to_numpy(float)
        part[_prophet_feature(name, holidays)] = trend * v if name in multiplicative else v
    raw = pred["yhat"].to_numpy(float)
    shown = np.clip(raw, 0, None) if clip else raw
    part[CLIP] = shown - raw
    return part


def _prophet_feature(name: str, holidays: list[str]) -> str:
    """Festival components take the ``fest_`` prefix LightGBM's festival features have."""
    return f"fest_{name}" if name in holidays else str(name)


def by_component(detail: pd.DataFrame) -> pd.DataFrame:
    """Sum an :func:`explain` frame to ``unique_id, ds, component, value`` (``COMPONENTS``
    order; a group with no feature is left out)."""
    if detail.empty:
        return detail[[ID, DS, COMPONENT, VALUE]].copy()
    out = detail.groupby([ID, DS, COMPONENT], observed=True, sort=False)[VALUE].sum()
    out = out.reset_index()
    order = {c: i for i, c in enumerate(COMPONENTS)}
    out["_o"] = out[COMPONENT].map(order)
    out = out.sort_values([ID, DS, "_o"], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)


def festival_effects(detail: pd.DataFrame) -> pd.Series:
    """Units each festival adds over the horizon (festival id -> units), largest
    absolute effect first; festivals that add nothing are left out."""
    fest = detail[detail[COMPONENT] == FESTIVALS]
    if fest.empty:
        return pd.Series(dtype=float)
    ids = fest[FEATURE].str.removeprefix("fest_").str.removesuffix("_d")
    total = fest[VALUE].groupby(ids.to_numpy()).sum()
    total = total[total.abs() > 1e-9]
    return total.reindex(total.abs().sort_values(ascending=False).index)
