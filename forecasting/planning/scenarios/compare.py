"""Baseline vs scenarios in one call: forecasts, KPIs and warnings.

:func:`compare` is what the Scenarios page and the ``scenario`` command both show.
It is pure (frames in, a :class:`Comparison` out); a caller that caches each
scenario's forecast (the dashboard) passes its own ``predict`` and ``warn``
functions, so a slider moving one scenario re-predicts only that scenario.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.aftereffects import AfterEffects, after_factors
from forecasting.planning.scenarios.apply import (
    apply_scenario,
    as_models,
    predict_scenario,
    scenario_futures,
)
from forecasting.planning.scenarios.files import check_unique
from forecasting.planning.scenarios.kpis import ALT_COLUMNS, kpis
from forecasting.planning.scenarios.response import (
    ASSUMED,
    LEARNED,
    LOG_PRICE,
    Response,
    apply_response,
    neutral_plan,
)
from forecasting.planning.scenarios.spec import (
    BASELINE,
    DISCOUNT,
    PROMO,
    Scenario,
    ScenarioWarning,
)
from forecasting.planning.scenarios.targets import scenario_mask
from forecasting.planning.scenarios.warnings import range_warnings
from forecasting.schema import DEFAULT_LEVELS, DS, ID, SCENARIO

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

# (scenario or None for the baseline, baseline forecast or None) -> forecast + ``scenario``
Predict = Callable[[Scenario | None, pd.DataFrame | None], pd.DataFrame]
# (model, scenario) -> its warnings
Warn = Callable[["Forecaster", Scenario], list[ScenarioWarning]]

PLAN, NONE = "plan", "none"  # the baseline: the uploaded plan, or no promotion at all
BASELINES = (PLAN, NONE)
# range warnings about the forecasting model's own driver response, moot with a Response
_MODEL_RESPONSE_WARNINGS = {"model_ignores_drivers", "discount_above_range", "no_driver"}


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
        response: the response behind the scenario numbers (``None``: the models
            re-predicted each changed plan).
        baseline: ``"plan"`` (the uploaded future plan) or ``"none"`` (no promotion).
        after_effects: the pull-forward dip and cannibalisation behind the numbers
            (``None``: not applied).
        after: ``scenario, unique_id, ds, dip, cannibal``: the multipliers applied.
        alt_baseline: the other baseline the KPI table also compares against
            (``ALT_COLUMNS``), or ``None`` (no response, or a plan without promotions,
            where both baselines are the same).
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
    response: Response | None = None
    baseline: str = PLAN
    after_effects: AfterEffects | None = None
    after: pd.DataFrame | None = None
    alt_baseline: str | None = None


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
    response: Response | None = None,
    baseline: str = PLAN,
    neutral_forecast: pd.DataFrame | None = None,
    after_effects: AfterEffects | None = None,
    memo: MutableMapping | None = None,
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
        response: one response model behind every number (:func:`fit_response`):
            the models forecast the plan *without* promotion once, and the
            baseline and every scenario are that forecast times the response to
            their drivers (``predict`` is then ignored). ``None``: the models
            re-predict each changed plan.
        baseline: ``"plan"`` (``base_future`` as uploaded) or ``"none"`` (its
            discounts and promotions removed); scenarios change the chosen one.
        neutral_forecast: the models' forecast of ``neutral_plan(base_future)``
            (e.g. cached), with ``response``.
        after_effects: with ``response``: the pull-forward dip after promotion runs
            and the cannibalisation of other products of a category
            (:func:`~.aftereffects.fit_after_effects`) multiply each plan's
            forecast, and the KPIs show them as separate lines.
        memo: with ``response``: a dict keeping each plan's forecast by definition
            (see :func:`responder`), so a slider step computes only what it moved.

    Returns:
        The :class:`Comparison`.
    """
    models = as_models(models)
    scenarios = list(scenarios)
    check_unique(scenarios, "scenarios")
    if baseline not in BASELINES:
        raise ShopcastError(
            "option_choice", option="baseline", value=baseline, choices=", ".join(BASELINES)
        )
    uploaded = base_future
    if baseline == NONE:
        base_future = neutral_plan(base_future)
    factors: dict[str, pd.DataFrame] = {}
    if response is not None:
        if neutral_forecast is None:
            neutral_forecast = predict_scenario(
                models, neutral_plan(base_future), None, h, levels, hierarchy
            )
        args = (hierarchy, after_effects, factors, memo, baseline)
        predict = responder(response, neutral_forecast, base_future, *args)
    elif predict is None:
        predict = _model_predict(models, base_future, h, levels, hierarchy)
    forecast, ok, errors = scenario_forecasts(predict, scenarios, skip_failed)
    futures = scenario_futures(base_future, ok, hierarchy)
    aliases = [m.alias for m in models]
    after = _after_frame(factors) if response is not None and after_effects is not None else None
    table = comparison_kpis(
        forecast, futures, aliases, ok, by, hierarchy, post_days, model_column, after
    )
    warnings = scenario_warnings(models, base_future, scenarios, hierarchy, history, warn)
    if response is not None:
        warnings = [w for w in warnings if w.key not in _MODEL_RESPONSE_WARNINGS]
        warnings += response_warnings(response, futures, ok)
    comp = Comparison(forecast, futures, ok, table, warnings, errors, h, by)
    comp.response, comp.baseline = response, baseline
    if response is not None:
        comp.after_effects, comp.after = after_effects, after
        _with_other_baseline(comp, uploaded, neutral_forecast, aliases, hierarchy, post_days, memo)
    return comp


def _with_other_baseline(
    comp: Comparison,
    uploaded: pd.DataFrame,
    neutral_forecast: pd.DataFrame,
    aliases: Sequence[str],
    hierarchy: pd.DataFrame | Mapping | None,
    post_days: int,
    memo: MutableMapping | None = None,
) -> None:
    """Add the KPIs against the other baseline (``ALT_COLUMNS``) when the uploaded plan
    promotes anything (else both baselines are the same)."""
    if comp.response is None or not _has_promotions(uploaded):
        return
    other = NONE if comp.baseline == PLAN else PLAN
    alt_plan = neutral_plan(uploaded) if other == NONE else uploaded
    alt = responder(
        comp.response, neutral_forecast, alt_plan, hierarchy, comp.after_effects, {}, memo, other
    )
    comp.kpis = against_other(comp, alt(None, None), alt_plan, aliases, other, hierarchy, post_days)
    comp.alt_baseline = other


def _model_predict(
    models: list[Forecaster],
    base_future: pd.DataFrame,
    h: int,
    levels: Sequence[int | float] | None,
    hierarchy: pd.DataFrame | Mapping | None,
) -> Predict:
    """``predict(scenario, baseline)`` by the models themselves (no response)."""

    def predict(scenario: Scenario | None, baseline: pd.DataFrame | None) -> pd.DataFrame:
        return predict_scenario(models, base_future, scenario, h, levels, hierarchy, baseline)

    return predict


def _has_promotions(plan: pd.DataFrame) -> bool:
    """Does the plan discount or promote anything (else both baselines are the same)?"""
    cols = [c for c in (DISCOUNT, PROMO) if c in plan.columns]
    return bool(cols) and bool(
        (plan[cols].apply(pd.to_numeric, errors="coerce").fillna(0) != 0).any().any()
    )


def against_other(
    comp: Comparison,
    other_forecast: pd.DataFrame,
    other_plan: pd.DataFrame,
    aliases: Sequence[str],
    other: str,
    hierarchy: pd.DataFrame | Mapping | None = None,
    post_days: int = 7,
) -> pd.DataFrame:
    """``comp.kpis`` plus every row's increment over the other baseline's forecast.

    The other baseline replaces the baseline rows, the KPIs are computed again, and
    their increments join the table as ``ALT_COLUMNS[other]`` (the baseline row then
    says what the chosen baseline adds or loses against the other one).
    """
    is_base = comp.forecast[SCENARIO] == BASELINE
    alt_name = "__other_baseline__"
    scn = comp.forecast.loc[~is_base]
    swapped = pd.concat(
        [
            other_forecast.assign(**{SCENARIO: BASELINE}),
            comp.forecast.loc[is_base].assign(**{SCENARIO: alt_name}),
            scn,
        ],
        ignore_index=True,
    )
    futures = {**comp.futures, BASELINE: other_plan, alt_name: comp.futures.get(BASELINE)}
    futures = {k: v for k, v in futures.items() if v is not None}
    table = comparison_kpis(
        swapped,
        futures,
        aliases,
        comp.scenarios,
        comp.by,
        hierarchy,
        post_days,
        "model" in comp.kpis.columns,
    )
    table[SCENARIO] = table[SCENARIO].replace({alt_name: BASELINE, BASELINE: alt_name})
    table = table[table[SCENARIO] != alt_name]
    units, pct = ALT_COLUMNS[other]
    keys = [c for c in ("model", SCENARIO, "level", "group") if c in table.columns]
    extra = table[keys + ["incr_units", "incr_units_pct"]].rename(
        columns={"incr_units": units, "incr_units_pct": pct}
    )
    return comp.kpis.merge(extra, on=keys, how="left")


def _after_frame(factors: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The after-effect multipliers of every plan, stacked with a ``scenario`` column."""
    parts = [f.assign(**{SCENARIO: name}) for name, f in factors.items()]
    return pd.concat(parts, ignore_index=True)


def responder(
    response: Response,
    neutral_forecast: pd.DataFrame,
    base_future: pd.DataFrame,
    hierarchy: pd.DataFrame | Mapping | None = None,
    after_effects: AfterEffects | None = None,
    factors: dict[str, pd.DataFrame] | None = None,
    memo: MutableMapping | None = None,
    plan_name: str = "",
) -> Predict:
    """``predict(scenario, baseline)`` by the response: no model call, a multiplication.

    The neutral forecast (no promotion) times the response to each plan's drivers,
    times the after-effects of its promotions (the dip after each run, the units
    taken from other products of the category) when given; a scenario's assumed
    ``post_multiplier`` multiplies its window as usual. ``factors`` (if given)
    collects each plan's after-effect multipliers by scenario name. ``memo`` (if
    given) keeps each plan's forecast and multipliers by ``plan_name`` (the kind of
    baseline ``base_future`` is) and the scenario's definition: one memo serves
    compares with the same response, neutral forecast, uploaded plan and hierarchy.
    """
    neutral_fc = neutral_forecast.drop(columns=[SCENARIO], errors="ignore")
    neutral = neutral_plan(base_future)

    def predict(scenario: Scenario | None, _baseline: pd.DataFrame | None) -> pd.DataFrame:
        if memo is None:
            return _respond(scenario)
        key = (plan_name, None if scenario is None else effect_key(scenario))
        hit = memo.get(key)
        if hit is None:
            keep: dict = {}
            hit = (_respond(scenario, keep), keep.get("f"))
            memo[key] = hit
        fc, f = hit
        name = BASELINE if scenario is None else scenario.name
        if factors is not None and f is not None:
            factors[name] = f
        return fc.assign(**{SCENARIO: name})

    def _respond(scenario: Scenario | None, keep: dict | None = None) -> pd.DataFrame:
        plan = base_future if scenario is None else apply_scenario(base_future, scenario, hierarchy)
        fc = apply_response(response, neutral_fc, neutral, plan)
        if after_effects is not None:
            f = after_factors(after_effects, plan)
            keys = fc[[ID, DS]].astype({ID: str}).assign(**{DS: pd.to_datetime(fc[DS])})
            f = keys.merge(f, on=[ID, DS], how="left").fillna({"dip": 1.0, "cannibal": 1.0})
            mult = (f["dip"] * f["cannibal"]).to_numpy(dtype=float)
            for col in fc.columns:
                if col not in (ID, DS) and pd.api.types.is_numeric_dtype(fc[col]):
                    fc[col] = fc[col].to_numpy(dtype=float) * mult
            if factors is not None:
                factors[BASELINE if scenario is None else scenario.name] = f
            if keep is not None:
                keep["f"] = f
        if scenario is not None and scenario.post_multiplier != 1.0:
            mask = scenario_mask(fc, scenario, hierarchy)
            factor = np.where(mask, scenario.post_multiplier, 1.0)
            for col in fc.columns:
                if col not in (ID, DS):
                    fc[col] = fc[col].to_numpy(dtype=float) * factor
        fc.insert(2, SCENARIO, BASELINE if scenario is None else scenario.name)
        return fc

    return predict


def effect_key(scenario: Scenario) -> str:
    """The scenario's definition without its name and note: what changes its forecast."""
    d = scenario.to_dict()
    d.pop("name", None)
    d.pop("note", None)
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


def response_warnings(
    response: Response, futures: Mapping[str, pd.DataFrame], scenarios: Sequence[Scenario]
) -> list[ScenarioWarning]:
    """What the response behind the numbers cannot know, scenario by scenario."""
    out: list[ScenarioWarning] = []
    for scn in scenarios:
        if not scn.changes_drivers:
            continue
        if scn.price_change and LOG_PRICE not in response.coef:
            out.append(ScenarioWarning("response_no_price", {"name": scn.name}))
        if response.source == LEARNED:
            plan = futures.get(scn.name)
            deepest = (
                float(pd.to_numeric(plan[DISCOUNT], errors="coerce").max())
                if plan is not None and DISCOUNT in plan
                else 0.0
            )
            if deepest > response.max_discount + 1e-9:
                params = {
                    "name": scn.name,
                    "value": f"{deepest:.0%}",
                    "max": f"{response.max_discount:.0%}",
                }
                out.append(ScenarioWarning("response_beyond", params))
        elif response.source == ASSUMED:
            params = {"name": scn.name, "per10": f"{response.per_10pts:+.0%}"}
            out.append(ScenarioWarning("response_assumed", params, "info"))
        else:
            out.append(ScenarioWarning("response_unknown", {"name": scn.name}))
    return out


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
    after: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """KPIs of every model column, stacked (``model`` first when several or asked for)."""
    if model_column is None:
        model_column = len(aliases) > 1
    tables = []
    for alias in aliases:
        k = kpis(
            forecast,
            futures,
            alias,
            scenarios,
            by=by,
            hierarchy=hierarchy,
            post_days=post_days,
            after=after,
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
