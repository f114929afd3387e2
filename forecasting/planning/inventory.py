"""Stock needed to meet a forecast at a service level, from the forecast's own quantiles.

For each series (and scenario) the demand over the *protection interval* — the
lead time plus the review period, starting at the first forecast date — is what
the stock must cover. Its quantile at the service level is built from the
forecast bands, never as "mean x a factor":

1. **Per period.** The bands give quantiles of each period's demand: the
   95% band's upper edge is the 97.5% quantile, the 80% band's the 90% quantile,
   the point forecast is taken as the median. The quantile at the service level
   ``a`` is interpolated between them in normal-score space (``z``), and
   extrapolated beyond the widest band with the slope of the outermost segment.
   This gives each period a spread ``s_t = (q_t(a) - mean_t) / z_a``; asymmetric
   bands (Prophet's, or bands clipped at zero) are used on the side that matters.
2. **Over the periods.** Quantiles do not add up: the sum's quantile depends on
   how forecast errors of neighbouring days are correlated. We use a normal
   approximation with one correlation ``rho`` between any two periods::

       sd_total = sqrt((1 - rho) * sum(s_t ** 2) + rho * sum(s_t) ** 2)
       stock_needed = sum(mean_t) + z_a * sd_total

   ``rho = 0`` (independent days) is the narrowest and is too optimistic when
   errors persist (a mis-estimated level affects every day); ``rho = 1`` equals
   the *sum of the per-period quantiles*, the most cautious value for normal
   errors (an upper bound). Forecast errors of daily sales are positively
   correlated, typically moderately, so the default is ``rho = 0.5``; both bounds
   are returned next to it (``demand_q_indep``, ``demand_q_sum``) so the choice is
   visible. When backtest errors are available, :func:`error_correlation`
   estimates ``rho`` from them.

Then: safety stock = stock needed - expected demand; with the stock on hand (+ on
order) the stockout risk is ``P(demand > stock)`` under the same normal
approximation, the expected shortfall ``E[(demand - stock)+]``, and the reorder
quantity brings the position up to the stock needed (an order-up-to policy).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, SCENARIO, hi_col, levels_of, lo_col

__all__ = [
    "DEFAULT_RHO",
    "error_correlation",
    "inventory_labels",
    "inventory_plan",
    "parse_stock",
    "period_quantiles",
    "read_stock",
    "to_excel",
]

DEFAULT_RHO = 0.5
_N = NormalDist()
_PLAN_COLUMNS = (
    "scenario",
    ID,
    "start",
    "lead_time",
    "review_period",
    "service_level",
    "demand_mean",
    "demand_q",
    "demand_q_indep",
    "demand_q_sum",
    "safety_stock",
    "current_stock",
    "on_order",
    "stockout_risk",
    "expected_shortfall",
    "reorder_qty",
    "periods_of_cover",
)


def period_quantiles(forecast: pd.DataFrame, alias: str, service_level: float) -> np.ndarray:
    """Each row's demand quantile at ``service_level``, interpolated from the bands.

    Args:
        forecast: forecast contract with ``alias`` and its ``lo``/``hi`` columns.
        alias: model column.
        service_level: probability in (0, 1), e.g. 0.95.

    Returns:
        Array aligned with ``forecast``'s rows.

    Raises:
        ShopcastError: the forecast has no bands for ``alias``.
    """
    z, knots_z, knots_q = _knots(forecast, alias, service_level)
    return _interp(z, knots_z, knots_q)


def _knots(forecast: pd.DataFrame, alias: str, service_level: float):
    levels = levels_of(forecast, alias)
    if alias not in forecast.columns or not levels:
        raise ShopcastError("inventory_no_bands", alias=alias)
    z = _N.inv_cdf(float(service_level))
    mean = forecast[alias].to_numpy(dtype=float)
    zs, qs = [0.0], [mean]
    for lv in levels:  # ascending: the narrowest band first
        zl = _N.inv_cdf(0.5 + float(lv) / 200)
        zs += [zl, -zl]
        qs += [
            forecast[hi_col(alias, lv)].to_numpy(dtype=float),
            forecast[lo_col(alias, lv)].to_numpy(dtype=float),
        ]
    order = np.argsort(zs)
    return z, np.asarray(zs)[order], np.vstack(qs)[order]


def _interp(z: float, zs: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Piecewise-linear in z through the knots, linear extrapolation outside."""
    k = int(np.clip(np.searchsorted(zs, z) - 1, 0, len(zs) - 2))
    w = (z - zs[k]) / (zs[k + 1] - zs[k])
    return qs[k] + w * (qs[k + 1] - qs[k])


def inventory_plan(
    forecast: pd.DataFrame,
    alias: str,
    lead_time: int,
    service_level: float = 0.95,
    current_stock: float | Mapping[str, float] | pd.Series | pd.DataFrame | None = None,
    review_period: int = 0,
    on_order: float | Mapping[str, float] | pd.Series | None = 0.0,
    rho: float = DEFAULT_RHO,
    start: Any = None,
    integer: bool = True,
) -> pd.DataFrame:
    """Stock needed over the lead time at a service level, per series (and scenario).

    See the module docstring for how per-period bands are turned into the quantile
    of the total demand.

    Args:
        forecast: forecast contract (optionally with a ``scenario`` column, e.g.
            ``scenarios.run_scenarios`` output) with bands for ``alias``.
        alias: model column to plan from.
        lead_time: periods between ordering and receiving goods.
        service_level: probability of not running out before the goods arrive
            (cycle service level), e.g. 0.95.
        current_stock: stock on hand: one number for every series, a mapping /
            Series ``unique_id -> units``, a frame (see :func:`parse_stock`), or
            ``None`` (risk and reorder columns left empty).
        review_period: periods until the next ordering opportunity (0 =
            continuous review); it is added to the protection interval.
        on_order: units already ordered and arriving within the lead time.
        rho: assumed correlation of forecast errors between periods (0..1).
        start: first date of the protection interval (default: each series'
            first forecast date).
        integer: round stock needed, safety stock and reorder quantity up to whole units.

    Returns:
        One row per (scenario,) series: ``demand_mean`` (expected demand over the
        interval), ``demand_q`` (stock needed at the service level),
        ``demand_q_indep``/``demand_q_sum`` (the same with rho = 0 / rho = 1),
        ``safety_stock``, ``stockout_risk`` (0..1, with the current stock and
        nothing reordered), ``expected_shortfall`` (units), ``reorder_qty`` and
        ``periods_of_cover`` (periods the current stock lasts at the expected
        demand; NaN when it outlasts the forecast).

    Raises:
        ShopcastError: bad lead time / service level / rho, no bands, or a
            forecast shorter than the protection interval.
    """
    lead_time, review_period = (
        _whole(lead_time, "lead_time", 1),
        _whole(review_period, "review_period", 0),
    )
    if not 0.5 <= float(service_level) < 1:
        raise ShopcastError("inventory_service_level", value=service_level)
    if not 0 <= float(rho) <= 1:
        raise ShopcastError("inventory_rho", value=rho)
    need = lead_time + review_period
    fc, keys = _ordered(forecast, start)
    z = _add_period_stats(fc, alias, service_level)
    fc["_step"] = fc.groupby(keys, sort=False).cumcount()
    stock = _per_series(current_stock, "current_stock")
    ordered = _per_series(on_order, "on_order")
    rows = []
    for key, g in fc.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        if len(g) < need:
            raise ShopcastError("inventory_horizon_short", series=key[-1], need=need, have=len(g))
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        row.update(lead_time=lead_time, review_period=review_period)
        demand, sd = _interval_demand(g[g["_step"] < need], z, rho, float(service_level))
        row.update(demand)
        uid = str(key[-1])
        row.update(_stock_columns(row, sd, g["_m"].to_numpy(), stock(uid), ordered(uid)))
        rows.append(row)
    return _plan_frame(rows, keys, integer)


def _ordered(forecast: pd.DataFrame, start: Any) -> tuple[pd.DataFrame, list[str]]:
    """The forecast from ``start`` on, sorted by (scenario,) series and date; its keys."""
    fc = forecast.copy()
    fc[DS] = pd.to_datetime(fc[DS])
    if start is not None:
        fc = fc[fc[DS] >= pd.Timestamp(start)]
    keys = [SCENARIO, ID] if SCENARIO in fc.columns else [ID]
    if SCENARIO in fc.columns:  # keep the scenarios in their given order (baseline first)
        fc["_o"] = pd.factorize(fc[SCENARIO])[0]
        fc = fc.sort_values(["_o", ID, DS], kind="stable").drop(columns="_o")
    else:
        fc = fc.sort_values([ID, DS], kind="stable")
    return fc.reset_index(drop=True), keys


def _add_period_stats(fc: pd.DataFrame, alias: str, service_level: float) -> float:
    """Add each period's mean ``_m``, spread ``_s`` and quantile ``_q``; return ``z``."""
    z, zs, qs = _knots(fc, alias, service_level)
    q = _interp(z, zs, qs)
    mean = np.clip(fc[alias].to_numpy(dtype=float), 0, None)
    spread = (
        np.clip((q - mean) / z, 0, None)
        if abs(z) > 1e-12
        else np.clip((_interp(1.0, zs, qs) - mean), 0, None)
    )
    fc["_m"], fc["_s"], fc["_q"] = mean, spread, np.maximum(q, 0)
    return z


def _interval_demand(
    win: pd.DataFrame, z: float, rho: float, service_level: float
) -> tuple[dict[str, Any], float]:
    """Demand over the protection interval: mean, quantiles, safety stock; and its sd.

    See the module docstring for the sum of correlated per-period spreads.
    """
    mu, s = float(win["_m"].sum()), win["_s"].to_numpy()
    s1, s2 = float(s.sum()), float((s**2).sum())
    sd = math.sqrt(max((1 - rho) * s2 + rho * s1**2, 0.0))
    need = mu + z * sd
    demand = {
        "start": win[DS].iloc[0],
        "service_level": service_level,
        "demand_mean": mu,
        "demand_q": need,
        "demand_q_indep": mu + z * math.sqrt(s2),
        "demand_q_sum": float(win["_q"].sum()),
        "safety_stock": need - mu,
    }
    return demand, sd


def _stock_columns(
    row: dict[str, Any], sd: float, means: np.ndarray, cur: float | None, oo: float | None
) -> dict[str, Any]:
    """Risk, shortfall, reorder quantity and cover given the stock on hand and on order."""
    mu = row["demand_mean"]
    oo = 0.0 if oo is None or not np.isfinite(oo) else oo
    out: dict[str, Any] = {"current_stock": cur, "on_order": oo}
    if cur is not None and np.isfinite(cur):
        pos = cur + oo
        out["stockout_risk"] = _exceed(pos, mu, sd)
        out["expected_shortfall"] = _shortfall(pos, mu, sd)
        out["reorder_qty"] = max(0.0, row["demand_q"] - pos)
        cum = np.cumsum(means)
        over = np.flatnonzero(cum > cur)
        if len(over):  # whole periods covered plus the share of the next one
            k = int(over[0])
            prev = cum[k - 1] if k else 0.0
            out["periods_of_cover"] = k + (cur - prev) / max(cum[k] - prev, 1e-12)
    return out


def _plan_frame(rows: list[dict], keys: list[str], integer: bool) -> pd.DataFrame:
    """The rows in the plan's column order (missing columns empty), rounded up if asked."""
    out = pd.DataFrame(rows)
    for c in _PLAN_COLUMNS:
        if c not in out.columns and (c != SCENARIO or SCENARIO in keys):
            out[c] = np.nan
    out = out[[c for c in _PLAN_COLUMNS if c in out.columns]]
    if integer:
        for c in ("demand_q", "demand_q_indep", "demand_q_sum", "safety_stock", "reorder_qty"):
            out[c] = np.ceil(out[c].astype(float) - 1e-9) + 0.0  # + 0.0: no "-0"
    return out


def _whole(v: Any, name: str, low: int) -> int:
    try:
        x = float(v)
    except (TypeError, ValueError):
        x = float("nan")
    if not (math.isfinite(x) and x.is_integer() and x >= low):
        raise ShopcastError("inventory_bad_periods", field=name, value=v, low=low)
    return int(x)


def _per_series(value: Any, name: str):
    """A lookup ``unique_id -> number or None`` from the many accepted stock inputs."""
    if value is None:
        return lambda uid: None
    if isinstance(value, pd.DataFrame):
        value = parse_stock(value)
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, Mapping):
        table = {str(k): float(v) for k, v in value.items()}
        for k, v in table.items():
            if not math.isfinite(v) or v < 0:
                raise ShopcastError("inventory_bad_stock", series=k, value=v, column=name)
        return lambda uid: table.get(uid)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ShopcastError("inventory_bad_stock", series="*", value=value, column=name) from None
    if not math.isfinite(x) or x < 0:
        raise ShopcastError("inventory_bad_stock", series="*", value=value, column=name)
    return lambda uid: x


def _exceed(stock: float, mu: float, sd: float) -> float:
    if sd <= 0:
        return float(mu > stock)
    return 1.0 - _N.cdf((stock - mu) / sd)


def _shortfall(stock: float, mu: float, sd: float) -> float:
    """E[(D - stock)+] for D ~ Normal(mu, sd): sd * (pdf(k) - k * (1 - cdf(k)))."""
    if sd <= 0:
        return max(mu - stock, 0.0)
    k = (stock - mu) / sd
    return sd * (_N.pdf(k) - k * (1 - _N.cdf(k)))


def error_correlation(errors: np.ndarray) -> float:
    """Mean correlation of forecast errors between different steps of the horizon.

    Args:
        errors: ``(n_windows_x_series, h)`` out-of-sample errors, e.g.
            the out-of-sample errors a conformal model was calibrated on.

    Returns:
        The average off-diagonal correlation, clipped to [0, 1]; NaN when there
        are too few complete rows to tell.
    """
    e = np.asarray(errors, dtype=float)
    if e.ndim != 2 or e.shape[1] < 2:
        return float("nan")
    e = e[np.isfinite(e).all(axis=1)]
    if len(e) < 5:
        return float("nan")
    sd = e.std(axis=0)
    e = e[:, sd > 0]
    if e.shape[1] < 2:
        return float("nan")
    c = np.corrcoef(e, rowvar=False)
    off = c[~np.eye(len(c), dtype=bool)]
    return float(np.clip(np.nanmean(off), 0.0, 1.0))


# --------------------------------------------------------------------- stock files
_ID_NAMES = (
    "unique_id",
    "series",
    "sku",
    "id",
    "商品",
    "商品名称",
    "货号",
    "商品编码",
    "item",
    "product",
    "宝贝",
)
_STOCK_NAMES = (
    "current_stock",
    "stock",
    "on_hand",
    "onhand",
    "inventory",
    "库存",
    "现有库存",
    "当前库存",
    "库存数量",
    "可用库存",
    "qty",
    "数量",
)


def parse_stock(frame: pd.DataFrame, name: str = "stock") -> pd.Series:
    """Current stock per series from a table: an id column and a stock column.

    Column names are matched case-insensitively (``unique_id``/``商品``/``sku``...,
    ``stock``/``库存``/``现有库存``...); a two-column table is read as (id, stock).

    Returns:
        Float Series indexed by ``unique_id`` (str).

    Raises:
        ShopcastError: no recognisable columns, non-numeric or negative stock
            (naming the row), or an id listed twice.
    """
    cols = {str(c).strip().lower(): c for c in frame.columns}
    id_col = next((cols[n] for n in _ID_NAMES if n in cols), None)
    st_col = next((cols[n] for n in _STOCK_NAMES if n in cols), None)
    if (id_col is None or st_col is None) and len(frame.columns) == 2:
        id_col, st_col = frame.columns[0], frame.columns[1]
    if id_col is None or st_col is None:
        raise ShopcastError(
            "inventory_stock_columns", file=name, columns=", ".join(map(str, frame.columns))
        )
    ids = frame[id_col].astype(str).str.strip()
    vals = pd.to_numeric(
        frame[st_col].astype(str).str.replace(",", "").str.strip(), errors="coerce"
    )
    bad = vals.isna() | (vals < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ShopcastError(
            "inventory_stock_value",
            file=name,
            row=i + 2,
            column=str(st_col),
            value=str(frame[st_col].iloc[i]),
        )
    dup = ids.duplicated()
    if dup.any():
        raise ShopcastError("inventory_stock_duplicate", file=name, series=ids[dup].iloc[0])
    return pd.Series(vals.to_numpy(dtype=float), index=ids.to_numpy(), name="current_stock")


def read_stock(source: Any, name: str | None = None) -> pd.Series:
    """:func:`parse_stock` for an uploaded CSV / Excel file (read by ``forecasting.data.read_table``)."""
    from forecasting.data import read_table

    raw = read_table(source, name=name)
    return parse_stock(raw, name=raw.attrs.get("source_name", name or "stock"))


# --------------------------------------------------------------------- export
def inventory_labels(lang: str = "zh") -> dict[str, str]:
    """Translated headers for the inventory plan columns."""
    from forecasting.i18n import t

    return {c: t(f"inventory.col.{c}", lang) for c in _PLAN_COLUMNS}


def to_excel(sheets: Mapping[str, pd.DataFrame], lang: str = "zh", translate: bool = True) -> bytes:
    """An .xlsx workbook (bytes, for a download button) with one sheet per frame.

    Args:
        sheets: sheet name -> frame, in order (names longer than 31 characters or
            with ``[]:*?/\\`` are cleaned, as Excel requires).
        lang: language of the translated column headers.
        translate: replace known column names (KPI and inventory columns) by
            their labels in ``lang``.
    """
    from forecasting.planning.scenarios import kpi_labels
    from forecasting.reports.excel import workbook_bytes

    labels = {**kpi_labels(lang), **inventory_labels(lang)} if translate else {}
    return workbook_bytes(sheets, labels=labels)
