"""The fitted model the Scenarios page works with, and what its forecasts depend on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecasting.charts.forecast import model_label
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.schema import DS, ID
from forecasting.ui import actions, cache, state
from forecasting.ui.messages import md_escape

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster
    from forecasting.ui.training import Result

_CAP = {"D": 400, "W": 60, "MS": 15}


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


def driver_model_names() -> list[str]:
    """Registered models whose forecast reacts to drivers (declared in the registry)."""
    from forecasting import models

    return models.driver_models()


def driver_models(result: Result | None) -> list[str]:
    """Models of ``result`` whose forecast reacts to discounts, promotions and prices."""
    return [] if result is None else [m for m in result.models if m in driver_model_names()]


def setup(lang: str) -> Setup | None:
    """Find the model for scenarios, or explain what is missing (and offer to train).

    Returns:
        The setup, or None when the page cannot go on (a message is shown).
    """
    result = state.current_result()
    view = actions.current_view()
    if not driver_models(result):
        if view is None:
            st.info(t("sc.no_data", lang), icon=":material/info:")
            from forecasting.ui import PAGES

            st.page_link(PAGES["data"], label=t("nav.data", lang), icon=":material/table_chart:")
            return None
        if not _offer_training(view, result, lang):
            return None
        result = state.current_result()
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
        name=md_escape(result.data_name),
        level=md_escape(_level_label(result.level, lang)),  # a column name
        h=result.config.horizon,
        unit=unit,
        created=result.created,
    )
    if plan is not None:
        note += " · " + t("sc.plan", lang, name=md_escape(view.plan.name))
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
    return bool(driver_models(state.current_result()))


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
    return sc.hierarchy_at(_data, level, ids)
