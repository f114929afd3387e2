"""Streamlit glue of the Scenarios page: the fitted model, the scenario editor, cached
predict-only calls, the KPI / response / inventory sections and the downloads.

Nothing here trains, except the explicit "train LightGBM" button (through the same
cached path as the Train page). Moving a slider re-predicts only the scenario it
changes (see :mod:`.comparison`); the library does the work
(``forecasting.planning.scenarios.compare``).

Modules: ``session`` (``sc_*`` keys, the scenario list, safe callbacks),
``context`` (the model and what its forecasts depend on), ``editing`` (targets,
names and the table, no widgets), ``editor`` (the widgets that edit scenarios),
``comparison`` (the one cached call), ``sections`` (chart controls, problems,
KPIs, response) and ``stock`` (the stock plan and the downloads).
"""

from __future__ import annotations

from forecasting.planning.scenarios import Comparison, hierarchy_at
from forecasting.ui.views.scenarios.comparison import (
    POST_DAYS,
    breakdown_options,
    compare,
    effect_key,
    horizon,
)
from forecasting.ui.views.scenarios.context import (
    Setup,
    driver_model_names,
    driver_models,
    setup,
)
from forecasting.ui.views.scenarios.editing import (
    apply_delta,
    default_scenarios,
    editor_frame,
    follow_discounts,
    next_preset,
    renamed,
    scenarios_from_editor,
    target_options,
    update,
)
from forecasting.ui.views.scenarios.editor import editor, uploader_hints
from forecasting.ui.views.scenarios.sections import (
    RESPONSE_VALUES,
    baseline_controls,
    chart_controls,
    festival_note,
    kpi_cards,
    kpi_section,
    kpi_table,
    problems,
    response,
    response_section,
    response_text,
)
from forecasting.ui.views.scenarios.session import DEFAULTS, MAX_SCENARIOS, init_state
from forecasting.ui.views.scenarios.stock import (
    cover_defaults,
    downloads,
    inventory_section,
    inventory_table,
    workbook,
)

__all__ = [
    "DEFAULTS",
    "MAX_SCENARIOS",
    "POST_DAYS",
    "RESPONSE_VALUES",
    "baseline_controls",
    "Comparison",
    "Setup",
    "apply_delta",
    "breakdown_options",
    "chart_controls",
    "compare",
    "cover_defaults",
    "default_scenarios",
    "downloads",
    "driver_model_names",
    "driver_models",
    "editor",
    "editor_frame",
    "effect_key",
    "festival_note",
    "follow_discounts",
    "hierarchy_at",
    "horizon",
    "init_state",
    "inventory_section",
    "inventory_table",
    "kpi_cards",
    "kpi_section",
    "kpi_table",
    "next_preset",
    "problems",
    "renamed",
    "response",
    "response_section",
    "response_text",
    "scenarios_from_editor",
    "setup",
    "target_options",
    "update",
    "uploader_hints",
    "workbook",
]
