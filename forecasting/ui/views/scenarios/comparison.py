"""The page's one cached library call: baseline and scenario forecasts, KPIs, warnings.

The model's forecast of the plan without promotion is cached by ``st.cache_data``
under the data key + model key + horizon + plan, and so are the fitted response
and the after-effects (the dip after a promotion, cannibalisation in a category);
the baseline and every scenario are that forecast times the response (the same
``scenarios.compare`` call as the ``scenario`` command), so a slider change is a
multiplication. The fitted model comes from the shared ``st.cache_resource`` slot
of ``cache.fitted_model``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from forecasting.engine.forecast import keeping_calibration, store_key
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.schema import ID
from forecasting.ui import actions, cache, state
from forecasting.ui.messages import error_text, md_escape, short_error
from forecasting.ui.views.scenarios.context import Setup

if TYPE_CHECKING:
    from forecasting.engine.store import ModelStore
    from forecasting.models.base import Forecaster

log = logging.getLogger("shopcast.ui")

POST_DAYS = 7  # days after a window checked for the pull-forward dip
_STEP = {"D": 30, "W": 4, "MS": 1}  # horizons grow in months: each new one calibrates once


def horizon(setup: Setup, scenarios: list[sc.Scenario]) -> int:
    """Periods to forecast so every window (and the week after it) is covered.

    The trained horizon when it suffices; otherwise rounded up to whole months
    (4 weeks, 1 month for coarser data), so nudging a date does not calibrate
    bands for a new horizon each time, and capped at half the history.
    """
    need = setup.h_trained
    for s in scenarios:
        end = pd.Timestamp(s.end) + pd.Timedelta(days=POST_DAYS)
        if end >= setup.first:
            need = max(need, len(pd.date_range(setup.first, end, freq=setup.freq)))
    if need <= setup.h_trained:
        return setup.h_trained
    step = _STEP.get(actions.base_freq(setup.freq), 1)
    return int(min(math.ceil(need / step) * step, setup.max_h))


def breakdown_options(setup: Setup) -> list[str]:
    """KPI breakdowns on offer: the hierarchy levels, or each series."""
    if setup.hierarchy is not None:
        return [c for c in setup.hierarchy.columns if c != ID]
    return ["series"] if len(setup.ids) > 1 else []


def compare(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> sc.Comparison:
    """The one cached call of the page: baseline and scenario forecasts, KPIs, warnings.

    A failure keeps the last good comparison on screen (with the error above it).
    """
    by_opts = breakdown_options(setup)
    by = state.get("sc_by") if state.get("sc_by") in by_opts else (by_opts[0] if by_opts else None)
    h = horizon(setup, scenarios)
    t0 = time.perf_counter()
    slow = h != setup.h_trained and h not in setup.model.calibration_state()
    try:
        with st.spinner(
            t(
                "sc.calibrating" if slow else "sc.computing",
                lang,
                h=h,
                unit=t(f"unit.{actions.base_freq(setup.freq)}", lang),
            )
        ):
            comp = _compare_cached(
                *setup.keys,
                h,
                tuple(s.key for s in scenarios),
                by or "",
                baseline_kind(),
                assumed_uplift(),
                _setup=setup,
                _scenarios=scenarios,
            )
    except Exception as exc:  # noqa: BLE001 - keep the last good results on screen
        last = st.session_state.get("sc_last")  # (model keys, key of the comparison in RESULTS)
        kept = None if last is None or last[0] != setup.keys else cache.RESULTS.get(last[1])
        if kept is None:  # nothing of this model to fall back on
            raise
        if isinstance(exc, ShopcastError):
            st.error(error_text(exc, lang), icon=":material/error:")
        else:
            log.exception("scenario comparison failed")
            st.error(t("ui.error.unexpected", lang), icon=":material/error:")
            st.caption(t("ui.error.detail", lang, detail=md_escape(short_error(exc))))
        st.caption(t("sc.showing_last", lang))
        return kept
    comp.seconds = time.perf_counter() - t0
    # One entry per session (overwritten on every run); the frames stay server-side.
    key = st.session_state.setdefault("sc_last_key", f"sc-{uuid.uuid4().hex}")
    cache.RESULTS.put(key, comp)
    st.session_state["sc_last"] = (setup.keys, key)
    return comp


@st.cache_data(show_spinner=False, max_entries=64)
def _compare_cached(
    data_key: str,
    name: str,
    model_key: str,
    plan_key: str,
    hier_key: str,
    levels: tuple,
    h: int,
    scenario_keys: tuple,
    by: str,
    baseline: str,
    assume: float,
    _setup: Setup,
    _scenarios: list[sc.Scenario],
) -> sc.Comparison:
    """``scenarios.compare`` with the fitted response on a cached no-promotion forecast.

    The model forecasts the plan without promotion once (cached); the baseline and
    every scenario are that forecast times the response (a multiplication), so a
    slider change costs no model call — the same numbers as the ``scenario`` command.
    """
    s = _setup
    keys = (data_key, name, model_key, plan_key, hier_key, levels)
    base = cached_base_plan(data_key, name, model_key, plan_key, h, _model=s.model, _plan=s.plan)
    neutral = _forecast(
        *keys, h, "neutral", _setup=s, _base=sc.neutral_plan(base), _scenario=None, _baseline=None
    )
    resp = fitted_response(data_key, hier_key, assume, _setup=s)
    after = fitted_after_effects(data_key, hier_key, _setup=s)

    def warn(model: Forecaster, scn: sc.Scenario) -> list[sc.ScenarioWarning]:
        return _warnings(*keys[:5], h, scn.key, _setup=s, _base=base, _scenario=scn)

    return sc.compare(
        s.model,
        base,
        _scenarios,
        h,
        list(levels),
        s.hierarchy,
        by=by or None,
        post_days=POST_DAYS,
        warn=warn,
        response=resp,
        baseline=baseline,
        neutral_forecast=neutral,
        after_effects=after,
        memo=_plan_memo(keys, h, assume),
    )


def baseline_kind() -> str:
    """The baseline the user chose: ``"plan"`` or ``"none"``."""
    kind = state.get("sc_baseline")
    return kind if kind in sc.BASELINES else "plan"


def assumed_uplift() -> float:
    """The user's assumption, as a fraction per 10 points of discount (0.2 = +20%)."""
    try:
        return float(state.get("sc_assume")) / 100
    except (TypeError, ValueError):
        return sc.DEFAULT_ASSUMED_UPLIFT


@st.cache_data(show_spinner=False, max_entries=16)
def fitted_response(data_key: str, hier_key: str, assume: float, _setup: Setup) -> sc.Response:
    """The response behind every scenario number (learned, or the user's assumption)."""
    groups = sc.response_groups(_setup.hierarchy)
    params = getattr(_setup.model, "params", None)  # the model's festival calendar, as the CLI
    country = params.get("country") if isinstance(params, dict) else None
    return sc.fit_response(_setup.model.train_, groups, assume=assume, country=country)


@st.cache_data(show_spinner=False, max_entries=16)
def fitted_after_effects(data_key: str, hier_key: str, _setup: Setup) -> sc.AfterEffects:
    """The dip after promotions and the cannibalisation in the category (as the CLI)."""
    groups = sc.response_groups(_setup.hierarchy)
    params = getattr(_setup.model, "params", None)
    country = params.get("country") if isinstance(params, dict) else None
    return sc.fit_after_effects(_setup.model.train_, groups, POST_DAYS, country)


effect_key = sc.effect_key  # what changes a scenario's forecast (not its name or note)


class _Memo(OrderedDict):
    """Plan forecasts by definition, the least recently added dropped past ``cap``."""

    cap = 64

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()  # sessions share it

    def __setitem__(self, key, value) -> None:
        with self._lock:
            super().__setitem__(key, value)
            while len(self) > self.cap:
                self.popitem(last=False)


@st.cache_resource(show_spinner=False, max_entries=16)
def _plan_memo(keys: tuple, h: int, assume: float) -> _Memo:
    """The forecasts of plans already computed for the model, plan, hierarchy and levels
    of ``keys``, horizon ``h`` and the response (``sc.compare``'s ``memo``): a slider
    step then computes only the scenario it moved."""
    return _Memo()


@st.cache_data(show_spinner=False, max_entries=32)
def cached_base_plan(
    data_key: str,
    name: str,
    model_key: str,
    plan_key: str,
    h: int,
    _model: Forecaster,
    _plan: pd.DataFrame | None,
) -> pd.DataFrame:
    """``scenarios.base_plan`` for the model and plan behind the keys."""
    return sc.base_plan(_model, h, _plan)


@st.cache_data(show_spinner=False, max_entries=256)
def _forecast(
    data_key: str,
    name: str,
    model_key: str,
    plan_key: str,
    hier_key: str,
    levels: tuple,
    h: int,
    effect: str,
    _setup: Setup,
    _base: pd.DataFrame,
    _scenario: sc.Scenario | None,
    _baseline: pd.DataFrame | None,
) -> pd.DataFrame:
    """One scenario's forecast (predict-only; the baseline when ``effect`` is "")."""
    store, key = _model_slot(_setup)
    fc = None
    # The shared model memoises band calibration per horizon: serialise with the other pages.
    with cache.PREDICT_LOCK:
        try:  # a new calibration is saved, so a restart does not redo it
            with keeping_calibration(_setup.model, store, key):
                fc = sc.predict_scenario(
                    _setup.model, _base, _scenario, h, list(levels), _setup.hierarchy, _baseline
                )
        except Exception:
            if fc is None:  # the prediction failed, not the save
                raise
            log.debug("saving the calibrated model failed", exc_info=True)
    return fc


def _model_slot(setup: Setup) -> tuple[ModelStore | None, str | None]:
    """The model store and the model's key in it (``None``s when unavailable)."""
    try:
        return cache.model_store(), store_key(
            setup.result.data_key, setup.name, setup.result.config
        )
    except Exception:  # noqa: BLE001 - a cache write must never break the page
        return None, None


@st.cache_data(show_spinner=False, max_entries=256)
def _warnings(
    data_key: str,
    name: str,
    model_key: str,
    plan_key: str,
    hier_key: str,
    h: int,
    scenario_key: str,
    _setup: Setup,
    _base: pd.DataFrame,
    _scenario: sc.Scenario,
) -> list[sc.ScenarioWarning]:
    """``scenarios.range_warnings`` of one scenario against the model's history."""
    return sc.range_warnings(_setup.model.train_, _scenario, _base, _setup.hierarchy, _setup.model)
