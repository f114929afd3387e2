"""What-if scenarios: "618 at 20% off with a 10-day presale on 护肤" and what it implies.

A :class:`Scenario` is a named change to the *future drivers* (discount, promotion
flag, list price) of chosen series over a date window, plus two clearly labelled
assumptions applied after the model (a traffic/ad multiplier and a manual
adjustment for effects never seen in history).

One response model behind every number: :func:`fit_response` estimates, from the
history's own variation, how units respond to the discount, the promotion flag and
the list price (pooled log-linear, shrunk per category, with standard errors; the
discount effect constrained >= 0). The fitted model forecasts the plan *without*
promotion once; the baseline (the uploaded plan, or no promotion) and every
scenario are that forecast times ``exp(response)`` — monotone in the discount,
extrapolated with a wider interval beyond the deepest discount in history. Data
without a discount/promotion column gets a user's *assumption*, labelled as one.
Nothing here trains a forecasting model, and a slider change is a multiplication.

Flow::

    base = base_plan(model, h)                         # neutral or uploaded plan
    resp = fit_response(history, response_groups(hier))
    after = fit_after_effects(history, response_groups(hier))   # dip, cannibalisation
    comp = compare(model, base, scenarios, h, by="品类", hierarchy=hier,
                   response=resp, baseline="plan",      # or "none": no promotion
                   after_effects=after)
    comp.forecast, comp.kpis, comp.warnings            # baseline + each scenario

Modules: ``spec`` (the definition and its field checks), ``files`` (JSON and
tables), ``presets`` (festival scenarios), ``targets`` (hierarchy and target
series), ``apply`` (changed plans and their forecasts), ``kpis``, ``elasticity``
(the fitted response), ``aftereffects`` (the pull-forward dip after a promotion and
the units taken from other products of the category, estimated from history and
shown as separate KPI lines), ``response`` (what a model learned, festival lift),
``warnings`` (range checks) and ``compare`` (all of it in one call).

Fractions everywhere in the definition: ``discount=0.25`` is 25% off (七五折),
``price_change=0.05`` is +5% list price, ``manual_adjustment=-0.1`` is -10%.
KPI percentages (``*_pct`` columns) are in percent.
"""

from __future__ import annotations

from forecasting.planning.scenarios.aftereffects import (
    AfterEffects,
    after_factors,
    after_summary,
    fit_after_effects,
)
from forecasting.planning.scenarios.apply import (
    apply_scenario,
    base_plan,
    predict_scenario,
    run_scenarios,
    scenario_futures,
)
from forecasting.planning.scenarios.compare import (
    BASELINES,
    Comparison,
    compare,
    comparison_kpis,
    effect_key,
    scenario_forecasts,
    scenario_warnings,
)
from forecasting.planning.scenarios.files import (
    is_blank,
    load_scenarios,
    save_scenarios,
    scenarios_from_frame,
    scenarios_to_frame,
)
from forecasting.planning.scenarios.kpis import ALT_COLUMNS, kpi_labels, kpis
from forecasting.planning.scenarios.presets import (
    MAIN_SALE_DAYS,
    PRESET_DISCOUNT,
    PRESET_FESTIVALS,
    discount_label,
    presets,
)
from forecasting.planning.scenarios.response import (
    ASSUMED,
    DEFAULT_ASSUMED_UPLIFT,
    LEARNED,
    UNKNOWN,
    Response,
    apply_response,
    assumed_response,
    can_learn,
    estimate_response,
    festival_lift,
    fit_response,
    neutral_plan,
    response_groups,
    response_summary,
    response_table,
)
from forecasting.planning.scenarios.spec import (
    ALL,
    BASELINE,
    DISCOUNT,
    FORMAT,
    FORMAT_VERSION,
    MAX_SCENARIOS,
    PRICE,
    PROMO,
    Scenario,
    ScenarioWarning,
)
from forecasting.planning.scenarios.targets import (
    hierarchy_at,
    hierarchy_from_data,
    scenario_mask,
    target_ids,
)
from forecasting.planning.scenarios.warnings import range_warnings

__all__ = [
    "AfterEffects",
    "after_factors",
    "after_summary",
    "effect_key",
    "fit_after_effects",
    "ALL",
    "ASSUMED",
    "BASELINES",
    "DEFAULT_ASSUMED_UPLIFT",
    "LEARNED",
    "UNKNOWN",
    "Response",
    "apply_response",
    "assumed_response",
    "can_learn",
    "fit_response",
    "neutral_plan",
    "response_groups",
    "response_summary",
    "response_table",
    "BASELINE",
    "DISCOUNT",
    "FORMAT",
    "FORMAT_VERSION",
    "MAIN_SALE_DAYS",
    "MAX_SCENARIOS",
    "PRESET_DISCOUNT",
    "PRESET_FESTIVALS",
    "PRICE",
    "PROMO",
    "Comparison",
    "Scenario",
    "ScenarioWarning",
    "apply_scenario",
    "base_plan",
    "compare",
    "comparison_kpis",
    "discount_label",
    "estimate_response",
    "festival_lift",
    "hierarchy_at",
    "hierarchy_from_data",
    "is_blank",
    "ALT_COLUMNS",
    "kpi_labels",
    "kpis",
    "load_scenarios",
    "predict_scenario",
    "presets",
    "range_warnings",
    "run_scenarios",
    "save_scenarios",
    "scenario_forecasts",
    "scenario_futures",
    "scenario_mask",
    "scenario_warnings",
    "scenarios_from_frame",
    "scenarios_to_frame",
    "target_ids",
]
