"""Streamlit glue of the Scenarios page: the fitted model, the scenario editor, cached
predict-only calls, the KPI / response / inventory sections and the downloads.

Nothing here trains, except the explicit "train LightGBM" button (through the same
cached path as the Train page). Moving a slider re-predicts only the scenario it
changes: every scenario's forecast is cached by ``st.cache_data`` under the data
key + model key + horizon + plan + the scenario's *effect* (its definition
without name and note, so renaming costs nothing), and the fitted model comes
from the shared ``st.cache_resource`` slot of ``cache.fitted_model``.

The scenarios live in ``st.session_state["sc_scenarios"]`` (a list of
``Scenario``) and are edited three ways: the sliders (the scenario chosen in
"editing"), the table (``st.data_editor``) and a JSON upload. Widgets are keyed
with a revision number, bumped whenever the scenarios change elsewhere, so
every widget shows the current definition; an invalid edit leaves the last
valid scenarios (and their results) in place with a message.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from forecasting.charts.forecast import model_label, series_label
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.schema import DS, ID, SCENARIO
from forecasting.ui import actions, cache, state

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster
    from forecasting.ui.training import Result

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
    "sc_lead": None,  # None = the edited scenario's window length
    "sc_review": 0,
    "sc_service": 95,
    "sc_cover_from": None,  # first day the stock must cover; None = first scenario window
    "sc_stock": {},  # unique_id -> units on hand
    "sc_stock_rev": 0,
    "sc_last": None,  # (setup keys, Comparison) of the last run without error
}
DRIVER_MODELS = ("lightgbm", "prophet", "mlp", "lstm", "ensemble")
MAX_SCENARIOS = 4
POST_DAYS = 7  # days after a window checked for the pull-forward dip
RESPONSE_VALUES = (0.1, 0.2, 0.3)
_STEP = {"D": 30, "W": 4, "MS": 1}  # horizons grow in months: each new one calibrates once
_CAP = {"D": 400, "W": 60, "MS": 15}
_PROMO = ("on", "off", "plan")
_PLOT = {"theme": None, "config": {"displaylogo": False}}


def init_state() -> None:
    """Fill missing ``sc_*`` keys (``setdefault``: the user's choices are kept)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, dict(value) if isinstance(value, dict) else value)


# ====================================================================== setup
@dataclass
class Setup:
    """The trained model and everything a scenario forecast depends on."""

    result: Result
    name: str  # registry name = forecast alias
    model: Forecaster
    plan: pd.DataFrame | None  # future driver plan the training used (None = neutral)
    plan_key: str
    hierarchy: pd.DataFrame | None  # unique_id -> coarser levels (None = series only)
    levels: tuple[int, ...]
    first: pd.Timestamp  # first forecast period
    freq: str
    max_h: int

    @property
    def alias(self) -> str:
        return self.name

    @property
    def ids(self) -> list[str]:
        return [str(s) for s in pd.unique(self.model.train_[ID])]

    @property
    def h_trained(self) -> int:
        return int(self.result.config.horizon)

    @property
    def hier_key(self) -> str:
        return "" if self.hierarchy is None else f"{self.result.level}:{len(self.hierarchy)}"

    @property
    def keys(self) -> tuple:
        """What every cached scenario call is keyed by (content hashes, not the session)."""
        return (
            self.result.data_key,
            self.name,
            self.result.config.model_key(self.name),
            self.plan_key,
            self.hier_key,
            self.levels,
        )


def driver_models(result: Result | None) -> list[str]:
    """Models of ``result`` whose forecast reacts to discounts, promotions and prices."""
    return [] if result is None else [m for m in result.models if m in DRIVER_MODELS]


def setup(lang: str) -> Setup | None:
    """Find the model for scenarios, or explain what is missing (and offer to train).

    Returns:
        The setup, or None when the page cannot go on (a message is shown).
    """
    result = state.get("result")
    view = actions.current_view()
    if not driver_models(result):
        if view is None:
            st.info(t("sc.no_data", lang), icon=":material/info:")
            from forecasting.ui import PAGES

            st.page_link(PAGES["data"], label=t("nav.data", lang), icon=":material/table_chart:")
            return None
        if not _offer_training(view, result, lang):
            return None
        result = state.get("result")
        if not driver_models(result):
            return None
    names = driver_models(result)
    if state.get("sc_model") not in names:
        state.reseed("sc_model", "lightgbm" if "lightgbm" in names else names[0])
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    c1.selectbox(
        t("sc.model", lang),
        names,
        format_func=lambda m: model_label(m, lang),
        help=t("sc.model_help", lang),
        **state.bind("sc_model"),
    )
    name = state.get("sc_model")
    with st.spinner(t("sc.loading_model", lang)):
        model, run, _ = cache.fitted_model(
            result.history, result.freq, name, result.config, result.data_key
        )
    if model is None:
        raise run.error or ShopcastError("model_failed", model=name, detail="")
    same = view is not None and _view_key(view) == result.data_key
    plan, plan_key = (
        (view.future, view.plan.digest) if same and view.plan is not None else (None, "")
    )
    hierarchy = _hierarchy(view, result) if same else None
    first = pd.Timestamp(result.forecast[DS].min())
    longest = int(model.train_.groupby(ID, observed=True).size().max())
    base = actions.base_freq(result.freq)
    out = Setup(
        result=result,
        name=name,
        model=model,
        plan=plan,
        plan_key=plan_key,
        hierarchy=hierarchy,
        levels=tuple(sorted({*result.config.levels, 80, 95})),
        first=first,
        freq=result.freq,
        max_h=max(result.config.horizon, min(longest // 2, _CAP.get(base, 400))),
    )
    unit = t(f"unit.{base}", lang)
    note = t(
        "sc.based_on",
        lang,
        name=html.escape(result.data_name),
        level=_level_label(result.level, lang),
        h=result.config.horizon,
        unit=unit,
        created=result.created,
    )
    if plan is not None:
        note += " · " + t("sc.plan", lang, name=html.escape(view.plan.name))
    elif not same:
        note += " · " + t("sc.data_changed", lang)
    c2.caption(note)
    return out


def _level_label(level: str, lang: str) -> str:
    from forecasting.ui.widgets import level_label

    return level_label(level, lang)


def _offer_training(view: Any, result: Result | None, lang: str) -> bool:
    """The "train LightGBM now" button; True once a driver-aware model is trained."""
    st.info(t("sc.need_model", lang), icon=":material/info:")
    if not st.button(
        t("sc.train_lgbm", lang), type="primary", key="sc_train", icon=":material/model_training:"
    ):
        return False
    from forecasting.ui import widgets

    config = _lightgbm_config(view, result)
    with widgets.training_session():
        actions.run_training(view, config, lang)
    widgets.training_outcome(lang)
    return bool(driver_models(state.get("result")))


def _lightgbm_config(view: Any, result: Result | None):
    """The Train page's config plus LightGBM; the current result's models are kept
    (they come from the cache) when it was trained on the same data."""
    if result is not None and result.data_key == _view_key(view):
        config = dataclasses.replace(result.config, models=[*result.models, "lightgbm"])
    else:
        config = dataclasses.replace(actions.train_config(view.freq), models=["lightgbm"])
    if not config.levels:
        config = dataclasses.replace(config, levels=[80, 95])
    return config


def _view_key(view: Any) -> str:
    return _data_key(
        view.source.digest,
        view.level,
        view.freq,
        view.series,
        state.get("data_sheet") or "",
        cache.mapping_key(state.get("data_mapping")),
        view.history,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _data_key(
    digest: str,
    level: str,
    freq: str,
    series: tuple,
    sheet: str,
    mapping: str,
    _history: pd.DataFrame,
) -> str:
    from forecasting.engine import forecast as pipeline

    return pipeline.data_key(_history, freq)


def _hierarchy(view: Any, result: Result) -> pd.DataFrame | None:
    return _hierarchy_cached(
        view.source.digest,
        state.get("data_sheet") or "",
        cache.mapping_key(state.get("data_mapping")),
        result.level,
        tuple(sorted(pd.unique(result.history[ID].astype(str)))),
        view.data,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _hierarchy_cached(
    digest: str, sheet: str, mapping: str, level: str, ids: tuple, _data: Any
) -> pd.DataFrame | None:
    return hierarchy_at(_data, level, ids)


def hierarchy_at(data: Any, level: str, ids: tuple | list) -> pd.DataFrame | None:
    """``unique_id`` at ``level`` -> the values of ``level`` and every coarser id level.

    Args:
        data: the ``SalesData`` the history was cut from.
        level: the history's level ("total" or an id column).
        ids: the history's series; the hierarchy must cover every one of them.

    Returns:
        A frame for ``scenarios.target_ids`` / ``kpis(by=...)``, or None when the
        level has no coarser structure worth targeting (total, one series) or the
        data does not match.
    """
    if level not in getattr(data, "ids", []) or len(ids) < 2:
        return None
    finest = sc.hierarchy_from_data(data)
    cols = data.ids[: data.ids.index(level) + 1]
    if not set(cols) <= set(finest.columns):
        return None
    out = finest[cols].copy()
    out.insert(0, ID, finest[level].astype(str))
    out = out.drop_duplicates(ID).astype(str).reset_index(drop=True)
    if not set(map(str, ids)) <= set(out[ID]):
        return None
    return out[out[ID].isin(set(map(str, ids)))].reset_index(drop=True)


# ============================================================ scenario state
def _safe(callback: Any) -> Any:
    """Widget callbacks run outside the page's ``guard``: turn any failure into a message
    shown on the next run, never a traceback (the scenarios stay as they were)."""
    import functools

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


def target_options(setup: Setup, lang: str, scenarios: list[sc.Scenario] = ()) -> dict[str, tuple]:
    """Label -> ``(level, series tuple)`` of every target offered (all, each group, ...)."""
    sep = "：" if lang == "zh" else ": "
    out: dict[str, tuple] = {t("sc.target.all", lang): (None, None)}
    if setup.hierarchy is not None:
        for lv in [c for c in setup.hierarchy.columns if c != ID]:
            for v in sorted(setup.hierarchy[lv].unique()):
                out[f"{lv}{sep}{v}"] = (lv, (str(v),))
    elif len(setup.ids) > 1:
        for uid in sorted(setup.ids):
            out[series_label(uid, lang)] = (None, (uid,))
    known = set(out.values())
    for s in scenarios:  # an uploaded target that is not a single group still shows
        key = _target_key(s)
        if key not in known:
            out[f"{s.level or ID}{sep}{', '.join(s.series or ())}"] = key
            known.add(key)
    return out


def _target_key(s: sc.Scenario) -> tuple:
    return (s.level, tuple(s.series)) if s.series else (None, None)


def _scenarios() -> list[sc.Scenario]:
    return list(st.session_state.get("sc_scenarios") or [])


def _store(scenarios: list[sc.Scenario], controls: bool = True) -> None:
    """Keep ``scenarios`` and re-key the widgets that show them."""
    st.session_state["sc_scenarios"] = list(scenarios)
    sel = int(st.session_state.get("sc_selected") or 0)
    st.session_state["sc_selected"] = max(0, min(sel, len(scenarios) - 1))
    st.session_state["sc_table_rev"] = st.session_state.get("sc_table_rev", 0) + 1
    st.session_state["sc_table_error"] = None
    if controls:
        st.session_state["sc_rev"] = st.session_state.get("sc_rev", 0) + 1


def _unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    k = 2
    while f"{name} ({k})" in taken:
        k += 1
    return f"{name} ({k})"


def next_preset(festival: str, first: pd.Timestamp, lang: str) -> sc.Scenario | None:
    """The next ``festival`` preset whose window ends on or after ``first``."""
    for year in (first.year, first.year + 1):
        for s in sc.presets(year, lang, festivals=[festival]):
            if pd.Timestamp(s.end) >= first:
                return s
    return None


def default_scenarios(first: pd.Timestamp, lang: str) -> list[sc.Scenario]:
    """The first festival coming up after ``first`` (a starting point to edit)."""
    found = [p for f in sc.PRESET_FESTIVALS if (p := next_preset(f, first, lang)) is not None]
    return sorted(found, key=lambda s: s.end)[:1]


def renamed(scenario: sc.Scenario, new_discount: float | None) -> str:
    """The name with its discount label updated ("618 · 7.5折" -> "618 · 6.5折")."""
    old = scenario.discount
    if old is None or new_discount is None or old == new_discount:
        return scenario.name
    for lang in ("zh", "en"):
        label = sc.discount_label(old, lang)
        if label in scenario.name:
            return scenario.name.replace(label, sc.discount_label(new_discount, lang))
    return scenario.name


def update(scenarios: list[sc.Scenario], index: int, **changes: Any) -> list[sc.Scenario]:
    """A copy of ``scenarios`` with ``changes`` applied to one (validated, renamed)."""
    out = list(scenarios)
    s = out[index]
    if "discount" in changes:
        taken = {x.name for i, x in enumerate(out) if i != index}
        name = renamed(s, changes["discount"])
        if name != s.name:  # a copy's " (2)" is not needed once its label differs
            name = _unique_name(re.sub(r" \(\d+\)$", "", name), taken)
        changes.setdefault("name", _unique_name(name, taken))
    out[index] = dataclasses.replace(s, **changes)
    return out


# -------------------------------------------------------------- the editor
def editor(setup: Setup, lang: str) -> list[sc.Scenario]:
    """Presets, the sliders of one scenario, the table of all, JSON in and out.

    Returns:
        The current valid scenarios (at most four).
    """
    if st.session_state.get("sc_scenarios") is None:
        st.session_state["sc_scenarios"] = default_scenarios(setup.first, lang)
    scenarios = _scenarios()
    msg = st.session_state.pop("sc_msg", None)
    st.subheader(t("sc.define", lang))
    with st.container(border=True):
        _toolbar(setup, scenarios, lang)
        if scenarios:
            _controls(setup, scenarios, lang)
        else:
            st.info(t("sc.empty", lang), icon=":material/info:")
    if msg is not None:
        kind, key, params = msg
        show = {"error": st.error, "warning": st.warning}.get(kind, st.success)
        show(t(key, lang, **params))
    _table(setup, lang)
    _json_io(lang)
    return _scenarios()


def _toolbar(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> None:
    names = [s.name for s in scenarios]
    # The names are in the key: Streamlit keeps a selectbox's value as its label, and a
    # renamed option ("618 · 7.5折" -> "618 · 6.5折") must not be read back as a stale label.
    key = f"sc_w_sel_{st.session_state['sc_rev']}_{_digest(names)}"
    cols = st.columns([2.2, 1, 1, 1, 1.2, 1], vertical_alignment="bottom")
    if scenarios:
        cols[0].selectbox(
            t("sc.editing", lang),
            names,
            index=min(st.session_state["sc_selected"], len(scenarios) - 1),
            key=key,
            on_change=_on_select,
            args=(key, tuple(names)),
        )
    else:
        cols[0].markdown(f"**{t('sc.editing', lang)}** —")
    from forecasting.data.festivals import festival_label

    for col, fest in zip(cols[1:4], sc.PRESET_FESTIVALS, strict=True):
        col.button(
            festival_label(fest, lang),
            key=f"sc_preset_{fest}",
            width="stretch",
            help=t("sc.preset_help", lang),
            icon=":material/celebration:",
            on_click=_on_preset,
            args=(fest, setup.first, lang),
        )
    cols[4].button(
        t("sc.duplicate", lang),
        key="sc_duplicate",
        width="stretch",
        icon=":material/content_copy:",
        on_click=_on_duplicate,
        args=(lang,),
        disabled=not scenarios or len(scenarios) >= MAX_SCENARIOS,
        help=t("sc.duplicate_help", lang, n=MAX_SCENARIOS),
    )
    cols[5].button(
        t("sc.remove", lang),
        key="sc_remove",
        width="stretch",
        icon=":material/delete:",
        on_click=_on_remove,
        disabled=not scenarios,
    )


@_safe
def _on_select(key: str, names: tuple[str, ...]) -> None:
    value = st.session_state.get(key)
    if value in names:
        st.session_state["sc_selected"] = names.index(value)
        st.session_state["sc_rev"] += 1


def _digest(items: Any) -> str:
    import hashlib

    return hashlib.sha1(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:8]


@_safe
def _on_preset(festival: str, first: pd.Timestamp, lang: str) -> None:
    preset = next_preset(festival, first, lang)
    if preset is None:
        return
    scenarios = _scenarios()
    i = int(st.session_state.get("sc_selected") or 0)
    if not scenarios:
        scenarios, i = [preset], 0
    else:
        i = min(i, len(scenarios) - 1)
        taken = {s.name for k, s in enumerate(scenarios) if k != i}
        scenarios[i] = dataclasses.replace(preset, name=_unique_name(preset.name, taken))
    st.session_state["sc_selected"] = i
    _store(scenarios)


@_safe
def _on_duplicate(lang: str) -> None:
    scenarios = _scenarios()
    if not scenarios or len(scenarios) >= MAX_SCENARIOS:
        return
    i = min(int(st.session_state.get("sc_selected") or 0), len(scenarios) - 1)
    src = scenarios[i]
    copy = dataclasses.replace(src, name=_unique_name(src.name, {s.name for s in scenarios}))
    scenarios.insert(i + 1, copy)
    st.session_state["sc_selected"] = i + 1
    _store(scenarios)


@_safe
def _on_remove() -> None:
    scenarios = _scenarios()
    if scenarios:
        i = min(int(st.session_state.get("sc_selected") or 0), len(scenarios) - 1)
        scenarios.pop(i)
        st.session_state["sc_selected"] = max(0, i - 1)
        _store(scenarios)


def _controls(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> None:
    """Sliders, toggle and date range of the scenario being edited."""
    i = min(st.session_state["sc_selected"], len(scenarios) - 1)
    s = scenarios[i]
    rev = st.session_state["sc_rev"]

    def key(f: str) -> str:
        return f"sc_w_{f}_{rev}"

    def bind(f: str) -> dict[str, Any]:
        return {"key": key(f), "on_change": _on_field, "args": (f, key(f), i)}

    options = target_options(setup, lang, scenarios)
    labels = list(options)
    current = next((lb for lb, v in options.items() if v == _target_key(s)), labels[0])
    c1, c2, c3 = st.columns([1.3, 1.6, 1.1])
    c1.selectbox(
        t("sc.target", lang),
        labels,
        index=labels.index(current),
        help=t("sc.target_help", lang),
        **bind("target"),
    )
    st.session_state["_sc_targets"] = options
    lo = min(setup.first - pd.Timedelta(days=120), pd.Timestamp(s.start))
    hi = max(setup.first + pd.Timedelta(days=800), pd.Timestamp(s.end))
    c2.date_input(
        t("sc.window", lang),
        value=(s.start, s.end),
        min_value=lo.date(),
        max_value=hi.date(),
        format="YYYY-MM-DD",
        help=t("sc.window_help", lang),
        **bind("window"),
    )
    c3.slider(
        t("sc.presale", lang),
        0,
        30,
        int(min(s.presale_days, 30)),
        help=t("sc.presale_help", lang),
        **bind("presale_days"),
    )
    d1, d2, d3 = st.columns([1.6, 0.8, 1.6], vertical_alignment="center")
    disc = 0 if s.discount is None else int(round(s.discount * 100))
    d1.slider(
        t("sc.discount", lang),
        0,
        80,
        min(disc, 80),
        format="%d%%",
        help=t("sc.discount_help", lang, label=sc.discount_label(disc / 100, lang)),
        **bind("discount"),
    )
    d2.toggle(
        t("sc.promo", lang), value=bool(s.promo), help=t("sc.promo_help", lang), **bind("promo")
    )
    d3.slider(
        t("sc.price", lang),
        -50,
        50,
        int(round(s.price_change * 100)),
        format="%+d%%",
        help=t("sc.price_help", lang),
        **bind("price_change"),
    )
    e1, e2, e3 = st.columns([1.6, 1.6, 0.8], vertical_alignment="center")
    e1.slider(
        t("sc.traffic", lang),
        0.5,
        3.0,
        float(min(max(s.traffic_multiplier, 0.5), 3.0)),
        step=0.05,
        format="×%.2f",
        help=t("sc.traffic_help", lang),
        **bind("traffic"),
    )
    e2.slider(
        t("sc.manual", lang),
        -50,
        100,
        int(round(min(max(s.manual_adjustment, -0.5), 1.0) * 100)),
        format="%+d%%",
        help=t("sc.manual_help", lang),
        **bind("manual"),
    )
    if s.discount is None:
        e3.caption(t("sc.discount_plan", lang))
    else:
        e3.markdown(f"**{html.escape(sc.discount_label(s.discount, lang))}**")


@_safe
def _on_field(fld: str, key: str, index: int) -> None:
    """A control changed: apply it to scenario ``index`` (the table follows)."""
    value = st.session_state.get(key)
    scenarios = _scenarios()
    if index >= len(scenarios):
        return
    changes: dict[str, Any]
    if fld == "discount":
        changes = {"discount": round(float(value) / 100, 4)}
    elif fld == "promo":
        changes = {"promo": bool(value)}
    elif fld == "presale_days":
        changes = {"presale_days": int(value)}
    elif fld == "price_change":
        changes = {"price_change": round(float(value) / 100, 4)}
    elif fld == "traffic":
        changes = {"traffic_multiplier": round(float(value), 4)}
    elif fld == "manual":
        changes = {"manual_adjustment": round(float(value) / 100, 4)}
    elif fld == "window":
        if not isinstance(value, tuple | list) or len(value) != 2:
            return  # the second date is not picked yet
        changes = {"start": value[0], "end": value[1]}
    elif fld == "target":
        options = st.session_state.get("_sc_targets") or {}
        level, series = options.get(value, (None, None))
        changes = {"level": level, "series": list(series) if series else None}
    else:
        return
    try:
        _store(update(scenarios, index, **changes), controls=fld == "target")
    except ShopcastError as exc:
        st.session_state["sc_msg"] = ("error", f"error.{exc.key}", exc.params)


# --------------------------------------------------------------- the table
_COLUMNS = (
    "name",
    "target",
    "start",
    "end",
    "presale_days",
    "discount",
    "promo",
    "price_change",
    "traffic_multiplier",
    "manual_adjustment",
    "note",
)


def editor_frame(
    scenarios: list[sc.Scenario], options: dict[str, tuple], lang: str
) -> pd.DataFrame:
    """The scenarios as the table shows them: percentages in points, labels for targets."""
    labels = {v: k for k, v in options.items()}
    rows = []
    for s in scenarios:
        rows.append(
            {
                "name": s.name,
                "target": labels.get(_target_key(s), next(iter(options))),
                "start": s.start,
                "end": s.end,
                "presale_days": int(s.presale_days),
                "discount": None if s.discount is None else round(s.discount * 100, 2),
                "promo": t(
                    f"sc.promo.{'plan' if s.promo is None else 'on' if s.promo else 'off'}", lang
                ),
                "price_change": round(s.price_change * 100, 2),
                "traffic_multiplier": s.traffic_multiplier,
                "manual_adjustment": round(s.manual_adjustment * 100, 2),
                "note": s.note,
            }
        )
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    for c in ("discount", "price_change", "traffic_multiplier", "manual_adjustment"):
        frame[c] = frame[c].astype(float)
    frame["presale_days"] = frame["presale_days"].astype("Int64")
    return frame


def scenarios_from_editor(
    frame: pd.DataFrame, options: dict[str, tuple], lang: str, first: pd.Timestamp
) -> list[sc.Scenario]:
    """The edited table back to scenarios (inverse of :func:`editor_frame`).

    Blank rows are skipped; a new row gets a name and the first forecast week when
    those cells are empty, so it is valid as soon as it is added.

    Raises:
        ShopcastError: a bad cell (naming the row), duplicate names, more than four.
    """
    promo = {t(f"sc.promo.{k}", lang): {"on": True, "off": False, "plan": None}[k] for k in _PROMO}
    out: list[sc.Scenario] = []
    records = [
        {k: (None if sc.is_blank(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]
    taken = {str(r["name"]).strip() for r in records if r.get("name") is not None}
    for i, vals in enumerate(records):
        if all(vals.get(k) is None for k in _COLUMNS):
            continue
        if vals.get("name") is None:  # a row just added: give it a free name
            vals["name"] = _unique_name(t("sc.new_name", lang, n=len(out) + 1), taken)
            taken.add(vals["name"])
        where = t("sc.table.row", lang, row=i + 1)
        level, series = (
            options.get(vals.get("target"), (None, None))
            if vals.get("target") is not None
            else (None, None)
        )
        start = vals.get("start") or first.date()
        end = vals.get("end") or max(pd.Timestamp(start), first + pd.Timedelta(days=6)).date()
        kwargs = {
            "name": vals["name"],
            "start": _cell_date(start),
            "end": _cell_date(end),
            "level": level,
            "series": list(series) if series else None,
            "discount": None if vals.get("discount") is None else _num(vals["discount"]) / 100,
            "promo": promo.get(vals.get("promo"), None),
            "presale_days": _num(vals.get("presale_days") or 0),
            "price_change": _num(vals.get("price_change") or 0) / 100,
            "traffic_multiplier": _num(
                1 if vals.get("traffic_multiplier") is None else vals["traffic_multiplier"]
            ),
            "manual_adjustment": _num(vals.get("manual_adjustment") or 0) / 100,
            "note": str(vals.get("note") or ""),
        }
        if float(kwargs["presale_days"]).is_integer():
            kwargs["presale_days"] = int(kwargs["presale_days"])
        try:
            out.append(sc.Scenario(**kwargs))
        except ShopcastError as exc:
            params = {**exc.params, "where": where} if "where" in exc.params else exc.params
            raise ShopcastError(exc.key, **params) from None
    seen: set[str] = set()
    for s in out:
        if s.name in seen:
            raise ShopcastError("scenario_duplicate_name", file=t("sc.table", lang), name=s.name)
        seen.add(s.name)
    if len(out) > MAX_SCENARIOS:
        raise ShopcastError("sc_too_many", n=len(out), max=MAX_SCENARIOS)
    return out


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")  # Scenario names the field and the value


def _cell_date(v: Any) -> Any:
    if isinstance(v, str) and "T" in v:  # the editor sends ISO date-times for date cells
        return v.split("T", 1)[0]
    return v


def apply_delta(base: pd.DataFrame, delta: dict) -> pd.DataFrame:
    """The table after an ``st.data_editor`` change set (edited, added, deleted rows)."""
    frame = base.copy().astype(object)
    for idx, changes in (delta.get("edited_rows") or {}).items():
        for col, value in changes.items():
            if col in frame.columns:
                frame.at[int(idx), col] = value
    deleted = [int(i) for i in delta.get("deleted_rows") or []]
    frame = frame.drop(index=[i for i in deleted if i in frame.index])
    added = [dict(r) for r in delta.get("added_rows") or []]
    if added:
        frame = pd.concat([frame, pd.DataFrame(added, columns=frame.columns)], ignore_index=True)
    return frame.reset_index(drop=True)


def _table(setup: Setup, lang: str) -> None:
    scenarios = _scenarios()
    options = target_options(setup, lang, scenarios)
    base = editor_frame(scenarios, options, lang)
    key = f"sc_table_{st.session_state['sc_table_rev']}"
    st.session_state["_sc_table_ctx"] = (base, options, lang, setup.first)
    cc = st.column_config
    promo_labels = [t(f"sc.promo.{k}", lang) for k in _PROMO]
    st.markdown(f"**{t('sc.table', lang)}**")
    st.caption(t("sc.table_help", lang, n=MAX_SCENARIOS))
    st.data_editor(
        base,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        on_change=_on_table,
        args=(key,),
        column_config={
            "name": cc.TextColumn(t("sc.col.name", lang), required=True, width="medium"),
            "target": cc.SelectboxColumn(
                t("sc.col.target", lang), options=list(options), width="medium"
            ),
            "start": cc.DateColumn(t("sc.col.start", lang), format="YYYY-MM-DD"),
            "end": cc.DateColumn(t("sc.col.end", lang), format="YYYY-MM-DD"),
            "presale_days": cc.NumberColumn(
                t("sc.col.presale", lang), min_value=0, max_value=90, step=1
            ),
            "discount": cc.NumberColumn(
                t("sc.col.discount", lang),
                min_value=0,
                max_value=95,
                step=1,
                format="%.0f%%",
                help=t("sc.col.discount_help", lang),
            ),
            "promo": cc.SelectboxColumn(t("sc.col.promo", lang), options=promo_labels),
            "price_change": cc.NumberColumn(
                t("sc.col.price", lang), min_value=-90, max_value=500, step=1, format="%+.0f%%"
            ),
            "traffic_multiplier": cc.NumberColumn(
                t("sc.col.traffic", lang), min_value=0.1, max_value=10, step=0.05, format="×%.2f"
            ),
            "manual_adjustment": cc.NumberColumn(
                t("sc.col.manual", lang), min_value=-90, max_value=1000, step=1, format="%+.0f%%"
            ),
            "note": cc.TextColumn(t("sc.col.note", lang), width="medium"),
        },
    )
    err = st.session_state.get("sc_table_error")
    if err is not None:
        st.error(t(f"error.{err[0]}", lang, **err[1]), icon=":material/error:")


@_safe
def _on_table(key: str) -> None:
    base, options, lang, first = st.session_state["_sc_table_ctx"]
    delta = st.session_state.get(key) or {}
    try:
        scenarios = scenarios_from_editor(apply_delta(base, delta), options, lang, first)
        if not delta.get("deleted_rows"):  # rows still line up: names follow new discounts
            scenarios = follow_discounts(_scenarios(), scenarios)
    except ShopcastError as exc:  # keep the user's input on screen and the last valid scenarios
        st.session_state["sc_table_error"] = (exc.key, exc.params)
        return
    _store(scenarios)


def follow_discounts(old: list[sc.Scenario], new: list[sc.Scenario]) -> list[sc.Scenario]:
    """Rename rows whose discount changed but whose name did not ("7.5折" -> "8.5折")."""
    out = list(new)
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a.name == b.name and a.discount != b.discount:
            out = update(
                out[:i] + [dataclasses.replace(b, discount=a.discount)] + out[i + 1 :],
                i,
                discount=b.discount,
            )
    return out


# ---------------------------------------------------------------- JSON in/out
def uploader_hints(lang: str) -> None:
    """Say what this page's uploaders take (the app-wide hint names the sales formats)."""
    css = "".join(
        f'.st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] > div::after'
        f'{{content: "{t(hint, lang)}";}}'
        for key, hint in (("sc_upload", "sc.upload_hint"), ("sc_stock_upload", "sc.stock_hint"))
    )
    st.html(f"<style>{css}</style>")


def _json_io(lang: str) -> None:
    scenarios = _scenarios()
    uploader_hints(lang)
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    c1.download_button(
        t("sc.download_json", lang),
        data=sc.save_scenarios(scenarios) if scenarios else "[]",
        file_name="shopcast_scenarios.json",
        mime="application/json",
        icon=":material/download:",
        on_click="ignore",
        key="sc_dl_json",
        disabled=not scenarios,
        width="stretch",
    )
    c2.file_uploader(
        t("sc.upload_json", lang),
        type=["json"],
        key="sc_upload",
        on_change=_on_upload,
        args=(lang,),
        help=t("sc.upload_help", lang),
    )


@_safe
def _on_upload(lang: str) -> None:
    uploaded = st.session_state.get("sc_upload")
    if uploaded is None:
        return
    try:
        loaded = sc.load_scenarios(uploaded.getvalue(), name=uploaded.name)
    except ShopcastError as exc:
        st.session_state["sc_msg"] = ("error", f"error.{exc.key}", exc.params)
        return
    kept = loaded[:MAX_SCENARIOS]
    st.session_state["sc_selected"] = 0
    _store(kept)
    if len(loaded) > len(kept):
        st.session_state["sc_msg"] = (
            "warning",
            "sc.upload_truncated",
            {"file": uploaded.name, "n": len(loaded), "max": MAX_SCENARIOS},
        )
    else:
        st.session_state["sc_msg"] = (
            "success",
            "sc.upload_ok",
            {"file": uploaded.name, "n": len(kept)},
        )


# ============================================================== comparison
@dataclass
class Comparison:
    """Baseline + scenarios, their KPIs and warnings (what the page draws)."""

    forecast: pd.DataFrame
    futures: dict[str, pd.DataFrame]
    scenarios: list[sc.Scenario]
    kpis: pd.DataFrame
    warnings: list[sc.ScenarioWarning]
    errors: list[tuple[str, str, dict]] = field(default_factory=list)  # (name, key, params)
    h: int = 0
    by: str | None = None
    seconds: float = 0.0


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


def compare(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> Comparison:
    """The one cached call of the page: baseline and scenario forecasts, KPIs, warnings.

    A failure keeps the last good comparison on screen (with the error above it).
    """
    by_opts = breakdown_options(setup)
    by = state.get("sc_by") if state.get("sc_by") in by_opts else (by_opts[0] if by_opts else None)
    h = horizon(setup, scenarios)
    t0 = time.perf_counter()
    slow = h != setup.h_trained and h not in (getattr(setup.model, "calibration_", {}) or {})
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
                _setup=setup,
                _scenarios=scenarios,
            )
    except Exception as exc:  # noqa: BLE001 - keep the last good results on screen
        last = st.session_state.get("sc_last")
        if last is None or last[0] != setup.keys:  # nothing of this model to fall back on
            raise
        if isinstance(exc, ShopcastError):
            st.error(exc.message(lang), icon=":material/error:")
        else:
            from forecasting.ui.bootstrap import short_error

            log.exception("scenario comparison failed")
            st.error(t("ui.error.unexpected", lang), icon=":material/error:")
            st.caption(t("ui.error.detail", lang, detail=short_error(exc)))
        st.caption(t("sc.showing_last", lang))
        return last[1]
    comp.seconds = time.perf_counter() - t0
    st.session_state["sc_last"] = (setup.keys, comp)
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
    _setup: Setup,
    _scenarios: list[sc.Scenario],
) -> Comparison:
    s = _setup
    base = _base_plan(data_key, name, model_key, plan_key, h, _model=s.model, _plan=s.plan)
    baseline = _forecast(
        data_key,
        name,
        model_key,
        plan_key,
        hier_key,
        levels,
        h,
        "",
        _setup=s,
        _base=base,
        _scenario=None,
        _baseline=None,
    )
    parts, ok, errors = [baseline], [], []
    for scn in _scenarios:
        try:
            fc = _forecast(
                data_key,
                name,
                model_key,
                plan_key,
                hier_key,
                levels,
                h,
                effect_key(scn),
                _setup=s,
                _base=base,
                _scenario=scn,
                _baseline=baseline,
            )
        except ShopcastError as exc:  # one bad target must not hide the other scenarios
            errors.append((scn.name, exc.key, dict(exc.params)))
            continue
        fc[SCENARIO] = scn.name
        parts.append(fc)
        ok.append(scn)
    forecast = pd.concat(parts, ignore_index=True)
    futures = sc.scenario_futures(base, ok, s.hierarchy)
    table = sc.kpis(
        forecast, futures, s.alias, ok, by=by or None, hierarchy=s.hierarchy, post_days=POST_DAYS
    )
    warnings = []
    for scn in _scenarios:
        warnings += _warnings(
            data_key,
            name,
            model_key,
            plan_key,
            hier_key,
            h,
            scn.key,
            _setup=s,
            _base=base,
            _scenario=scn,
        )
    return Comparison(forecast, futures, ok, table, warnings, errors, h, by or None)


def effect_key(scenario: sc.Scenario) -> str:
    """The scenario's definition without name and note: what changes its forecast."""
    d = scenario.to_dict()
    d.pop("name")
    d.pop("note")
    return json.dumps(d, sort_keys=True, ensure_ascii=False)


@st.cache_data(show_spinner=False, max_entries=32)
def _base_plan(
    data_key: str,
    name: str,
    model_key: str,
    plan_key: str,
    h: int,
    _model: Forecaster,
    _plan: pd.DataFrame | None,
) -> pd.DataFrame:
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
    model = _setup.model
    # The shared model memoises band calibration per horizon: serialise with the other pages.
    with cache.PREDICT_LOCK:
        before = set(getattr(model, "calibration_", {}) or {})
        fc = sc.predict_scenario(
            model, _base, _scenario, h, list(levels), _setup.hierarchy, _baseline
        )
        if set(getattr(model, "calibration_", {}) or {}) - before:
            _persist(_setup)
    return fc


def _persist(setup: Setup) -> None:
    """Store the model with its new calibration, so a restart does not redo it."""
    from forecasting.engine import forecast as pipeline

    try:
        store = cache.model_store()
        key = pipeline.store_key(setup.result.data_key, setup.name, setup.result.config)
        meta = store.read_meta(key) or {}
        if meta:
            extra = {k: meta[k] for k in ("data_key", "fit_seconds", "freq") if k in meta}
            store.save(key, setup.model, extra)
    except Exception:  # noqa: BLE001 - a cache write must never break the page
        pass


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
    return sc.range_warnings(_setup.model.train_, _scenario, _base, _setup.hierarchy, _setup.model)


# ================================================================ sections
def chart_controls(
    setup: Setup, comp: Comparison, lang: str
) -> tuple[list[str] | None, str, float | None]:
    """Which series the chart adds up, and which band it shades.

    Returns:
        ``(ids or None for all, target label, band level or None)``.
    """
    options = target_options(setup, lang)
    labels = list(options)
    if state.get("sc_view") not in labels:
        state.reseed("sc_view", labels[0])
    levels = [lv for lv in setup.levels if lv in (50, 80, 90, 95, 99)] or list(setup.levels)
    if state.get("sc_band") not in levels:
        state.reseed("sc_band", 80 if 80 in levels else levels[0])
    c1, c2, c3 = st.columns([2, 1, 2], vertical_alignment="bottom")
    c1.selectbox(t("sc.view", lang), labels, disabled=len(labels) == 1, **state.bind("sc_view"))
    c2.selectbox(t("sc.band", lang), levels, format_func=lambda v: f"{v}%", **state.bind("sc_band"))
    c3.caption(
        t(
            "sc.timing",
            lang,
            s=f"{comp.seconds:.2f}",
            h=comp.h,
            unit=t(f"unit.{actions.base_freq(setup.freq)}", lang),
        )
    )
    label = state.get("sc_view")
    level, series = options[label]
    if series is None:
        return None, label, state.get("sc_band")
    probe = sc.Scenario(
        name="view", start=setup.first, end=setup.first, level=level, series=list(series)
    )
    ids = sc.target_ids(probe, setup.ids, setup.hierarchy)
    return ids, label, state.get("sc_band")


def problems(comp: Comparison, lang: str) -> None:
    """Scenarios that could not be computed, then the range warnings and assumptions."""
    for name, key, params in comp.errors:
        st.error(
            f"**{html.escape(name)}**: {t(f'error.{key}', lang, **params)}", icon=":material/error:"
        )
    failed = {name for name, _, _ in comp.errors}
    warn = [
        w
        for w in comp.warnings
        if w.severity == "warning"
        and not (w.key == "bad_target" and w.params.get("name") in failed)
    ]
    info = [w for w in comp.warnings if w.severity != "warning"]
    if warn:
        st.warning("\n".join(f"- {w.message(lang)}" for w in warn), icon=":material/warning:")
    if info:
        st.info("\n".join(f"- {w.message(lang)}" for w in info), icon=":material/lightbulb:")


def kpi_section(setup: Setup, comp: Comparison, lang: str) -> pd.DataFrame:
    """Headline metrics per scenario, the breakdown choice and the KPI table.

    Returns:
        The KPI table as shown (translated), for the Excel download.
    """
    st.subheader(t("sc.kpis", lang))
    totals = comp.kpis[comp.kpis["level"] == "total"].reset_index(drop=True)
    cols = st.columns(max(1, len(totals)))
    for i, (col, row) in enumerate(zip(cols, totals.itertuples(index=False), strict=False)):
        name = row.scenario
        label = t("scenario.baseline", lang) if name == sc.BASELINE else str(name)
        base = name == sc.BASELINE
        with col.container(border=True, key=f"sc_kpi_card_{i}"):
            st.metric(
                t("sc.metric.units", lang, name=label),
                f"{row.units:,.0f}",
                None if base else f"{row.incr_units:+,.0f} ({row.incr_units_pct:+.1f}%)",
            )
            if np.isfinite(row.gmv):
                st.metric(
                    t("sc.metric.gmv", lang),
                    f"¥{row.gmv:,.0f}",
                    None
                    if base or not np.isfinite(row.incr_gmv_pct)
                    else f"{row.incr_gmv_pct:+.1f}%",
                )
            if not base and np.isfinite(row.post_incr_units) and row.post_incr_units < 0:
                st.caption(
                    t(
                        "sc.metric.dip",
                        lang,
                        units=f"{row.post_incr_units:,.0f}",
                        pct=f"{row.post_incr_pct:.1f}",
                    )
                )
    by_opts = breakdown_options(setup)
    if by_opts:
        if state.get("sc_by") not in by_opts:
            state.reseed("sc_by", comp.by or by_opts[0])
        st.selectbox(
            t("sc.by", lang),
            by_opts,
            format_func=lambda b: t("sc.by.series", lang) if b == "series" else b,
            **state.bind("sc_by"),
        )
    shown = kpi_table(comp.kpis, lang)
    right = st.column_config.TextColumn(alignment="right")
    config: dict[str, Any] = {c: right for c in shown.columns[2:]}
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=config,
        height=min(420, 38 + 35 * len(shown)),
    )
    st.caption(t("sc.kpi_note", lang, days=POST_DAYS))
    return shown


_KPI_FORMATS = {
    **dict.fromkeys(("units", "window_units", "post_units", "peak_units"), "{:,.0f}"),
    **dict.fromkeys(("incr_units", "window_incr_units", "post_incr_units", "incr_gmv"), "{:+,.0f}"),
    **dict.fromkeys(
        ("incr_units_pct", "incr_gmv_pct", "window_incr_pct", "post_incr_pct"), "{:+.1f}%"
    ),
    "gmv": "¥{:,.0f}",
}


def kpi_table(kpis: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The KPI table for display: translated headers, names and formatted numbers.

    Numbers become text ("+12.3%", "¥1,234"), so a cell without a value (the
    baseline has no campaign window) reads "—" instead of "None".
    """
    cols = [
        "scenario",
        "group",
        "units",
        "incr_units",
        "incr_units_pct",
        "gmv",
        "incr_gmv",
        "incr_gmv_pct",
        "window_units",
        "window_incr_units",
        "window_incr_pct",
        "post_units",
        "post_incr_units",
        "post_incr_pct",
        "peak_day",
        "peak_units",
    ]
    out = kpis[cols].copy()
    out["scenario"] = [
        t("scenario.baseline", lang) if s == sc.BASELINE else s for s in out["scenario"]
    ]
    out["group"] = [
        t("sc.total", lang) if g == "total" else series_label(g, lang) for g in out["group"]
    ]
    out["peak_day"] = [
        x.date().isoformat() if pd.notna(x) else "—" for x in pd.to_datetime(out["peak_day"])
    ]
    for c, spec in _KPI_FORMATS.items():
        out[c] = [spec.format(v) if np.isfinite(v) else "—" for v in out[c].astype(float)]
    return out.rename(columns=sc.kpi_labels(lang))


# -------------------------------------------------------------- response
def response_section(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> None:
    """The festival lift seen in history and the discount response the model learned."""
    from forecasting.charts.scenarios import response_figure

    with st.expander(t("sc.resp.section", lang), expanded=True):
        note = festival_note(setup, scenarios, lang)
        if note:
            st.markdown(note)
        r = response(setup, scenarios, lang)
        if r is not None:
            st.markdown(response_text(r, lang))
            st.plotly_chart(response_figure(r, lang), key="sc_resp_chart", **_PLOT)
            st.caption(t("scenario.response.method", lang))


def response(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> pd.DataFrame | None:
    """The discount response the model learned, in the edited scenario's window (cached).

    Returns:
        ``scenarios.estimate_response`` output, or None when it cannot be measured.
    """
    train = setup.model.train_
    if sc.DISCOUNT not in train.columns:
        st.caption(t("sc.resp.no_driver", lang))
        return None
    i = min(st.session_state.get("sc_selected") or 0, max(len(scenarios) - 1, 0))
    s = scenarios[i] if scenarios else None
    last = setup.first + pd.Timedelta(days=400)
    a, b = s.window if s is not None else (setup.first, setup.first + pd.Timedelta(days=6))
    a, b = max(a, setup.first), min(b, last)
    if b < a:
        st.caption(t("sc.resp.outside", lang))
        return None
    try:
        ids = sc.target_ids(s, setup.ids, setup.hierarchy) if s is not None else setup.ids
    except ShopcastError:
        return None  # the warnings above already name the bad target
    h = len(pd.date_range(setup.first, b, freq=setup.freq))
    with st.spinner(t("sc.resp.computing", lang)):
        r = _response(*setup.keys, h, a.isoformat(), b.isoformat(), tuple(ids), _setup=setup)
    return r


@st.cache_data(show_spinner=False, max_entries=64)
def _response(
    data_key: str,
    name: str,
    model_key: str,
    plan_key: str,
    hier_key: str,
    levels: tuple,
    h: int,
    start: str,
    end: str,
    ids: tuple,
    _setup: Setup,
) -> pd.DataFrame:
    base = _base_plan(
        data_key, name, model_key, plan_key, h, _model=_setup.model, _plan=_setup.plan
    )
    with cache.PREDICT_LOCK:
        return sc.estimate_response(
            _setup.model, base, sc.DISCOUNT, RESPONSE_VALUES, window=(start, end), series=list(ids)
        )


def response_text(r: pd.DataFrame, lang: str) -> str:
    """One sentence: uplift per 10 points of discount with its interval."""
    inside = r[r["in_history"]]
    row = (inside if len(inside) else r).iloc[-1]
    step = float(row["value"] - row["reference"])
    per10 = row["per_10pts_pct"]

    def per(x: float) -> float:
        return (
            100 * ((1 + x / 100) ** (0.1 / step) - 1)
            if np.isfinite(x) and x > -100
            else float("nan")
        )

    lo, hi = per(row["ci_low_pct"]), per(row["ci_high_pct"])
    ci = (
        t("sc.resp.ci", lang, lo=f"{lo:+.1f}", hi=f"{hi:+.1f}")
        if np.isfinite(lo) and np.isfinite(hi)
        else ""
    )

    def pct(x: float, spec: str) -> str:
        return format(x, spec) if np.isfinite(x) else "—"

    text = t(
        "sc.resp.headline",
        lang,
        value=f"{row['value'] * 100:.0f}",
        uplift=pct(row["uplift_pct"], "+.0f"),
        per10=pct(per10, "+.1f"),
        ci=ci,
    )
    if str(row.get("linked") or "").startswith(f"{sc.PROMO}=1"):
        text += ("" if lang == "zh" else " ") + t("sc.resp.linked", lang)
    return text


def festival_note(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> str | None:
    """The lift observed in history for the festival of the edited preset, if any."""
    i = min(st.session_state.get("sc_selected") or 0, max(len(scenarios) - 1, 0))
    if not scenarios or not scenarios[i].note.startswith("preset:"):
        return None
    fest = scenarios[i].note.split(":")[1]
    lifts = _festival_lift(setup.result.data_key, _history=setup.model.train_)
    row = lifts[(lifts["festival"] == fest) & (lifts["year"] == "mean")]
    if row.empty:
        return None
    from forecasting.data.festivals import festival_label

    years = int((lifts["festival"] == fest).sum() - 1)
    return t(
        "sc.festival_lift",
        lang,
        festival=festival_label(fest, lang),
        lift=f"{float(row['lift'].iloc[0]):.2f}",
        years=years,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _festival_lift(data_key: str, _history: pd.DataFrame) -> pd.DataFrame:
    return sc.festival_lift(_history)


# -------------------------------------------------------------- inventory
def inventory_section(setup: Setup, comp: Comparison, lang: str) -> pd.DataFrame | None:
    """Lead time, service level, stock on hand (typed or uploaded) -> the stock plan.

    Returns:
        The plan as shown (translated), or None when it cannot be computed.
    """
    from forecasting.planning import inventory

    st.subheader(t("sc.inventory", lang))
    st.caption(t("sc.inventory_help", lang))
    fc = comp.forecast
    first, last = pd.Timestamp(fc[DS].min()), pd.Timestamp(fc[DS].max())
    start, lead = cover_defaults(comp, setup.freq)
    chosen = state.get("sc_cover_from")
    if chosen is not None and not first <= pd.Timestamp(chosen) <= last:
        state.reseed("sc_cover_from", None)  # back to following the edited scenario
    unit = t(f"unit.{actions.base_freq(setup.freq)}", lang)
    c1, c2, c3, c4 = st.columns(4)
    c1.date_input(
        t("sc.cover_from", lang),
        min_value=first.date(),
        max_value=last.date(),
        format="YYYY-MM-DD",
        help=t("sc.cover_from_help", lang),
        **state.bind("sc_cover_from", default=start.date()),
    )
    c2.number_input(
        t("sc.lead", lang, unit=unit),
        min_value=1,
        max_value=400,
        step=1,
        help=t("sc.lead_help", lang),
        **state.bind("sc_lead", default=lead),
    )
    c3.number_input(
        t("sc.review", lang, unit=unit),
        min_value=0,
        max_value=400,
        step=1,
        help=t("sc.review_help", lang),
        **state.bind("sc_review"),
    )
    c4.slider(
        t("sc.service", lang),
        80,
        99,
        format="%d%%",
        help=t("sc.service_help", lang),
        **state.bind("sc_service"),
    )
    stock = _stock_inputs(setup, lang)
    try:
        plan = inventory.inventory_plan(
            fc,
            setup.alias,
            int(state.get("sc_lead") or lead),
            float(state.get("sc_service")) / 100,
            current_stock=stock or None,
            review_period=int(state.get("sc_review") or 0),
            start=pd.Timestamp(state.get("sc_cover_from") or start),
        )
    except ShopcastError as exc:
        st.error(exc.message(lang), icon=":material/error:")
        return None
    shown = inventory_table(plan, lang, with_stock=bool(stock))
    labels = inventory.inventory_labels(lang)
    fmt = st.column_config
    config: dict[str, Any] = {
        labels[c]: fmt.NumberColumn(format="%,.0f")
        for c in (
            "demand_mean",
            "demand_q",
            "safety_stock",
            "current_stock",
            "expected_shortfall",
            "reorder_qty",
        )
    }
    config[labels["stockout_risk"]] = fmt.ProgressColumn(
        format="%.0f%%", min_value=0, max_value=100
    )
    config[labels["periods_of_cover"]] = fmt.NumberColumn(format="%.1f")
    config[labels["start"]] = fmt.DateColumn(format="YYYY-MM-DD")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config=config,
        height=min(420, 38 + 35 * len(shown)),
    )
    st.caption(t("sc.inventory_note", lang, rho=f"{inventory.DEFAULT_RHO:g}"))
    return plan


def cover_defaults(comp: Comparison, freq: str) -> tuple[pd.Timestamp, int]:
    """Where the stock plan starts and how many periods it covers, until the user says:
    the edited scenario's window (presale included), else two weeks from the first day."""
    fc = comp.forecast
    first, last = pd.Timestamp(fc[DS].min()), pd.Timestamp(fc[DS].max())
    i = min(st.session_state.get("sc_selected") or 0, max(len(comp.scenarios) - 1, 0))
    if comp.scenarios:
        a, b = comp.scenarios[i].window
        a, b = max(a, first), min(b, last)
        if a <= b:
            a = fc.loc[fc[DS] >= a, DS].min()  # on the forecast's own grid (weeks, months)
            return a, max(1, len(pd.date_range(a, b, freq=freq)))
    return first, min(14, int(fc.groupby([SCENARIO, ID]).size().min()))


def inventory_table(plan: pd.DataFrame, lang: str, with_stock: bool = True) -> pd.DataFrame:
    """The stock plan for display: the columns a buyer reads, translated (the risk
    columns only when some stock on hand was given)."""
    from forecasting.planning import inventory

    cols = ["scenario", ID, "start", "demand_mean", "demand_q", "safety_stock"]
    if with_stock:
        cols += [
            "current_stock",
            "stockout_risk",
            "expected_shortfall",
            "reorder_qty",
            "periods_of_cover",
        ]
    out = plan[[c for c in cols if c in plan.columns]].copy()
    if "scenario" in out.columns:
        out["scenario"] = [
            t("scenario.baseline", lang) if s == sc.BASELINE else s for s in out["scenario"]
        ]
    out[ID] = [series_label(s, lang) for s in out[ID]]
    out["start"] = pd.to_datetime(out["start"]).dt.date
    if "stockout_risk" in out.columns:
        out["stockout_risk"] = out["stockout_risk"].astype(float) * 100
    return out.rename(columns=inventory.inventory_labels(lang))


def _stock_inputs(setup: Setup, lang: str) -> dict[str, float]:
    """Stock on hand per series: typed into a table, or read from an uploaded file."""
    current: dict[str, float] = dict(state.get("sc_stock") or {})
    with st.expander(t("sc.stock", lang), expanded=bool(current)):
        left, right = st.columns([3, 2])
        base = pd.DataFrame({ID: sorted(setup.ids)})
        base["current_stock"] = [current.get(u, np.nan) for u in base[ID]]
        base["current_stock"] = base["current_stock"].astype(float)
        with left:
            edited = st.data_editor(
                base,
                key=f"sc_stock_{st.session_state['sc_stock_rev']}",
                hide_index=True,
                num_rows="fixed",
                disabled=[ID],
                width="stretch",
                height=min(320, 38 + 35 * len(base)),
                column_config={
                    ID: st.column_config.TextColumn(t("inventory.col.unique_id", lang)),
                    "current_stock": st.column_config.NumberColumn(
                        t("inventory.col.current_stock", lang), min_value=0, step=1, format="%,.0f"
                    ),
                },
            )
        right.file_uploader(
            t("sc.stock_upload", lang),
            type=["csv", "txt", "xlsx", "xlsm"],
            key="sc_stock_upload",
            on_change=_on_stock_upload,
            args=(tuple(setup.ids),),
            help=t("sc.stock_upload_help", lang),
        )
        err = st.session_state.pop("sc_stock_msg", None)
        if err is not None:
            kind, key, params = err
            (st.error if kind == "error" else st.success)(t(key, lang, **params))
    typed = {
        str(u): float(v)
        for u, v in zip(edited[ID], edited["current_stock"], strict=True)
        if v is not None and np.isfinite(float(v))
    }
    if typed != current:
        st.session_state["sc_stock"] = typed
    return typed


@_safe
def _on_stock_upload(ids: tuple) -> None:
    from forecasting.planning import inventory

    uploaded = st.session_state.get("sc_stock_upload")
    if uploaded is None:
        return
    try:
        stock = inventory.read_stock(uploaded.getvalue(), name=uploaded.name)
    except ShopcastError as exc:
        st.session_state["sc_stock_msg"] = ("error", f"error.{exc.key}", exc.params)
        return
    known = {k: float(v) for k, v in stock.items() if k in set(ids)}
    unknown = [k for k in stock.index if k not in set(ids)]
    st.session_state["sc_stock"] = known
    st.session_state["sc_stock_rev"] += 1
    st.session_state["sc_stock_msg"] = (
        "success",
        "sc.stock_loaded",
        {
            "file": uploaded.name,
            "n": len(known),
            "skipped": len(unknown),
            "examples": ", ".join(unknown[:3]) or "-",
        },
    )


# -------------------------------------------------------------- downloads
def workbook(comp: Comparison, plan: pd.DataFrame | None, lang: str) -> bytes:
    """The Excel download: KPIs, the stock plan, the forecasts and the definitions."""
    from forecasting.planning import inventory

    sheets = {t("inventory.sheet.kpis", lang): comp.kpis}
    if plan is not None:
        sheets[t("inventory.sheet.plan", lang)] = plan
    sheets[t("inventory.sheet.forecast", lang)] = comp.forecast
    sheets[t("sc.sheet.scenarios", lang)] = sc.scenarios_to_frame(comp.scenarios)
    return inventory.to_excel(sheets, lang)


def downloads(setup: Setup, comp: Comparison, plan: pd.DataFrame | None, lang: str) -> None:
    """The Excel button (the file is built only when clicked)."""
    stamp = setup.result.created[:10]
    st.download_button(
        t("sc.download_excel", lang),
        data=lambda: workbook(comp, plan, lang),
        file_name=f"shopcast_scenarios_{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        on_click="ignore",
        key="sc_dl_xlsx",
        type="primary",
    )
