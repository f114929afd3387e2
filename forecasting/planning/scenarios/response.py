"""The response of units to discount, promotion and price, and the festival lift seen.

:func:`fit_response` is the one response behind every scenario number (KPI cards,
the response panel, the CLI): a pooled log-linear model estimated from the history's
own variation, applied to a forecast by :func:`apply_response`.
:func:`estimate_response` is a diagnostic: what a fitted forecasting model learned
by itself (re-predicting changed plans; trees cannot extrapolate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


# --- the fitted response: one model behind every scenario number -------------------

LOG_PRICE = "log_price"
RESPONSE_TERMS = (DISCOUNT, PROMO, LOG_PRICE)
LEARNED, ASSUMED, UNKNOWN = "learned", "assumed", "none"
DEFAULT_ASSUMED_UPLIFT = 0.2  # +20% units per 10 points of discount when nothing can be learned
_BASE_DAYS = 29  # centred window of the local baseline (non-promotion days)
_DIP_DAYS = 14  # days after a festival window left out (pull-forward dips)
_QUIET_DISCOUNT, _QUIET_PROMO = 0.05, 0.1  # at most this on the days of the local baseline
_MIN_ROWS, _MIN_PRICE_ROWS = 60, 30  # rows to fit at all; rows with a price move to fit it
_Z = {80: 1.2816, 90: 1.6449, 95: 1.96, 99: 2.5758}


@dataclass(frozen=True)
class Response:
    """Units' response to discount, promotion flag and list price: log-linear, with errors.

    ``units = baseline x exp(b_discount x Δdiscount + b_promo x Δpromo + b_log_price x
    Δlog(price))``, where Δ is the scenario's plan minus the reference plan.

    Attributes:
        source: ``"learned"`` (fitted on history), ``"assumed"`` (entered by the
            user) or ``"none"`` (no drivers in the data and no assumption).
        coef: pooled coefficients by term (``discount``, ``promo``, ``log_price``).
        se: their standard errors (series-clustered; 0 for an assumption).
        group_coef: per group (category or series) coefficients, shrunk towards the
            pooled ones.
        groups: ``unique_id -> group``.
        max_discount: the deepest discount in history (0 when unknown).
        n_obs: rows the fit used.
    """

    source: str
    coef: dict[str, float] = field(default_factory=dict)
    se: dict[str, float] = field(default_factory=dict)
    group_coef: dict[str, dict[str, float]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    max_discount: float = 0.0
    n_obs: int = 0

    @property
    def per_10pts(self) -> float:
        """Uplift of units per 10 points of discount (0.221 = +22.1%)."""
        return float(np.exp(0.1 * self.coef.get(DISCOUNT, 0.0)) - 1)

    @property
    def promo_uplift(self) -> float:
        """Uplift of the promotion flag on its own (0.1 = +10%)."""
        return float(np.exp(self.coef.get(PROMO, 0.0)) - 1)

    def uplift(self, discount: float = 0.0, promo: float = 0.0) -> tuple[float, float, float]:
        """Pooled uplift of ``discount`` and ``promo`` vs none: ``(mid, low, high)`` at 90%.

        Beyond the deepest discount in history the interval widens (:func:`_spread`).
        """
        x = {DISCOUNT: discount, PROMO: promo}
        eta = sum(self.coef.get(k, 0.0) * v for k, v in x.items())
        s = float(np.sqrt(sum((self.se.get(k, 0.0) * v) ** 2 for k, v in x.items())))
        s *= _spread(np.array([discount]), self.max_discount)[0]
        z = _Z[90]
        return (
            float(np.exp(eta) - 1),
            float(np.exp(eta - z * s) - 1),
            float(np.exp(eta + z * s) - 1),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers for the KPI notes and the CLI (percentages as fractions)."""
        return {
            "source": self.source,
            "per_10pts": self.per_10pts,
            "per_10pts_se": 0.1 * self.se.get(DISCOUNT, 0.0),
            "promo_uplift": self.promo_uplift,
            "price_elasticity": self.coef.get(LOG_PRICE, float("nan")),
            "max_discount": self.max_discount,
            "n_obs": self.n_obs,
        }


def assumed_response(per_10pts: float = DEFAULT_ASSUMED_UPLIFT) -> Response:
    """A user's assumption, "+``per_10pts`` units per 10 points of discount", as a response."""
    if not -0.9 < per_10pts < 10:
        raise ShopcastError(
            "option_range", option="assume-uplift", value=per_10pts, low=-0.9, high=10
        )
    b = float(np.log1p(per_10pts) / 0.1)
    return Response(ASSUMED, {DISCOUNT: max(b, 0.0)}, {DISCOUNT: 0.0}, max_discount=1.0)


def can_learn(history: pd.DataFrame) -> bool:
    """Does the history vary a discount or a promotion flag (so a response can be learned)?"""
    for col in (DISCOUNT, PROMO):
        if col in history.columns:
            v = pd.to_numeric(history[col], errors="coerce")
            if v.nunique(dropna=True) > 1 and (v > 0).sum() >= 10:
                return True
    return False


def fit_response(
    history: pd.DataFrame,
    groups: Mapping[str, str] | pd.Series | None = None,
    assume: float | None = None,
    country: str | None = None,
) -> Response:
    """The pooled log-linear response of units to discount, promotion flag and list price.

    Method: per series, units on ordinary days (at most a coupon, no promotion)
    net of a weekday profile give a local baseline (centred rolling mean over
    ``_BASE_DAYS`` days); each day's units are modelled as that baseline times
    ``exp(c + b x drivers)`` — a Poisson pseudo-likelihood with the baseline as
    offset (unbiased for low-volume series, unlike a regression of log units),
    pooled over series, standard errors clustered by series. The drivers: the
    discount, the promotion flag and the log price relative to its local median.
    Festival windows and the ``_DIP_DAYS`` after them, and zero-sales days
    (stockouts, closures), are left out: festival lifts are the baseline model's
    job. Per-group fits are shrunk towards the pooled coefficients (empirical
    Bayes). Signs are constrained: discount and promotion >= 0 (more discount
    never means fewer units), price <= 0; a term of the wrong sign is dropped.

    Args:
        history: long history (``unique_id, ds, y`` + drivers).
        groups: ``unique_id -> group`` for the per-group coefficients (default: each
            series its own group).
        assume: "+x units per 10 points of discount", used when nothing can be
            learned (``None`` = report ``source="none"``).
        country: festival calendar of the windows left out.

    Returns:
        The :class:`Response`.
    """
    if not can_learn(history):
        return assumed_response(assume) if assume is not None else Response(UNKNOWN)
    frame = _response_frame(history, country)
    terms = [c for c in RESPONSE_TERMS if c in frame.columns and _varies(frame[c], c)]
    if len(frame) < _MIN_ROWS or not terms:
        return assumed_response(assume) if assume is not None else Response(UNKNOWN)
    coef, se = _poisson(frame, terms)
    # Signs by construction: more discount never means fewer units, a higher list price
    # never more (a price term the local baseline cannot separate is dropped, not guessed).
    wrong = [t for t in terms if (coef[t] > 0 if t == LOG_PRICE else coef[t] < 0)]
    if wrong:
        terms = [c for c in terms if c not in wrong]
        coef, se = _poisson(frame, terms) if terms else ({}, {})
        for t in wrong:
            if t != LOG_PRICE:
                coef[t], se[t] = 0.0, 0.0
    if groups is None:
        gmap = {u: u for u in frame[ID].unique()}
    else:
        gmap = {str(k): str(v) for k, v in dict(groups).items()}
    shrunk = _shrunk(frame, [t for t in terms if t in coef], coef, gmap)
    disc = pd.to_numeric(history.get(DISCOUNT, pd.Series(dtype=float)), errors="coerce")
    return Response(
        LEARNED,
        coef,
        se,
        shrunk,
        {str(u): gmap.get(str(u), str(u)) for u in history[ID].unique()},
        float(disc.max()) if disc.notna().any() else 0.0,
        len(frame),
    )


def _response_frame(history: pd.DataFrame, country: str | None) -> pd.DataFrame:
    """Rows of the fit: ``unique_id, y, off`` (log of the local baseline) + the terms."""
    from forecasting.data.festivals import festival_offsets

    h = history[[c for c in (ID, DS, Y, DISCOUNT, PROMO, PRICE) if c in history.columns]].copy()
    h[ID] = h[ID].astype(str)
    h[DS] = pd.to_datetime(h[DS])
    h = h.sort_values([ID, DS]).reset_index(drop=True)
    for col in (DISCOUNT, PROMO, PRICE):
        if col in h.columns:
            h[col] = pd.to_numeric(h[col], errors="coerce")
    disc = h[DISCOUNT].fillna(0) if DISCOUNT in h else 0.0
    promo = h[PROMO].fillna(0) if PROMO in h else 0.0
    # ordinary days: at most a coupon and (aggregated data) a small share on promotion
    treated = (np.asarray(disc) > _QUIET_DISCOUNT) | (np.asarray(promo) > _QUIET_PROMO)
    days = pd.DatetimeIndex(h[DS].unique()).sort_values()
    kwargs = {} if country is None else {"country": country}
    fest = festival_offsets(days, **kwargs).notna().any(axis=1).to_numpy()
    fest = pd.Series(fest, index=days).astype(float)
    fest = fest.rolling(_DIP_DAYS + 1, min_periods=1).max() > 0  # the window and the dip after
    clean = ~h[DS].map(fest).fillna(False).to_numpy(dtype=bool)
    y = pd.to_numeric(h[Y], errors="coerce").to_numpy(dtype=float)
    ok = clean & np.isfinite(y) & (y > 0)
    dow = h[DS].dt.dayofweek
    yv = pd.Series(np.where(ok, y, np.nan))
    quiet_y = yv.where(~treated)
    wd = quiet_y.groupby([h[ID], dow]).transform("mean") / quiet_y.groupby(h[ID]).transform("mean")
    level = (
        (yv / wd)
        .where(~treated)
        .groupby(h[ID])
        .transform(lambda s: s.rolling(_BASE_DAYS, center=True, min_periods=7).mean())
    )
    out = pd.DataFrame({ID: h[ID], "y": yv, "off": np.log(level * wd)})
    if DISCOUNT in h:
        out[DISCOUNT] = h[DISCOUNT].fillna(0.0).clip(lower=0.0)
    if PROMO in h:
        out[PROMO] = h[PROMO].fillna(0.0).clip(0.0, 1.0)  # a share on aggregated data
    if PRICE in h:
        lp = np.log(h[PRICE].where(h[PRICE] > 0))
        med = lp.groupby(h[ID]).transform(
            lambda s: s.rolling(_BASE_DAYS, center=True, min_periods=7).median()
        )
        out[LOG_PRICE] = lp - med
    return out.replace([np.inf, -np.inf], np.nan).dropna().reset_index(drop=True)


def _varies(x: pd.Series, term: str) -> bool:
    """Enough variation to estimate ``term`` (a price needs moves on many rows)."""
    if term == LOG_PRICE:
        return int((x.abs() > 0.005).sum()) >= _MIN_PRICE_ROWS
    return int((x > 0).sum()) >= 10 and float(x.std()) > 1e-9


def _poisson(
    frame: pd.DataFrame, terms: Sequence[str], iters: int = 25
) -> tuple[dict[str, float], dict[str, float]]:
    """Poisson pseudo-likelihood of ``y`` with offset ``off`` on ``terms`` + intercept.

    Multiplicative like the log model, but unbiased for low-volume series (the mean
    of the units, not of their logs); standard errors clustered by series (>= 10).
    """
    x = np.column_stack([np.ones(len(frame)), frame[list(terms)].to_numpy(dtype=float)])
    yv = frame["y"].to_numpy(dtype=float)
    off = frame["off"].to_numpy(dtype=float)
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        mu = np.exp(np.clip(off + x @ beta, -30, 30))
        step = np.linalg.lstsq((x * mu[:, None]).T @ x, x.T @ (yv - mu), rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    mu = np.exp(np.clip(off + x @ beta, -30, 30))
    bread = np.linalg.pinv((x * mu[:, None]).T @ x)
    score = pd.DataFrame(x * (yv - mu)[:, None]).groupby(frame[ID].to_numpy()).sum().to_numpy()
    g = len(score)
    if g >= 10:
        cov = bread @ (score.T @ score * (g / max(g - 1, 1))) @ bread
    else:  # too few series to cluster: overdispersion-scaled errors
        phi = float(((yv - mu) ** 2 / mu).sum()) / max(len(yv) - x.shape[1], 1)
        cov = bread * phi
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    return (
        {t: float(beta[i + 1]) for i, t in enumerate(terms)},
        {t: float(se[i + 1]) for i, t in enumerate(terms)},
    )


def _shrunk(
    frame: pd.DataFrame, terms: list[str], pooled: dict[str, float], gmap: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    """Per-group coefficients shrunk towards ``pooled`` (weight tau² / (tau² + se²))."""
    grp = frame[ID].map(lambda u: gmap.get(u, u))
    fits = {}
    for g, part in frame.groupby(grp.to_numpy()):
        usable = [t for t in terms if part[t].std() > 1e-9]
        if len(part) < 30 or part[ID].nunique() < 1 or not usable:
            continue
        fits[str(g)] = _poisson(part, usable)
    out: dict[str, dict[str, float]] = {}
    for t in terms:
        est = {g: (c[t], s[t]) for g, (c, s) in fits.items() if t in c and np.isfinite(s[t])}
        if not est:
            continue
        b = np.array([v[0] for v in est.values()])
        s2 = np.array([v[1] ** 2 for v in est.values()])
        tau2 = max(float(np.var(b) - np.mean(s2)), 0.0) if len(b) > 1 else 0.0
        for g, (bg, sg) in est.items():
            w = tau2 / (tau2 + sg**2) if tau2 + sg**2 > 0 else 0.0
            val = w * bg + (1 - w) * pooled[t]
            if t == DISCOUNT:
                val = max(val, 0.0)
            out.setdefault(g, {})[t] = float(val)
    return out


def _spread(discount: np.ndarray, max_discount: float) -> np.ndarray:
    """How much wider the interval gets beyond the deepest discount in history (>= 1)."""
    beyond = np.clip(np.asarray(discount, dtype=float) - max_discount, 0.0, None)
    return 1.0 + 3.0 * beyond / max(max_discount, 0.05)


def _drivers(plan: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(plan)
    out = {}
    for col in (DISCOUNT, PROMO):
        v = pd.to_numeric(plan[col], errors="coerce") if col in plan else pd.Series(np.zeros(n))
        out[col] = v.fillna(0.0).to_numpy(dtype=float)
    out[PROMO] = np.clip(out[PROMO], 0.0, 1.0)
    if PRICE in plan:
        p = pd.to_numeric(plan[PRICE], errors="coerce").to_numpy(dtype=float)
        out[LOG_PRICE] = np.log(np.where(p > 0, p, np.nan))
    return out


def response_effect(
    response: Response, reference: pd.DataFrame, plan: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Log multiplier of units and its standard error, row by row, ``plan`` vs ``reference``.

    Both plans have the same rows (``unique_id, ds`` in the same order).
    """
    ref, new = _drivers(reference), _drivers(plan)
    ids = plan[ID].astype(str).map(lambda u: response.groups.get(u, u))
    eta = np.zeros(len(plan))
    var = np.zeros(len(plan))
    for t, b in response.coef.items():
        if t not in ref or t not in new:
            continue
        dx = np.nan_to_num(new[t] - ref[t])
        bg = ids.map(lambda g, t=t, b=b: response.group_coef.get(g, {}).get(t, b))
        eta += bg.to_numpy(dtype=float) * dx
        var += (response.se.get(t, 0.0) * dx) ** 2
    changed = np.abs(new[DISCOUNT] - ref[DISCOUNT]) > 1e-12
    sd = np.sqrt(var) * np.where(changed, _spread(new[DISCOUNT], response.max_discount), 1.0)
    return eta, sd


def apply_response(
    response: Response,
    forecast: pd.DataFrame,
    reference: pd.DataFrame,
    plan: pd.DataFrame,
) -> pd.DataFrame:
    """``forecast`` (made for ``reference``) moved to ``plan`` by the response.

    The point forecast is multiplied by ``exp(eta)``; each ``-lo-L``/``-hi-L`` band
    by ``exp(eta ∓ z_L sd)`` — the coefficient uncertainty widens the band, more so
    beyond the deepest discount in history.
    """
    keys = forecast[[ID, DS]].astype({ID: str})
    ref = keys.merge(reference.astype({ID: str}), on=[ID, DS], how="left")
    new = keys.merge(plan.astype({ID: str}), on=[ID, DS], how="left")
    eta, sd = response_effect(response, ref, new)
    out = forecast.copy()
    for col in out.columns:
        if col in (ID, DS, "scenario") or not pd.api.types.is_numeric_dtype(out[col]):
            continue
        z = _band_z(col)
        f = np.exp(eta + z * sd) if z else np.exp(eta)
        out[col] = out[col].to_numpy(dtype=float) * f
    return out


def _band_z(col: str) -> float:
    """``-z`` for a ``-lo-L`` column, ``+z`` for ``-hi-L``, 0 for a point forecast."""
    for side, sign in (("-lo-", -1.0), ("-hi-", 1.0)):
        if side in col:
            try:
                level = float(col.rsplit(side, 1)[1])
            except ValueError:
                return 0.0
            from statistics import NormalDist

            return sign * NormalDist().inv_cdf(0.5 + level / 200)
    return 0.0


def neutral_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """``plan`` without promotion: discount and promotion flag 0, list prices kept."""
    out = plan.copy()
    for col in (DISCOUNT, PROMO):
        if col in out.columns:
            out[col] = 0.0
    return out


def beyond_history(response: Response, plan: pd.DataFrame) -> float | None:
    """The deepest discount in history when ``plan`` goes deeper (for the note), else None."""
    if response.source != LEARNED or DISCOUNT not in plan.columns:
        return None
    deepest = float(pd.to_numeric(plan[DISCOUNT], errors="coerce").max())
    return response.max_discount if deepest > response.max_discount + 1e-9 else None


def response_table(
    response: Response, values: Sequence[float] = (0.1, 0.2, 0.3, 0.4), promo: float = 1.0
) -> pd.DataFrame:
    """The response curve: uplift of ``values`` off (with the promotion flag) vs none.

    Same columns as :func:`estimate_response` (the response chart reads either):
    ``driver, value, reference, linked, uplift_pct, ci_low_pct, ci_high_pct,
    per_10pts_pct, marginal_per_10pts_pct, in_history`` (90% intervals, widened
    beyond the deepest discount in history).
    """
    rows, prev = [], None
    for v in values:
        mid, lo, hi = response.uplift(float(v), promo)
        rows.append(
            {
                "driver": DISCOUNT,
                "value": float(v),
                "reference": 0.0,
                "linked": f"{PROMO}=1" if promo else "",
                "uplift_pct": 100 * mid,
                "ci_low_pct": 100 * lo,
                "ci_high_pct": 100 * hi,
                "per_10pts_pct": 100 * response.per_10pts,
                "marginal_per_10pts_pct": 100 * response.per_10pts if prev is not None else np.nan,
                "in_history": response.source != LEARNED or v <= response.max_discount + 1e-9,
            }
        )
        prev = v
    return pd.DataFrame(rows)


def response_summary(response: Response | None, baseline: str, lang: str) -> list[str]:
    """What the baseline is and where the response comes from, in ``lang`` (CLI and page)."""
    from forecasting.i18n import t

    lines = [t(f"response.baseline.{baseline}", lang)]
    if response is None:
        return lines
    d = response.to_dict()
    if response.source == LEARNED:
        lines.append(
            t(
                "response.learned",
                lang,
                per10=f"{d['per_10pts']:+.1%}",
                se=f"{d['per_10pts_se']:.1%}",
                promo=f"{d['promo_uplift']:+.1%}",
                max=f"{d['max_discount']:.0%}",
            )
        )
    elif response.source == ASSUMED:
        lines.append(t("response.assumed", lang, per10=f"{d['per_10pts']:+.0%}"))
    else:
        lines.append(t("response.unknown", lang))
    return lines


def response_groups(hierarchy: pd.DataFrame | None) -> dict[str, str] | None:
    """``unique_id -> group`` for the per-group coefficients: the level above the series.

    ``None`` (each series its own group) without a hierarchy of two levels or more.
    """
    if hierarchy is None or not isinstance(hierarchy, pd.DataFrame):
        return None
    levels = [c for c in hierarchy.columns if c != ID]
    if len(levels) < 2:
        return None
    h = hierarchy.drop_duplicates(ID)
    return dict(zip(h[ID].astype(str), h[levels[-2]].astype(str), strict=True))
