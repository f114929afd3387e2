"""Applying scenarios: the changed driver plans and their predict-only forecasts.

The effect of a discount or a promotion is never a hard-coded multiplier: the
changed driver plan is fed to the *same fitted model* (``model.predict(h,
future=...)``), so the response is whatever the model learned from history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.files import check_unique
from forecasting.planning.scenarios.spec import BASELINE, DISCOUNT, PRICE, PROMO, Scenario
from forecasting.planning.scenarios.targets import scenario_mask
from forecasting.schema import (
    DEFAULT_LEVELS,
    DS,
    ID,
    SCENARIO,
    make_future_frame,
    validate_levels,
)

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster


def base_plan(model: Forecaster, h: int, future: pd.DataFrame | None = None) -> pd.DataFrame:
    """The baseline driver plan for the ``h`` periods after the model's history.

    Drivers given in ``future`` (e.g. ``io.read_future``) are used as is, the rest
    follow the neutral plan of ``schema.make_future_frame`` (last list price, no
    discount, no promotion).
    """
    return make_future_frame(model.train_, h, model.freq, future)


def apply_scenario(
    base_future: pd.DataFrame, scenario: Scenario, hierarchy: pd.DataFrame | Mapping | None = None
) -> pd.DataFrame:
    """The driver plan with ``scenario``'s changes; other rows untouched.

    Inside the window (presale included) and for the targeted series only:
    ``discount`` and ``promo`` are set when the scenario sets them (the columns are
    created, 0 elsewhere, if the plan lacks them — a model that never saw them
    ignores them, and :func:`range_warnings` says so), and ``price`` is multiplied
    by ``1 + price_change``. The traffic multiplier and manual adjustment are not
    drivers: :func:`predict_scenario` applies them to the forecast.

    Args:
        base_future: ``unique_id, ds`` + driver columns (e.g. :func:`base_plan`).
        scenario: the changes.
        hierarchy: for scenarios targeting a coarser level (see :func:`target_ids`).

    Returns:
        A new frame with the same rows and order.
    """
    for col in (ID, DS):
        if col not in base_future.columns:
            raise ShopcastError("missing_column", file="future", column=col)
    out = base_future.copy()
    mask = scenario_mask(out, scenario, hierarchy)
    if scenario.discount is not None:
        if DISCOUNT not in out.columns:
            out[DISCOUNT] = 0.0
        out[DISCOUNT] = out[DISCOUNT].astype(float)
        out.loc[mask, DISCOUNT] = scenario.discount
    if scenario.promo is not None:
        if PROMO not in out.columns:
            out[PROMO] = 0.0
        out[PROMO] = out[PROMO].astype(float)
        out.loc[mask, PROMO] = float(scenario.promo)
    if scenario.price_change and PRICE in out.columns:
        out[PRICE] = out[PRICE].astype(float)
        out.loc[mask, PRICE] = out.loc[mask, PRICE] * (1.0 + scenario.price_change)
    return out


def scenario_futures(
    base_future: pd.DataFrame,
    scenarios: Sequence[Scenario],
    hierarchy: pd.DataFrame | Mapping | None = None,
) -> dict[str, pd.DataFrame]:
    """``{"baseline": base_future, name: apply_scenario(...), ...}`` (for :func:`kpis`)."""
    out = {BASELINE: base_future}
    for s in scenarios:
        out[s.name] = apply_scenario(base_future, s, hierarchy)
    return out


def as_models(models: Forecaster | Sequence[Forecaster]) -> list[Forecaster]:
    """One model or several, as a list."""
    return list(models) if isinstance(models, list | tuple) else [models]


def predict_scenario(
    models: Forecaster | Sequence[Forecaster],
    base_future: pd.DataFrame,
    scenario: Scenario | None,
    h: int,
    levels: Sequence[int | float] | None = DEFAULT_LEVELS,
    hierarchy: pd.DataFrame | Mapping | None = None,
    baseline: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast one scenario (``None`` = the baseline) with already fitted models.

    Predict-only: the models are not refitted or changed (their cached interval
    calibration for ``h`` is computed on first use and then reused). The
    scenario's assumed ``post_multiplier`` (traffic x manual adjustment) multiplies
    the forecast and its bands inside its window — an assumption, not learned.

    Args:
        models: one fitted model or several (their columns are merged).
        base_future: the baseline driver plan.
        scenario: the scenario, or ``None`` for the baseline.
        h: horizon.
        levels: interval levels.
        hierarchy: for scenarios targeting a coarser level.
        baseline: the baseline forecast (``scenario == "baseline"`` rows), reused
            when the scenario changes no driver, so only the multiplier is applied.

    Returns:
        Forecast contract plus ``scenario`` (after ``ds``).
    """
    levels = validate_levels(levels)
    name = BASELINE if scenario is None else scenario.name
    if scenario is not None and not scenario.changes_drivers and baseline is not None:
        fc = baseline.drop(columns=[SCENARIO], errors="ignore").copy()
    else:
        fut = base_future if scenario is None else apply_scenario(base_future, scenario, hierarchy)
        fc = None
        for m in as_models(models):
            part = m.predict(h, future=fut, level=levels)
            fc = part if fc is None else fc.merge(part, on=[ID, DS], how="outer")
    if scenario is not None and scenario.post_multiplier != 1.0:
        mask = scenario_mask(fc, scenario, hierarchy)
        factor = np.where(mask, scenario.post_multiplier, 1.0)
        for col in fc.columns:
            if col not in (ID, DS):
                fc[col] = fc[col].to_numpy(dtype=float) * factor
    fc.insert(2, SCENARIO, name)
    return fc


def run_scenarios(
    models: Forecaster | Sequence[Forecaster],
    base_future: pd.DataFrame,
    scenarios: Sequence[Scenario],
    h: int,
    levels: Sequence[int | float] | None = DEFAULT_LEVELS,
    hierarchy: pd.DataFrame | Mapping | None = None,
    baseline: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Baseline and every scenario, stacked, in the forecast contract + ``scenario``.

    The models predict each changed driver plan (never retrained): the response
    to a discount or a promotion is what they learned from history.

    Args:
        models: fitted model(s); the history they were fitted on is ``model.train_``.
        base_future: baseline driver plan (:func:`base_plan`).
        scenarios: the scenarios (unique names; "baseline" is reserved).
        h: horizon in periods.
        levels: interval levels in percent.
        hierarchy: needed when a scenario targets a level such as ``品类``.
        baseline: a baseline forecast computed earlier (e.g. cached), reused as is.

    Returns:
        ``unique_id, ds, scenario, <alias>, <alias>-lo-95, ...`` with
        ``scenario == "baseline"`` first, then each scenario in order.
    """
    check_unique(scenarios, "scenarios")
    if baseline is None:
        baseline = predict_scenario(models, base_future, None, h, levels, hierarchy)
    parts = [baseline]
    for s in scenarios:
        parts.append(predict_scenario(models, base_future, s, h, levels, hierarchy, baseline))
    return pd.concat(parts, ignore_index=True)
