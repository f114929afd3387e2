"""The fitted response: units' response to discount, promotion flag and list price.

:func:`fit_response` is the one response behind every scenario number (KPI cards,
the response panel, the CLI): a pooled log-linear model estimated from the history's
own variation, applied to a forecast by :func:`apply_response`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.spec import DISCOUNT, PRICE, PROMO
from forecasting.schema import DS, ID, Y

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
    coef, se = poisson_fit(frame, terms)
    # Signs by construction: more discount never means fewer units, a higher list price
    # never more (a price term the local baseline cannot separate is dropped, not guessed).
    wrong = [t for t in terms if (coef[t] > 0 if t == LOG_PRICE else coef[t] < 0)]
    if wrong:
        terms = [c for c in terms if c not in wrong]
        coef, se = poisson_fit(frame, terms) if terms else ({}, {})
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


def poisson_fit(
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
        fits[str(g)] = poisson_fit(part, usable)
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
