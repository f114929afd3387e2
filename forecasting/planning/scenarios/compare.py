"""Baseline vs scenarios in one call: forecasts, KPIs and warnings.

:func:`compare` is what the Scenarios page and the ``scenario`` command both show.
It is pure (frames in, a :class:`Comparison` out); a caller that caches each
scenario's forecast (the dashboard) passes its own ``predict`` and ``warn``
functions, so a slider moving one scenario re-predicts only that scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.apply import as_models, predict_scenario, scenario_futures
from forecasting.planning.scenarios.files import check_unique
from forecasting.planning.scenarios.kpis import kpis
from forecasting.planning.scenarios.spec import Scenario, ScenarioWarning
from forecasting.planning.scenarios.warnings import range_warnings
from forecasting.schema import DEFAULT_LEVELS, SCENARIO

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

# (scenario or None for the baseline, baseline forecast or None) -> forecast + ``scenario``
Predict = Callable[[Scenario | None, pd.DataFrame | None], pd.DataFrame]
# (model, scenario) -> its warnings
Warn = Callable[["Forecaster", Scenario], list[ScenarioWarning]]


@dataclass
class Comparison:
    """Baseline + scenarios, their KPIs and warnings.

    Attributes:
        forecast: the baseline and every computed scenario, stacked (forecast
            contract + ``scenario``), baseline first.
        futures: driver plan per scenario name (``"baseline"`` included).
        scenarios: the scenarios that could be computed, in order.
        kpis: :func:`~forecasting.planning.scenarios.kpis.kpis` table (with a
            leading ``model`` column when several models are compared).
        warnings: range warnings and assumptions of every scenario.
        errors: ``(scenario name, error key, params)`` of scenarios that failed.
        h: horizon in periods.
        by: the KPI breakdown (``None`` = totals only).
        seconds: how long the caller waited for it (set by the caller).
    """

    forecast: pd.DataFrame
    futures: dict[str, pd.DataFrame]
    scenarios: list[Scenario]
    kpis: pd.DataFrame
    warnings: list[ScenarioWarning]
    errors: list[tuple[str, str, dict]] = field(default_factory=list)
    h: int = 0
    by: str | None = None
    seconds: float = 0.0


def compare(
    models: Forecaster | Sequence[Forecaster],
    base_future: pd.DataFrame,
    scenarios: Sequence[Scenario],
    h: int,
    levels: Sequence[int | float] | None = DEFAULT_LEVELS,
    hierarchy: pd.DataFrame | Mapping | None = None,
    *,
    by: str | None = None,
    post_days: int = 7,
    history: pd.DataFrame | None = None,
    skip_failed: bool = True,
    model_column: bool | None = None,
    predict: Predict | None = None,
    warn: Warn | None = None,
) -> Comparison:
    """Forecast the baseline and every scenario, then their KPIs and warnings.

    Predict-only, as :func:`~forecasting.planning.scenarios.apply.run_scenarios`.

    Args:
        models: fitted model(s).
        base_future: the baseline driver plan (``base_plan``).
        scenarios: the scenarios (unique names).
        h: horizon in periods.
        levels: interval levels in percent.
        hierarchy: for targets and KPI breakdowns at a coarser level.
        by: KPI breakdown (see ``kpis``).
        post_days: days after a window checked for the pull-forward dip.
        history: the history the warnings compare against (default: each model's
            ``train_``).
        skip_failed: a scenario whose forecast raises a ``ShopcastError`` (e.g. an
            unknown target) is listed in ``errors`` and left out; ``False`` raises.
        model_column: lead the KPI table with a ``model`` column (default: only
            when several models are compared).
        predict: ``predict(scenario, baseline)`` for one scenario (``None`` = the
            baseline), e.g. a cached one; default ``predict_scenario``.
        warn: ``warn(model, scenario)``, e.g. a cached one; default
            ``range_warnings`` against ``history``.

    Returns:
        The :class:`Comparison`.
    """
    models = as_models(models)
    scenarios = list(scenarios)
    check_unique(scenarios, "scenarios")
    if predict is None:

        def predict(scenario: Scenario | None, baseline: pd.DataFrame | None) -> pd.DataFrame:
            return predict_scenario(models, base_future, scenario, h, levels, hierarchy, baseline)

    forecast, ok, errors = scenario_forecasts(predict, scenarios, skip_failed)
    futures = scenario_futures(base_future, ok, hierarchy)
    aliases = [m.alias for m in models]
    table = comparison_kpis(forecast, futures, aliases, ok, by, hierarchy, post_days, model_column)
    warnings = scenario_warnings(models, base_future, scenarios, hierarchy, history, warn)
    return Comparison(forecast, futures, ok, table, warnings, errors, h, by)


def scenario_forecasts(
    predict: Predict, scenarios: Sequence[Scenario], skip_failed: bool = True
) -> tuple[pd.DataFrame, list[Scenario], list[tuple[str, str, dict]]]:
    """The baseline, then each scenario, stacked; one bad target does not hide the others.

    Returns:
        ``(forecast, scenarios computed, errors)``.
    """
    baseline = predict(None, None)
    parts, ok, errors = [baseline], [], []
    for scn in scenarios:
        try:
            fc = predict(scn, baseline)
        except ShopcastError as exc:
            if not skip_failed:
                raise
            errors.append((scn.name, exc.key, dict(exc.params)))
            continue
        fc[SCENARIO] = scn.name  # a cached forecast may carry another name with the same effect
        parts.append(fc)
        ok.append(scn)
    return pd.concat(parts, ignore_index=True), ok, errors


def comparison_kpis(
    forecast: pd.DataFrame,
    futures: Mapping[str, pd.DataFrame],
    aliases: Sequence[str],
    scenarios: Sequence[Scenario],
    by: str | None = None,
    hierarchy: pd.DataFrame | Mapping | None = None,
    post_days: int = 7,
    model_column: bool | None = None,
) -> pd.DataFrame:
    """KPIs of every model column, stacked (``model`` first when several or asked for)."""
    if model_column is None:
        model_column = len(aliases) > 1
    tables = []
    for alias in aliases:
        k = kpis(
            forecast, futures, alias, scenarios, by=by, hierarchy=hierarchy, post_days=post_days
        )
        if model_column:
            k.insert(0, "model", alias)
        tables.append(k)
    return tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)


def scenario_warnings(
    models: Forecaster | Sequence[Forecaster],
    base_future: pd.DataFrame,
    scenarios: Sequence[Scenario],
    hierarchy: pd.DataFrame | Mapping | None = None,
    history: pd.DataFrame | None = None,
    warn: Warn | None = None,
) -> list[ScenarioWarning]:
    """Range warnings of each scenario for each model, scenario by scenario."""
    if warn is None:

        def warn(model: Forecaster, scenario: Scenario) -> list[ScenarioWarning]:
            train = model.train_ if history is None else history
            return range_warnings(train, scenario, base_future, hierarchy, model)

    out: list[ScenarioWarning] = []
    for scn in scenarios:
        for model in as_models(models):
            out += warn(model, scn)
    return out
