"""KPIs of a scenario comparison: units, GMV, increments, the window and the dip after it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.spec import BASELINE, DISCOUNT, PRICE, Scenario
from forecasting.planning.scenarios.targets import hierarchy_frame
from forecasting.schema import DS, ID, SCENARIO

_KPI_COLUMNS = (
    "scenario",
    "level",
    "group",
    "units",
    "gmv",
    "incr_units",
    "incr_units_pct",
    "incr_gmv",
    "incr_gmv_pct",
    "window_units",
    "window_incr_units",
    "window_incr_pct",
    "post_units",
    "post_incr_units",
    "post_incr_pct",
    "pulled_forward_units",
    "cannibalised_units",
    "net_incr_units",
    "peak_day",
    "peak_units",
)
# Added by ``compare`` with a response when the plan has promotions: every row against the
# *other* baseline ("plan" = the uploaded plan, "none" = no promotion).
ALT_COLUMNS = {
    other: (f"incr_units_vs_{other}", f"incr_units_pct_vs_{other}") for other in ("plan", "none")
}


def kpis(
    forecast: pd.DataFrame,
    futures: Mapping[str, pd.DataFrame] | None,
    alias: str,
    scenarios: Sequence[Scenario] | None = None,
    by: str | Mapping[str, str] | pd.Series | None = None,
    hierarchy: pd.DataFrame | Mapping | None = None,
    post_days: int = 7,
    after: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """KPI table per scenario: in total, and per group when ``by`` is given.

    Columns (``*_pct`` in percent, vs the baseline over the same rows and dates):

    * ``units``, ``gmv``: over the whole horizon. GMV = units x effective price,
      effective price = ``price x (1 - discount)`` of that scenario's plan (NaN
      when the data has no price).
    * ``incr_units``/``incr_gmv`` (+ ``_pct``): net change over the horizon, so a
      pull-forward dip after the window is already subtracted.
    * ``window_units``, ``window_incr_units``/``_pct``: inside the scenario's
      window (presale included).
    * ``post_units``, ``post_incr_units``/``_pct``: the ``post_days`` days after
      the window — negative means sales were pulled forward (cannibalisation).
    * ``pulled_forward_units``: units taken from the days after promotion runs (the
      pull-forward dip), ``cannibalised_units``: units taken from other products of
      the category, both vs the baseline (negative = lost; NaN without ``after``),
      and ``net_incr_units``: the net change (= ``incr_units``, which already has
      both subtracted).
    * ``peak_day``, ``peak_units``: the day with the most units.

    Args:
        forecast: :func:`run_scenarios` output.
        futures: :func:`scenario_futures` output (driver plans by scenario name).
        alias: which model column to use.
        scenarios: the scenarios (their windows); without them the window and
            post-window columns are NaN.
        by: ``None`` (total only), ``"series"`` (each ``unique_id``), a hierarchy
            level such as ``"品类"`` (needs ``hierarchy``), or a mapping
            ``unique_id -> group``.
        hierarchy: :func:`hierarchy_from_data` output, for ``by=<level>``.
        post_days: days after the window checked for a dip.
        after: ``scenario, unique_id, ds, dip, cannibal``: the after-effect
            multipliers each forecast row carries (``compare`` with after-effects).

    Returns:
        One row per scenario and group: ``level`` is ``"total"`` for the totals,
        otherwise the ``by`` name; baseline rows have zero increments.
    """
    if alias not in forecast.columns:
        raise ShopcastError(
            "scenario_no_alias",
            alias=alias,
            choices=", ".join(c for c in forecast.columns if c not in (ID, DS, SCENARIO)),
        )
    df = forecast[[SCENARIO, ID, DS, alias]].rename(columns={alias: "units"}).copy()
    df["ds"] = pd.to_datetime(df[DS])
    df["gmv"] = df["units"] * _effective_price(df, futures)
    df["pulled"], df["taken"] = _after_units(df, after)
    groups = [("total", pd.Series("total", index=df.index))]
    if by is not None:
        name, mapping = _grouping(by, hierarchy)
        groups.append((name, df[ID].map(mapping).fillna("?").astype(str)))
    windows = {s.name: s.window for s in (scenarios or [])}
    rows = []
    for level_name, g in groups:
        daily = (
            df.assign(group=g.to_numpy())
            .groupby([SCENARIO, "group", DS], sort=False)[["units", "gmv", "pulled", "taken"]]
            .sum(min_count=1)
            .reset_index()
        )
        base = daily[daily[SCENARIO] == BASELINE].set_index(["group", DS])
        for (scn, grp), d in daily.groupby([SCENARIO, "group"], sort=False):
            b = base.loc[grp] if grp in base.index.get_level_values(0) else None
            rows.append(
                _kpi_row(scn, level_name, grp, d.set_index(DS), b, windows.get(scn), post_days)
            )
    out = pd.DataFrame(rows, columns=list(_KPI_COLUMNS))
    order = {BASELINE: -1, **{s.name: i for i, s in enumerate(scenarios or [])}}
    out["_o"] = out[SCENARIO].map(order).fillna(len(order))
    out["_l"] = (out["level"] != "total").astype(int)
    out = out.sort_values(["_l", "group", "_o"], kind="stable").drop(columns=["_o", "_l"])
    return out.reset_index(drop=True)


def _effective_price(df: pd.DataFrame, futures: Mapping[str, pd.DataFrame] | None) -> np.ndarray:
    if not futures:
        return np.full(len(df), np.nan)
    parts = []
    for name, fut in futures.items():
        if PRICE not in fut.columns:
            continue
        disc = fut[DISCOUNT].astype(float) if DISCOUNT in fut.columns else 0.0
        parts.append(
            pd.DataFrame(
                {
                    SCENARIO: name,
                    ID: fut[ID].astype(str),
                    DS: pd.to_datetime(fut[DS]),
                    "_p": fut[PRICE].astype(float) * (1.0 - disc),
                }
            )
        )
    if not parts:
        return np.full(len(df), np.nan)
    prices = pd.concat(parts, ignore_index=True).drop_duplicates([SCENARIO, ID, DS])
    merged = df[[SCENARIO, ID, DS]].merge(prices, on=[SCENARIO, ID, DS], how="left")
    return merged["_p"].to_numpy(dtype=float)


def _after_units(df: pd.DataFrame, after: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Units each row lost to the dip and to cannibalisation (<= 0; NaN without ``after``)."""
    if after is None:
        nan = np.full(len(df), np.nan)
        return nan, nan.copy()
    keys = after.assign(**{ID: after[ID].astype(str), DS: pd.to_datetime(after[DS])})
    m = df[[SCENARIO, ID, DS]].astype({ID: str}).merge(keys, on=[SCENARIO, ID, DS], how="left")
    u = df["units"].to_numpy(dtype=float)
    dip = m["dip"].fillna(1.0).to_numpy(dtype=float)
    can = m["cannibal"].fillna(1.0).to_numpy(dtype=float)
    return u - u / dip, u - u / can


def _grouping(by: Any, hierarchy: Any) -> tuple[str, Mapping | pd.Series]:
    if isinstance(by, pd.Series):
        return str(by.name or "group"), by.astype(str)
    if isinstance(by, Mapping):
        return "group", {str(k): str(v) for k, v in by.items()}
    if by == "series" or by == ID:
        return "series", _Identity()
    hier = hierarchy_frame(hierarchy)
    if hier is None or by not in hier.columns:
        choices = [] if hier is None else [c for c in hier.columns if c != ID]
        raise ShopcastError(
            "scenario_unknown_level", name="KPI", level=by, choices=", ".join(["series", *choices])
        )
    return str(by), hier.set_index(ID)[by].astype(str)


class _Identity(dict):
    def __missing__(self, key: str) -> str:
        return key


def _pct(new: float, old: float) -> float:
    if not (np.isfinite(new) and np.isfinite(old)) or old == 0:
        return float("nan")
    return 100.0 * (new - old) / old


def _sum(v: np.ndarray) -> float:
    """Sum ignoring NaN, but NaN when every value is NaN (e.g. GMV without prices)."""
    return float(np.nansum(v)) if np.isfinite(v).any() else float("nan")


def _kpi_row(
    scn: str,
    level: str,
    grp: str,
    d: pd.DataFrame,
    base: pd.DataFrame | None,
    window: tuple[pd.Timestamp, pd.Timestamp] | None,
    post_days: int,
) -> dict:
    # plain numpy: this runs once per scenario and group on every slider move
    dates = d.index.to_numpy(dtype="datetime64[ns]")
    u, g = d["units"].to_numpy(dtype=float), d["gmv"].to_numpy(dtype=float)
    units, gmv = float(np.nansum(u)), _sum(g)
    row: dict[str, Any] = {
        "scenario": scn,
        "level": level,
        "group": grp,
        "units": units,
        "gmv": gmv,
        "peak_day": pd.NaT,
        "peak_units": float("nan"),
    }
    if np.isfinite(u).any():
        k = int(np.nanargmax(u))
        row["peak_day"], row["peak_units"] = pd.Timestamp(dates[k]), float(u[k])
    if base is None:
        return row
    b = base.reindex(d.index)
    for key, col in (("pulled_forward_units", "pulled"), ("cannibalised_units", "taken")):
        row[key] = _sum(d[col].to_numpy(dtype=float)) - _sum(b[col].to_numpy(dtype=float))
    bu_arr = b["units"].to_numpy(dtype=float)
    bu, bg = float(np.nansum(bu_arr)), _sum(b["gmv"].to_numpy(dtype=float))
    row.update(
        incr_units=units - bu,
        incr_units_pct=_pct(units, bu),
        incr_gmv=gmv - bg,
        incr_gmv_pct=_pct(gmv, bg),
        net_incr_units=units - bu,
    )
    if window is not None:
        a, e = (np.datetime64(x, "ns") for x in window)
        stop = e + np.timedelta64(int(post_days), "D")
        inside = (dates >= a) & (dates <= e)
        after = (dates > e) & (dates <= stop)
        for key, sel in (("window", inside), ("post", after)):
            su, sb = float(np.nansum(u[sel])), float(np.nansum(bu_arr[sel]))
            row[f"{key}_units"] = su
            row[f"{key}_incr_units"] = su - sb
            row[f"{key}_incr_pct"] = _pct(su, sb)
    return row


def kpi_labels(lang: str = "zh") -> dict[str, str]:
    """Translated headers for the KPI columns (for tables and Excel)."""
    from forecasting.i18n import t

    alt = [c for pair in ALT_COLUMNS.values() for c in pair]
    return {c: t(f"scenario.kpi.{c}", lang) for c in (*_KPI_COLUMNS, *alt)}
