"""After-effects of a promotion, estimated from history: the dip after it and the
units it takes from the other products of its category.

Two effects the response to a discount (:mod:`.elasticity`) does not see, because it
compares a product's promotion days with its own ordinary days:

* **Pull-forward dip.** Units in the ``post_days`` days after a promotion run
  (a festival sale or the shop's own campaign) against the product's local
  baseline (weekday-adjusted ordinary days before the run and after the dip). One
  estimate per festival (and one for campaigns outside festivals) and category,
  pooled over the category's products and the years.
* **Cannibalisation.** Units of a product on an ordinary day against its local
  baseline (from days without a promoted peer), as a function of the share of the *other* products of its category on
  promotion that day. One pooled coefficient per category (effect size >= 0).

Both are shrunk towards 0 (``est x max(0, 1 - se² / est²)``): when the data cannot
tell, the effect is 0, and :func:`after_summary` says so ("not estimable from this
data: assumed 0"). :func:`after_factors` turns them into multipliers of a plan's
forecast rows (<= 1), which the scenario comparison applies on top of the response.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.planning.scenarios.elasticity import poisson_fit
from forecasting.planning.scenarios.spec import DISCOUNT, PROMO
from forecasting.schema import DS, ID, Y

POST_DAYS = 7  # days after a promotion run whose units are compared with the baseline
CAMPAIGN = "promotion"  # the dip key of promotion runs outside festival windows
ALL_GROUPS = "*"  # the estimate pooled over every category
_QUIET_DISCOUNT, _QUIET_PROMO = 0.05, 0.1  # the same "ordinary day" as the response
_SIDE_DAYS = 28  # ordinary days before the run and after its dip: the local baseline
_BASE_DAYS = 29  # centred window of the local baseline of cannibalisation rows
_MIN_EVENTS = 5  # product-runs needed for a dip estimate
_MIN_SHARED_ROWS = 30  # ordinary rows with a peer on promotion needed for cannibalisation

Estimate = tuple[float, float, int]  # (shrunk log effect, standard error, observations)


@dataclass(frozen=True)
class AfterEffects:
    """The dip after promotion runs and the cannibalisation between products.

    Attributes:
        post_days: days after a run the dip covers.
        dip: ``key -> group -> (log ratio, se, runs)``; ``key`` is a festival name or
            ``"promotion"``; ``group`` a category or ``"*"`` (pooled). Log ratios are
            shrunk towards 0 and <= 0.
        cannibal: ``group -> (coefficient, se, rows)``: log change of an ordinary
            product's units when every other product of its category is on
            promotion (<= 0, shrunk towards 0).
        groups: ``unique_id -> group``.
        country: the festival calendar the festival runs were named with.
    """

    post_days: int = POST_DAYS
    dip: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    cannibal: dict[str, Estimate] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    country: str | None = None

    def dip_for(self, key: str, group: str) -> float:
        """The log dip after a ``key`` run of a ``group`` product (0 when not estimable)."""
        by = self.dip.get(key, {})
        est = by.get(group, by.get(ALL_GROUPS))
        return est[0] if est is not None else 0.0

    @property
    def dip_estimable(self) -> bool:
        return bool(self.dip)

    @property
    def cannibal_estimable(self) -> bool:
        return bool(self.cannibal)


def fit_after_effects(
    history: pd.DataFrame,
    groups: Mapping[str, str] | None = None,
    post_days: int = POST_DAYS,
    country: str | None = None,
) -> AfterEffects:
    """Estimate the pull-forward dip and the cannibalisation from ``history``.

    Args:
        history: long history (``unique_id, ds, y`` + ``discount``/``promo``).
        groups: ``unique_id -> category`` (default: one group, all products).
        post_days: days after each run whose units are compared.
        country: festival calendar naming the festival runs.

    Returns:
        The :class:`AfterEffects`; empty estimates when the data has no
        promotion column (nothing can be estimated, every effect is 0).
    """
    ids = history[ID].astype(str).unique()
    gmap = (
        {u: "all" for u in ids} if groups is None else {str(k): str(v) for k, v in groups.items()}
    )
    gmap = {u: gmap.get(u, u) for u in ids}
    empty = AfterEffects(post_days, groups=gmap, country=country)
    if DISCOUNT not in history.columns and PROMO not in history.columns:
        return empty
    panel = _panel(history, country, post_days)
    if panel is None:
        return empty
    runs = _dip_runs(panel, gmap, post_days)
    dip: dict[str, dict[str, Estimate]] = {}
    for key, part in runs.groupby("key") if len(runs) else []:
        est = {g: _ratio(p) for g, p in part.groupby("group")}
        est[ALL_GROUPS] = _ratio(part)
        est = {g: e for g, e in est.items() if e is not None}
        if est:
            dip[str(key)] = est
    return AfterEffects(post_days, dip, _cannibal(panel, gmap), gmap, country)


@dataclass
class _Panel:
    """Wide daily arrays (products x days) the estimates work on."""

    ids: list[str]
    days: pd.DatetimeIndex
    y: np.ndarray  # NaN where missing or 0 (stockouts, closures)
    treated: np.ndarray  # on promotion (discount beyond a coupon, or the flag)
    festival: np.ndarray  # festival name of the day's window, "" outside (by day)
    zone: np.ndarray  # inside a festival window or the post days after it (by day)
    wd: np.ndarray  # weekday factor of each product and day
    ordinary: np.ndarray  # not promoted, not just after a run, outside festival zones


def _panel(history: pd.DataFrame, country: str | None, post_days: int) -> _Panel | None:
    from forecasting.data.festivals import festival_offsets

    h = history.copy()
    h[ID] = h[ID].astype(str)
    h[DS] = pd.to_datetime(h[DS])
    y = h.pivot_table(index=ID, columns=DS, values=Y, aggfunc="sum")
    if y.shape[1] < 3 * _SIDE_DAYS:
        return None
    days = pd.DatetimeIndex(y.columns)
    full = pd.date_range(days.min(), days.max(), freq="D")
    y = y.reindex(columns=full)
    treated = np.zeros(y.shape, dtype=bool)
    for col, quiet in ((DISCOUNT, _QUIET_DISCOUNT), (PROMO, _QUIET_PROMO)):
        if col in h.columns:
            v = pd.to_numeric(h[col], errors="coerce").fillna(0.0)
            w = h.assign(_v=v).pivot_table(index=ID, columns=DS, values="_v", aggfunc="max")
            treated |= w.reindex(index=y.index, columns=full).fillna(0.0).to_numpy() > quiet
    kwargs = {} if country is None else {"country": country}
    off = festival_offsets(full, **kwargs)
    inside = off.notna().to_numpy()
    names = np.array(off.columns, dtype=object)
    festival = np.where(inside.any(axis=1), names[inside.argmax(axis=1)], "")
    zone = pd.Series(inside.any(axis=1)).rolling(post_days + 1, min_periods=1).max() > 0
    yv = y.to_numpy(dtype=float)
    yv = np.where(yv > 0, yv, np.nan)
    # the days after a run are no ordinary days: their own dip would lower the baseline
    recent = pd.DataFrame(treated.T).rolling(post_days + 1, min_periods=1).max().to_numpy().T > 0
    ordinary = ~recent & ~zone.to_numpy()[None, :] & np.isfinite(yv)
    quiet = np.where(ordinary, yv, np.nan)
    dow = full.dayofweek.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a product without ordinary days
        by_dow = np.stack([np.nanmean(quiet[:, dow == d], axis=1) for d in range(7)], axis=1)
        wd = by_dow / np.nanmean(quiet, axis=1, keepdims=True)
    wd = np.nan_to_num(wd, nan=1.0)[:, dow]
    return _Panel(list(y.index), full, yv, treated, festival, zone.to_numpy(), wd, ordinary)


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` index of every run of True in ``row``."""
    edge = np.diff(np.concatenate([[0], row.astype(int), [0]]))
    return list(zip(np.flatnonzero(edge == 1), np.flatnonzero(edge == -1) - 1, strict=True))


def _dip_runs(p: _Panel, gmap: Mapping[str, str], post_days: int) -> pd.DataFrame:
    """One row per product-run: units after it and what the local baseline expects."""
    n = len(p.days)
    quiet_all = p.ordinary
    rows = []
    for i, uid in enumerate(p.ids):
        z = p.y[i] / p.wd[i]
        for a, b in _runs(p.treated[i]):
            post = np.arange(b + 1, min(b + 1 + post_days, n))
            if len(post) < post_days:
                continue
            key = p.festival[b] or CAMPAIGN
            if (p.festival[post] != "").any() or (key == CAMPAIGN and p.zone[post].any()):
                continue  # another festival's days, or a festival's own dip as the campaign's
            keep = post[~p.treated[i, post] & np.isfinite(p.y[i, post])]
            side = np.r_[
                max(a - _SIDE_DAYS, 0) : a,
                b + post_days + 1 : min(b + post_days + 1 + _SIDE_DAYS, n),
            ]
            side = side[quiet_all[i, side]]
            if len(keep) < post_days // 2 or len(side) < 7:
                continue
            level = float(np.mean(z[side]))
            rows.append(
                {
                    "key": key,
                    "group": gmap.get(uid, uid),
                    "y": float(np.sum(p.y[i, keep])),
                    "e": level * float(np.sum(p.wd[i, keep])),
                }
            )
    return pd.DataFrame(rows, columns=["key", "group", "y", "e"])


def _ratio(part: pd.DataFrame) -> Estimate | None:
    """Log of units / expected over product-runs, its standard error, shrunk to <= 0."""
    n = len(part)
    if n < _MIN_EVENTS or part["e"].sum() <= 0:
        return None
    yv, ev = part["y"].to_numpy(), part["e"].to_numpy()
    r = yv.sum() / ev.sum()
    var = n / (n - 1) * float(np.sum((yv - r * ev) ** 2)) / ev.sum() ** 2
    se = float(np.sqrt(var) / r) if r > 0 else float("inf")
    return _shrink(float(np.log(r)) if r > 0 else -np.inf, se), se, n


def _shrink(est: float, se: float) -> float:
    """``est`` (kept only when <= 0) shrunk towards 0: ``est x max(0, 1 - se²/est²)``."""
    est = min(est, 0.0)
    if est == 0.0 or not np.isfinite(se):
        return 0.0
    return float(est * max(0.0, 1.0 - se**2 / est**2))


def _cannibal(p: _Panel, gmap: Mapping[str, str]) -> dict[str, Estimate]:
    """Per category: ordinary units vs the local baseline on the share of peers promoted."""
    ordinary = p.ordinary
    groups = np.array([gmap.get(u, u) for u in p.ids])
    out: dict[str, Estimate] = {}
    for g in sorted(set(groups)):
        idx = np.flatnonzero(groups == g)
        if len(idx) < 2:
            continue
        on = p.treated[idx].sum(axis=0)
        share = (on[None, :] - p.treated[idx]) / (len(idx) - 1)
        # the local level from days without a promoted peer: those days would lower it
        z = np.where(ordinary[idx] & (share == 0), p.y[idx] / p.wd[idx], np.nan)
        level = pd.DataFrame(z.T).rolling(_BASE_DAYS, center=True, min_periods=7).mean()
        level = level.to_numpy().T
        ok = ordinary[idx] & np.isfinite(level) & (level > 0)
        if int((ok & (share > 0)).sum()) < _MIN_SHARED_ROWS:
            continue
        frame = pd.DataFrame(
            {
                ID: np.repeat(np.array(p.ids)[idx], len(p.days))[ok.ravel()],
                "y": p.y[idx][ok],
                "off": np.log(level[ok] * p.wd[idx][ok]),
                "share": share[ok],
            }
        )
        coef, se = poisson_fit(frame, ["share"])
        out[g] = (_shrink(coef["share"], se["share"]), se["share"], len(frame))
    return out


def after_factors(effects: AfterEffects | None, plan: pd.DataFrame) -> pd.DataFrame:
    """Multipliers (<= 1) of each plan row's units: the dip and the cannibalisation.

    A row is in a dip when it is one of the ``post_days`` days after a promotion run of
    its product in ``plan`` (and not itself promoted), unless those days run into a
    festival window (left out of the estimate too); a row not promoted loses
    units when other products of its category are promoted that day.

    Returns:
        ``unique_id, ds, dip, cannibal`` in ``plan``'s row order.
    """
    out = plan[[ID, DS]].reset_index(drop=True)
    out[ID] = out[ID].astype(str)
    out[DS] = pd.to_datetime(out[DS])
    out["dip"], out["cannibal"] = 1.0, 1.0
    if effects is None or (not effects.dip and not effects.cannibal):
        return out
    treated = np.zeros(len(plan), dtype=bool)
    for col, quiet in ((DISCOUNT, _QUIET_DISCOUNT), (PROMO, _QUIET_PROMO)):
        if col in plan.columns:
            treated |= pd.to_numeric(plan[col], errors="coerce").fillna(0.0).to_numpy() > quiet
    out["_t"] = treated
    out["_g"] = out[ID].map(lambda u: effects.groups.get(u, u))
    if effects.dip:
        out["dip"] = _dip_factors(effects, out)
    if effects.cannibal:
        on = out.groupby(["_g", DS])["_t"].transform("sum").to_numpy(dtype=float)
        size = out.groupby("_g")[ID].transform("nunique").to_numpy(dtype=float)
        share = np.where(size > 1, (on - treated) / np.maximum(size - 1, 1), 0.0)
        gamma = out["_g"].map(lambda g: effects.cannibal.get(g, (0.0, 0.0, 0))[0])
        out["cannibal"] = np.where(treated, 1.0, np.exp(gamma.to_numpy(dtype=float) * share))
    return out.drop(columns=["_t", "_g"])


def _dip_factors(effects: AfterEffects, rows: pd.DataFrame) -> np.ndarray:
    """The dip multiplier of every row (1 outside the days after a promotion run)."""
    from forecasting.data.festivals import festival_offsets

    kwargs = {} if effects.country is None else {"country": effects.country}
    ds = rows[DS].to_numpy(dtype="datetime64[ns]")
    days, day_idx = np.unique(ds, return_inverse=True)
    off = festival_offsets(pd.DatetimeIndex(days), **kwargs)
    inside = off.notna().to_numpy()
    names = np.array(off.columns, dtype=object)
    fest = np.where(inside.any(axis=1), names[inside.argmax(axis=1)], "")[day_idx]
    ids = rows[ID].to_numpy()
    order = np.lexsort((ds, ids))  # by product, then date (plain numpy: every slider move)
    sid, t, grp = ids[order], rows["_t"].to_numpy()[order], rows["_g"].to_numpy()[order]
    fest = fest[order]
    factor = np.ones(len(rows))
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    for a0, a1 in zip(starts, np.r_[starts[1:], len(sid)], strict=True):
        for _a, b in _runs(t[a0:a1]):
            b += a0
            post = np.arange(b + 1, min(b + 1 + effects.post_days, a1))
            if (fest[post] != "").any():
                continue  # as in the estimate: the days after run into a festival window
            post = post[~t[post]]
            dip = np.exp(effects.dip_for(fest[b] or CAMPAIGN, grp[b]))
            factor[order[post]] = np.minimum(factor[order[post]], dip)
    return factor


def after_summary(effects: AfterEffects | None, lang: str) -> list[str]:
    """The two estimates in words (or "not estimable: assumed 0"), for the CLI and page."""
    from forecasting.i18n import t

    if effects is None:
        return []
    lines = []
    sep = "；" if lang == "zh" else "; "
    pooled = {k: v[ALL_GROUPS] for k, v in effects.dip.items() if ALL_GROUPS in v}
    if pooled:
        parts = [
            t(
                "after.dip_item",
                lang,
                event=_event_label(k, lang),
                pct=f"{np.expm1(e[0]):+.1%}",
                se=f"{e[1]:.1%}",
            )
            for k, e in pooled.items()
        ]
        lines.append(t("after.dip", lang, days=effects.post_days, items=sep.join(parts)))
    else:
        lines.append(t("after.dip_none", lang))
    if effects.cannibal:
        parts = [
            t("after.cannibal_item", lang, group=g, pct=f"{np.expm1(e[0]):+.1%}", se=f"{e[1]:.1%}")
            for g, e in effects.cannibal.items()
        ]
        lines.append(t("after.cannibal", lang, items=sep.join(parts)))
    else:
        lines.append(t("after.cannibal_none", lang))
    return lines


def _event_label(key: str, lang: str) -> str:
    from forecasting.data.festivals import festival_label
    from forecasting.i18n import t

    return t("after.campaign", lang) if key == CAMPAIGN else festival_label(key, lang)
