"""Where a scenario leaves what the history (and so the model) has seen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.response import price_in_history
from forecasting.planning.scenarios.spec import DISCOUNT, PRICE, PROMO, Scenario, ScenarioWarning
from forecasting.planning.scenarios.targets import target_ids
from forecasting.schema import DS, ID

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster


def range_warnings(
    history: pd.DataFrame,
    scenario: Scenario,
    future: pd.DataFrame | None = None,
    hierarchy: pd.DataFrame | Mapping | None = None,
    model: Forecaster | None = None,
) -> list[ScenarioWarning]:
    """Where a scenario leaves what the history (and so the model) has seen.

    Checks: the driver exists at all; discount deeper than ever seen; a discount
    with a promotion flag it never came with; a promotion longer than any run in
    history; a list price outside the range seen; a window outside the forecast
    dates (when ``future`` is given); a model that ignores drivers (when ``model``
    is given); and, as ``info``, the assumed traffic multiplier and manual
    adjustment. Global models learn from every series, so ranges are over the
    whole history.

    Args:
        history: the training history (``unique_id, ds, y`` + drivers).
        scenario: the scenario to check.
        future: the forecast's driver plan (gives the forecast dates).
        hierarchy: for targets at a coarser level.
        model: the model that will predict it.

    Returns:
        Warnings, most important first (empty when the scenario is well inside history).
    """
    out: list[ScenarioWarning] = []
    name = scenario.name
    if model is not None and not getattr(model, "uses_drivers", False) and scenario.changes_drivers:
        out.append(ScenarioWarning("model_ignores_drivers", {"name": name, "model": model.alias}))
    for col, val in ((DISCOUNT, scenario.discount), (PROMO, scenario.promo)):
        if val is not None and col not in history.columns:
            out.append(ScenarioWarning("no_driver", {"name": name, "driver": col}))
    if scenario.price_change and PRICE not in history.columns:
        out.append(ScenarioWarning("no_driver", {"name": name, "driver": PRICE}))
    out += _discount_warnings(history, scenario)
    out += _duration_and_price_warnings(history, scenario)
    if future is not None and len(future):
        out += _horizon_warnings(scenario, future, hierarchy)
    return out + _assumption_notes(scenario)


def _discount_warnings(history: pd.DataFrame, scenario: Scenario) -> list[ScenarioWarning]:
    """A discount deeper than history, or with a promotion flag it never came with."""
    name = scenario.name
    if scenario.discount is None or DISCOUNT not in history.columns:
        return []
    disc = pd.to_numeric(history[DISCOUNT], errors="coerce")
    top = float(disc.max()) if disc.notna().any() else 0.0
    if scenario.discount > top + 1e-9:
        return [
            ScenarioWarning(
                "discount_above_range",
                {"name": name, "value": _pctxt(scenario.discount), "max": _pctxt(top)},
            )
        ]
    if scenario.discount > 0 and scenario.promo is not None and PROMO in history.columns:
        flag = pd.to_numeric(history[PROMO], errors="coerce") > 0
        near = (disc - scenario.discount).abs() <= 0.05 + 1e-9
        if not (near & (flag == scenario.promo)).any():
            params = {
                "name": name,
                "value": _pctxt(scenario.discount),
                "promo": int(scenario.promo),
            }
            return [ScenarioWarning("combo_unseen", params)]
    return []


def _duration_and_price_warnings(
    history: pd.DataFrame, scenario: Scenario
) -> list[ScenarioWarning]:
    """A promotion longer than any run in history; a list price outside the range seen."""
    out: list[ScenarioWarning] = []
    name = scenario.name
    promo_on = (scenario.promo is True) or bool(scenario.discount)
    if promo_on:
        longest = _longest_run(history)
        days = (scenario.window[1] - scenario.window[0]).days + 1
        if longest is not None and days > longest:
            out.append(
                ScenarioWarning(
                    "longer_than_history", {"name": name, "days": days, "longest": longest}
                )
            )
    if scenario.price_change and PRICE in history.columns:
        if not price_in_history(history, PRICE, scenario.price_change):
            out.append(
                ScenarioWarning(
                    "price_outside_range", {"name": name, "change": f"{scenario.price_change:+.0%}"}
                )
            )
    return out


def _horizon_warnings(
    scenario: Scenario, future: pd.DataFrame, hierarchy: pd.DataFrame | Mapping | None
) -> list[ScenarioWarning]:
    """A window (partly) outside the forecast dates; a target the forecast does not have."""
    out: list[ScenarioWarning] = []
    name = scenario.name
    ds = pd.to_datetime(future[DS])
    first, last = ds.min().date().isoformat(), ds.max().date().isoformat()
    a, b = scenario.window
    if b < ds.min() or a > ds.max():
        params = {
            "name": name,
            "start": a.date().isoformat(),
            "end": b.date().isoformat(),
            "first": first,
            "last": last,
        }
        out.append(ScenarioWarning("window_outside_horizon", params))
    elif a < ds.min() or b > ds.max():
        out.append(
            ScenarioWarning("window_partly_outside", {"name": name, "first": first, "last": last})
        )
    if hierarchy is not None or scenario.level is None:
        try:
            target_ids(scenario, future[ID].astype(str).unique(), hierarchy)
        except ShopcastError as exc:
            out.append(ScenarioWarning("bad_target", {"name": name, "detail": exc.message("en")}))
    return out


def _assumption_notes(scenario: Scenario) -> list[ScenarioWarning]:
    """The assumed (not learned) traffic multiplier and manual adjustment, as ``info``."""
    out: list[ScenarioWarning] = []
    name = scenario.name
    if scenario.traffic_multiplier != 1.0:
        out.append(
            ScenarioWarning(
                "assumption_traffic",
                {"name": name, "value": f"{scenario.traffic_multiplier:g}"},
                "info",
            )
        )
    if scenario.manual_adjustment != 0.0:
        out.append(
            ScenarioWarning(
                "assumption_manual",
                {"name": name, "value": f"{scenario.manual_adjustment:+.0%}"},
                "info",
            )
        )
    return out


def _pctxt(x: float) -> str:
    return f"{x * 100:.0f}%"


def _longest_run(history: pd.DataFrame) -> int | None:
    """Longest run of consecutive promotion periods (promo flag or discount > 0) in any series."""
    cols = [c for c in (PROMO, DISCOUNT) if c in history.columns]
    if not cols:
        return None
    h = history.sort_values([ID, DS])
    on = np.zeros(len(h), dtype=bool)
    for c in cols:
        on |= (pd.to_numeric(h[c], errors="coerce").fillna(0) > 0).to_numpy()
    if not on.any():
        return 0
    ids = h[ID].to_numpy()
    # a new run starts where "on" switches on or the series changes
    new = np.r_[True, (ids[1:] != ids[:-1]) | (on[1:] != on[:-1])]
    run_id = np.cumsum(new)
    lengths = pd.Series(on).groupby(run_id).sum()
    return int(lengths.max())
