"""The response of units to discount, promotion and price, and the festival lift seen.

:func:`fit_response` is the one response behind every scenario number (KPI cards,
the response panel, the CLI): a pooled log-linear model estimated from the history's
own variation, applied to a forecast by :func:`apply_response`.
:func:`estimate_response` is a diagnostic: what a fitted forecasting model learned
by itself (re-predicting changed plans; trees cannot extrapolate). The fitted
response itself is in :mod:`.elasticity` (its names are re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.presets import PRESET_FESTIVALS
from forecasting.planning.scenarios.spec import DISCOUNT, PRICE, PROMO
from forecasting.schema import DS, ID, Y

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster


def estimate_response(
    model: Forecaster,
    base_future: pd.DataFrame,
    driver: str = DISCOUNT,
    values: Sequence[float] = (0.1, 0.2, 0.3),
    reference: float = 0.0,
    window: tuple[Any, Any] | None = None,
    series: Sequence[str] | None = None,
    link: str | Mapping[str, float] | None = "auto",
    n_boot: int = 300,
    seed: int = 0,
    rows: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """The response the model learned: uplift of units when a driver changes.

    Method: the fitted model predicts the plan with ``driver = reference`` and with
    ``driver = v`` for each value (inside ``window``, for the chosen series, all
    else equal); the uplift is the ratio of the summed units minus one. Nothing is
    refitted. For price-like drivers the values are relative changes (0.1 = +10%
    list price) and the reference is 0.

    Linked drivers: in shop data a deep discount nearly always comes with the
    promotion flag, so "20% off without a promotion" was never observed and a model
    cannot know it. With ``link="auto"`` and ``driver="discount"``, the promotion
    flag is set to the value it had in history at that depth (on in >= 90% of the
    rows with at least this discount -> 1; the reference 0% gets the usual flag of
    0%-discount rows). The ``linked`` column says what was set. The
    ``marginal_per_10pts_pct`` column compares consecutive values with the same
    flag, isolating the discount itself.

    Uncertainty (document it with the numbers): ``p10_pct``/``p90_pct`` are the
    10th/90th percentiles of the per-series uplifts (how much the learned response
    varies between products); ``ci_low_pct``/``ci_high_pct`` a 90% bootstrap
    interval of the pooled uplift, resampling series. Neither includes the
    uncertainty of the fitted model's own parameters (that needs refits on
    resampled history, too slow for an interactive page).

    Args:
        model: a fitted model (one that ``uses_drivers``; others show 0 uplift).
        base_future: the plan the perturbations start from (:func:`base_plan`).
        driver: driver column, e.g. ``"discount"``, ``"promo"``, ``"price"``.
        values: driver values to try (fractions for discount / price change).
        reference: value compared against (0 = no discount / no promotion).
        window: ``(start, end)`` dates; default the whole horizon.
        series: restrict to these ``unique_id`` values.
        link: ``"auto"``, ``None`` (change only ``driver``) or fixed values of other
            drivers, e.g. ``{"promo": 1}``.
        n_boot: bootstrap resamples.
        seed: bootstrap seed.
        rows: optional boolean mask over ``base_future``'s rows (e.g. only open
            weekdays), combined with ``window`` and ``series``.

    Returns:
        One row per value: ``driver, value, reference, linked, uplift_pct,
        median_pct, p10_pct, p90_pct, ci_low_pct, ci_high_pct, per_10pts_pct,
        marginal_per_10pts_pct, in_history, n_series`` (the per-10-points columns
        only for ``driver="discount"``).
    """
    train = model.train_
    _check_driver(train, driver, values)
    fut = base_future.copy()
    fut[DS] = pd.to_datetime(fut[DS])
    h = int(fut.groupby(ID).size().max())
    rows = _chosen_rows(fut, rows, window, series)
    price_like = driver.lower().startswith(PRICE)
    hist = pd.to_numeric(train[driver], errors="coerce")

    def plan(v: float) -> tuple[pd.DataFrame, str]:
        return _perturbed_plan(fut, rows, train, driver, v, link, price_like)

    def units(f: pd.DataFrame) -> pd.Series:
        p = model.predict(h, future=f, level=[])
        p = p.merge(fut.loc[rows, [ID, DS]], on=[ID, DS], how="inner")
        return p.groupby(ID)[model.alias].sum()

    ref_plan, ref_link = plan(reference)
    ref = units(ref_plan)
    rng = np.random.default_rng(seed)
    out, prev = [], None
    for v in values:
        f, linked = plan(float(v))
        u = units(f).reindex(ref.index)
        row = _uplift_stats(u, ref, float(v), float(reference), driver, prev, rng, n_boot)
        in_hist = (
            float(hist.min()) - 1e-9 <= float(v) <= float(hist.max()) + 1e-9
            if not price_like
            else price_in_history(train, driver, float(v))
        )
        linked = "; ".join(x for x in (linked, ref_link and f"ref: {ref_link}") if x)
        out.append(_response_row(driver, float(v), float(reference), linked, row, in_hist))
        prev = (float(v), row["pooled"])
    return pd.DataFrame(out)


def _check_driver(train: pd.DataFrame, driver: str, values: Sequence[float]) -> None:
    if driver not in train.columns:
        raise ShopcastError(
            "scenario_unknown_driver",
            driver=driver,
            choices=", ".join(c for c in train.columns if c not in (ID, DS, Y)) or "-",
        )
    if not values:
        raise ShopcastError("scenario_no_values")


def _chosen_rows(
    fut: pd.DataFrame,
    rows: np.ndarray | pd.Series | None,
    window: tuple[Any, Any] | None,
    series: Sequence[str] | None,
) -> np.ndarray:
    """The plan rows the response is measured on: ``rows`` and ``window`` and ``series``."""
    if rows is None:
        rows = np.ones(len(fut), dtype=bool)
    else:
        rows = np.asarray(rows, dtype=bool).copy()
        if rows.shape != (len(fut),):
            raise ShopcastError("scenario_bad_rows", n=len(fut), got=rows.shape[0])
    if window is not None:
        a, b = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        rows &= ((fut[DS] >= a) & (fut[DS] <= b)).to_numpy()
    if series is not None:
        rows &= fut[ID].astype(str).isin([str(s) for s in series]).to_numpy()
    if not rows.any():
        raise ShopcastError("scenario_empty_window")
    return rows


def _perturbed_plan(
    fut: pd.DataFrame,
    rows: np.ndarray,
    train: pd.DataFrame,
    driver: str,
    v: float,
    link: str | Mapping[str, float] | None,
    price_like: bool,
) -> tuple[pd.DataFrame, str]:
    """The plan with ``driver = v`` (price: x ``1 + v``) on ``rows``, linked drivers set too.

    Returns:
        ``(plan, "promo=1"-style text of the linked drivers set)``.
    """
    f = fut.copy()
    if price_like:
        f.loc[rows, driver] = f.loc[rows, driver].astype(float) * (1.0 + v)
    else:
        f[driver] = f[driver].astype(float) if driver in f.columns else 0.0
        f.loc[rows, driver] = v
    linked = _linked(train, driver, v, link)
    for col, val in linked.items():
        f[col] = f[col].astype(float) if col in f.columns else 0.0
        f.loc[rows, col] = val
    return f, ", ".join(f"{k}={x:g}" for k, x in linked.items())


def _uplift_stats(
    u: pd.Series,
    ref: pd.Series,
    v: float,
    reference: float,
    driver: str,
    prev: tuple[float, float] | None,
    rng: np.random.Generator,
    n_boot: int,
) -> dict[str, Any]:
    """Pooled and per-series uplift of units ``u`` vs ``ref``, bootstrap, per 10 points."""
    per = (u / ref).replace([np.inf, -np.inf], np.nan) - 1
    pooled = float(u.sum() / ref.sum() - 1) if ref.sum() > 0 else float("nan")
    boot = []
    if len(ref) > 1 and n_boot > 0:
        idx = rng.integers(0, len(ref), size=(n_boot, len(ref)))
        num, den = u.to_numpy()[idx].sum(axis=1), ref.to_numpy()[idx].sum(axis=1)
        boot = num[den > 0] / den[den > 0] - 1
    step = v - reference
    per10 = _per10(pooled, step) if driver == DISCOUNT and step else float("nan")
    marginal = float("nan")
    if prev is not None and driver == DISCOUNT and v != prev[0]:
        ratio = (1 + pooled) / (1 + prev[1]) if 1 + prev[1] > 0 else float("nan")
        marginal = _per10(ratio - 1, v - prev[0])
    return {"per": per, "pooled": pooled, "boot": boot, "per10": per10, "marginal": marginal}


def _response_row(
    driver: str, v: float, reference: float, linked: str, st: dict[str, Any], in_hist: bool
) -> dict[str, Any]:
    """One row of the :func:`estimate_response` table (percentages in percent)."""
    per, pooled, boot = st["per"], st["pooled"], st["boot"]
    per10, marginal = st["per10"], st["marginal"]
    return {
        "driver": driver,
        "value": v,
        "reference": reference,
        "linked": linked,
        "uplift_pct": 100 * pooled,
        "median_pct": 100 * float(per.median()),
        "p10_pct": 100 * float(per.quantile(0.1)),
        "p90_pct": 100 * float(per.quantile(0.9)),
        "ci_low_pct": 100 * float(np.quantile(boot, 0.05)) if len(boot) else float("nan"),
        "ci_high_pct": 100 * float(np.quantile(boot, 0.95)) if len(boot) else float("nan"),
        "per_10pts_pct": 100 * per10 if np.isfinite(per10) else float("nan"),
        "marginal_per_10pts_pct": 100 * marginal if np.isfinite(marginal) else float("nan"),
        "in_history": bool(in_hist),
        "n_series": int(per.notna().sum()),
    }


def _per10(uplift: float, step: float) -> float:
    """Uplift per 10 points of the driver, assuming a constant multiplicative effect."""
    if not np.isfinite(uplift) or uplift <= -1 or step == 0:
        return float("nan")
    return float((1 + uplift) ** (0.1 / step) - 1)


def _linked(
    train: pd.DataFrame, driver: str, v: float, link: str | Mapping[str, float] | None
) -> dict[str, float]:
    if link is None:
        return {}
    if isinstance(link, Mapping):
        return {str(k): float(x) for k, x in link.items()}
    if link != "auto" or driver != DISCOUNT or PROMO not in train.columns:
        return {}
    d = pd.to_numeric(train[DISCOUNT], errors="coerce")
    p = pd.to_numeric(train[PROMO], errors="coerce")
    sel = d >= v - 1e-9 if v > 0 else d.abs() < 1e-9
    if not sel.any():
        sel = d >= d.max() - 1e-9  # beyond history: the deepest discount seen
    share = float((p[sel] > 0).mean())
    if share >= 0.9:
        return {PROMO: 1.0}
    if share <= 0.1:
        return {PROMO: 0.0}
    return {}


def price_in_history(train: pd.DataFrame, col: str, change: float, window: int = 28) -> bool:
    """Was a price jump of ``change`` vs the recent mean price ever seen in history?

    Models see a price relative to its recent level (LightGBM: price / mean of the
    last ``window`` periods), so the range is that ratio over all series.
    """
    h = train.sort_values([ID, DS])
    price = pd.to_numeric(h[col], errors="coerce")
    recent = price.groupby(h[ID].to_numpy()).transform(
        lambda p: p.shift(1).rolling(window, min_periods=1).mean()
    )
    rel = (price / recent).replace([np.inf, -np.inf], np.nan).dropna()
    if rel.empty:
        return False
    return bool(rel.min() - 1e-9 <= 1 + change <= rel.max() + 1e-9)


def festival_lift(
    history: pd.DataFrame, festivals: Sequence[str] = PRESET_FESTIVALS, before_days: int = 28
) -> pd.DataFrame:
    """How much each festival lifted daily units in history (observed, not a model).

    For each festival and year in the history: mean daily units (all series summed)
    inside the festival window divided by the mean over the ``before_days`` days
    before the window (other festival windows excluded). It includes whatever
    discounts ran during the festival, so it is the *total* festival effect a
    manager saw, not the festival alone.

    Returns:
        ``festival, year, lift, days``, plus a row per festival with ``year ==
        "mean"`` (mean lift over the years).
    """
    from forecasting.data.festivals import festival_calendar, festival_offsets

    df = history[[DS, Y]].copy()
    df[DS] = pd.to_datetime(df[DS])
    daily = df.groupby(DS)[Y].sum()
    if daily.empty:
        return pd.DataFrame(columns=["festival", "year", "lift", "days"])
    days = daily.index
    offsets = festival_offsets(days)
    in_any = offsets.notna().any(axis=1).to_numpy()
    years = range(days.min().year, days.max().year + 1)
    cal = festival_calendar(years, festivals=list(festivals))
    rows = []
    for r in cal.itertuples(index=False):
        a = r.ds + pd.Timedelta(days=int(r.lower_window))
        b = r.ds + pd.Timedelta(days=int(r.upper_window))
        inside = (days >= a) & (days <= b)
        before = (days < a) & (days >= a - pd.Timedelta(days=before_days)) & ~in_any
        if inside.sum() < (b - a).days + 1 or before.sum() < before_days // 2:
            continue  # festival not fully inside the history
        lift = (
            float(daily[inside].mean() / daily[before].mean())
            if daily[before].mean() > 0
            else float("nan")
        )
        rows.append(
            {"festival": r.holiday, "year": str(r.ds.year), "lift": lift, "days": int(inside.sum())}
        )
    out = pd.DataFrame(rows, columns=["festival", "year", "lift", "days"])
    if len(out):
        mean = (
            out.groupby("festival", sort=False)
            .agg(lift=("lift", "mean"), days=("days", "mean"))
            .reset_index()
        )
        mean["year"] = "mean"
        out = pd.concat([out, mean[out.columns]], ignore_index=True)
    return out


# The fitted response lives in its own module; these names stay importable from here.
from forecasting.planning.scenarios.elasticity import (  # noqa: E402, F401
    ASSUMED,
    DEFAULT_ASSUMED_UPLIFT,
    LEARNED,
    LOG_PRICE,
    RESPONSE_TERMS,
    UNKNOWN,
    Response,
    apply_response,
    assumed_response,
    beyond_history,
    can_learn,
    fit_response,
    neutral_plan,
    response_effect,
    response_groups,
    response_summary,
    response_table,
)
