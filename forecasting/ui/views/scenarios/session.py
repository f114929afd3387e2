"""Session state of the Scenarios page: ``sc_*`` keys, the scenario list and callbacks.

The scenarios live in ``st.session_state["sc_scenarios"]`` (a list of small
``Scenario`` definitions); frames and models live in the content-keyed caches.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import streamlit as st

from forecasting.errors import ShopcastError
from forecasting.planning import scenarios as sc

log = logging.getLogger("shopcast.ui")

# Persistent session keys of this page (``sc_`` prefix).
DEFAULTS: dict[str, Any] = {
    "sc_model": None,  # registry name of the model used for scenarios
    "sc_scenarios": None,  # list[Scenario]; None = not set up yet (a preset is proposed)
    "sc_selected": 0,  # index of the scenario the sliders edit
    "sc_rev": 0,  # bumped when scenarios change outside the sliders: re-keys every control
    "sc_table_rev": 0,  # bumped on every accepted change: re-keys the table editor
    "sc_table_error": None,  # (key, params) of the last refused table edit
    "sc_msg": None,  # (kind, key, params) shown once on the next run
    "sc_view": None,  # chart target label
    "sc_band": None,  # band level shaded in the chart
    "sc_by": None,  # KPI breakdown level
    "sc_baseline": "plan",  # "plan" (the uploaded future plan) or "none" (no promotion)
    "sc_assume": 20.0,  # % more units per 10 points of discount, when nothing can be learned
    "sc_lead": None,  # None = the edited scenario's window length
    "sc_review": 0,
    "sc_service": 95,
    "sc_cover_from": None,  # first day the stock must cover; None = first scenario window
    "sc_stock": {},  # unique_id -> units on hand
    "sc_stock_rev": 0,
    "sc_last": None,  # (setup keys, Comparison) of the last run without error
}
MAX_SCENARIOS = 4


def init_state() -> None:
    """Fill missing ``sc_*`` keys (``setdefault``: the user's choices are kept)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, dict(value) if isinstance(value, dict) else value)


def safe_callback(callback: Any) -> Any:
    """Widget callbacks run outside the page's ``guard``: turn any failure into a message
    shown on the next run, never a traceback (the scenarios stay as they were)."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            callback(*args, **kwargs)
        except ShopcastError as exc:
            st.session_state["sc_msg"] = ("error", f"error.{exc.key}", exc.params)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            from forecasting.ui.bootstrap import short_error

            log.exception("scenario callback failed")
            st.session_state["sc_msg"] = (
                "error",
                "sc.callback_failed",
                {"detail": short_error(exc)},
            )

    return run


def current_scenarios() -> list[sc.Scenario]:
    """The scenarios of this session (a copy of the list)."""
    return list(st.session_state.get("sc_scenarios") or [])


def store_scenarios(scenarios: list[sc.Scenario], controls: bool = True) -> None:
    """Keep ``scenarios`` and re-key the widgets that show them."""
    st.session_state["sc_scenarios"] = list(scenarios)
    sel = int(st.session_state.get("sc_selected") or 0)
    st.session_state["sc_selected"] = max(0, min(sel, len(scenarios) - 1))
    st.session_state["sc_table_rev"] = st.session_state.get("sc_table_rev", 0) + 1
    st.session_state["sc_table_error"] = None
    if controls:
        st.session_state["sc_rev"] = st.session_state.get("sc_rev", 0) + 1


def selected(scenarios: list[Any]) -> int:
    """Index of the scenario being edited, within ``scenarios``."""
    return min(st.session_state.get("sc_selected") or 0, max(len(scenarios) - 1, 0))
