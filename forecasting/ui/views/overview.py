"""Forecast page block: every series at a glance (rank, volume, growth, uncertainty, movers).

``render(result, lang)`` draws it for the session's ``Result``. The table comes from
``forecasting.planning.overview`` (cached per forecast content, model and band) and
the charts from ``forecasting.charts.overview``; nothing here computes.

Whether the levels add up: ``remember(result)`` (called on every Forecast page run)
keeps the session's forecast of each level it has seen, for the same data and
settings; the overview of a finer level then compares its series' sum with those
levels' own forecasts and offers a reconciliation method
(``engine.hierarchy.check_levels``: no training, milliseconds).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from forecasting.charts import overview as charts
from forecasting.charts.forecast import model_label
from forecasting.data.vocabulary import TOTAL
from forecasting.engine import hierarchy as hr
from forecasting.engine.reconcile import LEVEL, METHODS, NEEDS_RESIDUALS, describe
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import overview as ov
from forecasting.ui import actions, state
from forecasting.ui.cache import ResultStore
from forecasting.ui.exports import to_csv
from forecasting.ui.messages import md_escape

if TYPE_CHECKING:
    from forecasting.ui.training import Result

TOP_CHOICES = (10, 20, 30, 50)
MOVERS = 10
BAND = 80  # the band uncertainty is measured with (else the narrowest the model has)
# Reconciliation the page can do from forecasts it has (mint_shrink needs a backtest).
APP_METHODS = (hr.NONE, *(m for m in METHODS if m not in NEEDS_RESIDUALS))
LEVELS_KEY = "ov_levels"  # session: level -> (key in LEVEL_FORECASTS, comparable inputs)
# Each session's forecast of each level it has seen (frames; sessions keep only keys).
LEVEL_FORECASTS = ResultStore(48)
_NOT_COMPARED = ("level", "series")  # inputs that may differ between the levels compared
_DATA_INPUTS = ("data", "sheet", "mapping", "freq")
COHERENT = 1e-9  # relative gap below which the levels add up (rounding)


def render(result: Result, lang: str) -> None:
    """The overview of ``result``: controls, summary line, sortable table, charts."""
    st.subheader(t("overview.title", lang))
    models = result.models
    if not models or result.forecast.empty:
        st.info(t("overview.none", lang), icon=":material/info:")
        return
    remember(result)  # the page calls it on every run; here too, in case it does not
    model, by, top = _controls(models, lang)
    table = overview_table(result, model)
    level = table.attrs.get("level")
    if level is None:
        st.caption(t("overview.caption_no_band", lang))
    else:
        st.caption(t("overview.caption", lang, level=f"{float(level):g}%"))
    _summary_line(table, lang)
    levels_section(result, model, lang)
    st.dataframe(
        charts.display_table(table, lang),
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(table)),
        column_config=_column_config(lang),
    )
    cfg = {"displaylogo": False}
    fig = charts.top_figure(table, by, top, lang)
    st.plotly_chart(fig, theme=None, config=cfg, key="ov_top_chart")
    rises, falls = ov.movers(table, MOVERS)
    if rises.empty and falls.empty:
        st.caption(t("overview.movers.none", lang))
        return
    movers = charts.movers_figure(table, MOVERS, lang)
    st.plotly_chart(movers, theme=None, config=cfg, key="ov_movers_chart")


def _controls(models: list[str], lang: str) -> tuple[str, str, int]:
    """Model, ranking and number of bars; choices kept under ``ov_*`` keys."""
    if state.get("ov_model") not in models:
        state.reseed("ov_model", models[0])
    if state.get("ov_by") not in ov.SORTS:
        state.reseed("ov_by", "volume")
    if state.get("ov_top") not in TOP_CHOICES:
        state.reseed("ov_top", 20)
    c1, c2, c3 = st.columns([1.4, 2.4, 1.2], vertical_alignment="bottom")
    c1.selectbox(
        t("overview.model", lang),
        models,
        format_func=lambda m: model_label(m, lang),
        disabled=len(models) == 1,
        **state.bind("ov_model"),
    )
    c2.segmented_control(
        t("overview.sort", lang),
        list(ov.SORTS),
        format_func=lambda b: t(f"overview.by.{b}", lang),
        **state.bind("ov_by"),
    )
    c3.selectbox(t("overview.top_n", lang), list(TOP_CHOICES), **state.bind("ov_top"))
    by = state.get("ov_by") or "volume"  # a segmented control can be clicked off
    return state.get("ov_model"), by, int(state.get("ov_top"))


def overview_table(result: Result, model: str) -> pd.DataFrame:
    """The overview of one model of ``result`` (cached by the forecast's content)."""
    return _cached_table(_fingerprint(result), model, result.history, result.forecast)


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_table(
    key: str, model: str, _history: pd.DataFrame, _forecast: pd.DataFrame
) -> pd.DataFrame:
    # The frames are left out of the hash (a million-row history would be hashed on
    # every rerun): ``key``, their content fingerprint, stands for them.
    return ov.overview_table(_history, _forecast, model, BAND)


def _fingerprint(result: Result) -> str:
    """Content key of a result's frames: its data key plus a hash of the forecast."""
    fc = pd.util.hash_pandas_object(result.forecast, index=False).to_numpy().tobytes()
    digest = hashlib.sha256(fc)
    digest.update(str(result.data_key).encode())
    digest.update(str(len(result.history)).encode())
    return digest.hexdigest()


def _summary_line(table: pd.DataFrame, lang: str) -> None:
    s = ov.summary(table)
    growth = s[ov.GROWTH]
    st.markdown(
        t(
            "overview.summary",
            lang,
            n=f"{s['series']:,}",
            total=f"{s[ov.FORECAST]:,.0f}",
            actual="–" if math.isnan(s[ov.ACTUAL]) else f"{s[ov.ACTUAL]:,.0f}",
            growth="–" if math.isnan(growth) else f"{growth:+.1f}%",
        )
    )


def _column_config(lang: str) -> dict:
    names = charts.column_names(lang)
    number = st.column_config.NumberColumn
    return {
        names[ov.RANK]: number(format="%d", width="small"),
        names[ov.FORECAST]: number(format="%,.0f"),
        names[ov.ACTUAL]: number(format="%,.0f"),
        names[ov.CHANGE]: number(format="%,.0f"),
        names[ov.GROWTH]: number(format="%.1f%%"),
        names[ov.UNCERTAINTY]: number(format="%.1f%%"),
        names[ov.SHARE]: number(format="%.2f%%"),
    }


# ----------------------------------------------------------------- levels add up
def remember(result: Result) -> None:
    """Keep ``result``'s forecast as the session's forecast of its level.

    Call on every Forecast page run (cheap: one reference stored). A forecast of a
    selection of series is not kept: it adds up to nothing.
    """
    inputs = state.result_inputs()
    same = comparable(inputs)
    if same is None:
        return
    refs = st.session_state.setdefault(LEVELS_KEY, {})
    key = refs[result.level][0] if result.level in refs else f"ovl-{uuid.uuid4().hex}"
    LEVEL_FORECASTS.put(key, result.forecast)
    refs[result.level] = (key, same)


def comparable(inputs: tuple | None) -> tuple | None:
    """What two levels' forecasts must share to be compared: every input but the level
    and the series (None without inputs, or for a selection of series)."""
    if not inputs or dict(inputs).get("series"):
        return None
    return tuple((k, v) for k, v in inputs if k not in _NOT_COMPARED)


def levels_section(result: Result, model: str, lang: str) -> None:
    """Whether ``result``'s series add up to the coarser levels' own forecasts the session
    has (same data and settings), and the reconciliation choice when it has them."""
    found = _known_levels(result)
    if found is None:
        return
    data, forecasts = found
    forecasts = {lv: fc for lv, fc in forecasts.items() if model in fc.columns}
    bottom = result.level
    st.markdown(f"**{t('reconcile.view.title', lang)}**")
    if len(forecasts) == 1:
        st.caption(t("reconcile.view.bottom_up_only", lang, level=md_escape(bottom)))
        return
    methods = APP_METHODS if TOTAL in forecasts else (hr.NONE, "bottom_up")
    if state.get("ov_reconcile") not in methods:
        state.reseed("ov_reconcile", hr.NONE)
    try:
        args = actions.data_args(state.get("data_source"))
        hier = _hierarchy(args, bottom, tuple(forecasts), data)
        key = _frames_key(forecasts, args)
        check = _cached_check(key, model, state.get("ov_reconcile"), forecasts, hier)
    except ShopcastError as exc:
        st.caption(md_escape(exc.message(lang)))
        return
    _status(check, bottom, [lv for lv in forecasts if lv != bottom], lang)
    st.segmented_control(
        t("reconcile.view.method", lang),
        list(methods),
        format_func=lambda m: (
            t("reconcile.view.none", lang) if m == hr.NONE else t(f"reconcile.method.{m}", lang)
        ),
        help=t("reconcile.view.method_help", lang),
        **state.bind("ov_reconcile"),
    )
    st.dataframe(_level_table(check.table, lang), hide_index=True, width="stretch")
    if check.reconciled is not None:
        st.caption(describe(check.reconciled, lang))
        coherent = hr.with_levels(check.reconciled.forecast, hier)
        st.download_button(
            t("reconcile.view.download", lang),
            data=lambda: to_csv(coherent),
            file_name=f"shopcast_reconciled_{check.reconciled.method}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key="ov_reconcile_csv",
        )


def _known_levels(result: Result):
    """``(data, {level: forecast})``: the session's data and its forecasts of
    ``result``'s level and the coarser ones, coarse to fine; None when the check does
    not apply (the total itself, a selection of series, the data changed since)."""
    same = comparable(state.result_inputs())
    reasons = actions.stale_reasons() or []
    if same is None or result.level == TOTAL or any(r in _DATA_INPUTS for r in reasons):
        return None
    try:
        view = actions.current_view()
    except Exception:  # noqa: BLE001 - the Data page explains; here the check is just left out
        return None
    if view is None or result.level not in view.data.levels():
        return None
    levels = view.data.levels()
    refs = st.session_state.get(LEVELS_KEY) or {}
    forecasts = {}
    for level in levels[: levels.index(result.level)]:
        key, inputs = refs.get(level, (None, None))
        fc = LEVEL_FORECASTS.get(key) if inputs == same else None
        if fc is not None:
            forecasts[level] = fc
    forecasts[result.level] = result.forecast
    return view.data, forecasts


@st.cache_data(max_entries=8, show_spinner=False)
def _hierarchy(args: tuple, bottom: str, levels: tuple, _data) -> hr.Hierarchy:
    # ``args`` (the data's content key, sheet and mapping) stands for the data.
    return hr.hierarchy_of(_data, bottom, keep=levels)


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_check(key: str, model: str, method: str, _forecasts: dict, _hier) -> hr.LevelCheck:
    # ``key``: the forecasts' and the data's content fingerprint (``_frames_key``).
    return hr.check_levels(_forecasts, _hier, model, method)


def _frames_key(forecasts: dict[str, pd.DataFrame], args: tuple) -> str:
    """Content key of the levels' forecasts and of the data their hierarchy comes from."""
    digest = hashlib.sha256(repr(args).encode())
    for level, fc in forecasts.items():
        digest.update(str(level).encode())
        digest.update(pd.util.hash_pandas_object(fc, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _status(check: hr.LevelCheck, bottom: str, coarser: list[str], lang: str) -> None:
    """One line: the series add up to the coarser levels' forecasts, or by how much not."""
    gap = check.before
    names = ", ".join(
        t("reconcile.view.total", lang) if lv == TOTAL else md_escape(lv) for lv in coarser
    )
    if not gap.relative > COHERENT:  # NaN too: nothing to compare
        pct = "0%" if math.isnan(gap.relative) else f"{gap.relative:.2%}"
        st.caption(
            t("reconcile.view.coherent", lang, level=md_escape(bottom), levels=names, pct=pct)
        )
        return
    node = t("reconcile.view.total", lang) if gap.node == TOTAL else md_escape(gap.node)
    st.warning(
        t(
            "reconcile.view.incoherent",
            lang,
            level=md_escape(bottom),
            levels=names,
            gap=f"{gap.gap:,.0f}",
            pct=f"{gap.relative:.1%}",
            node=node,
            date=gap.ds.strftime("%Y-%m-%d") if gap.ds is not None else "",
        ),
        icon=":material/call_split:",
    )


def _level_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The check's table with translated headers and level names, rounded."""
    out = table.copy()
    out[LEVEL] = [t("reconcile.view.total", lang) if lv == TOTAL else lv for lv in out[LEVEL]]
    for col in ("own", "bottom_up", "reconciled"):
        out[col] = out[col].round(0)
    if out["reconciled"].isna().all():
        out = out.drop(columns="reconciled")
    return out.rename(columns={c: t(f"reconcile.view.col.{c}", lang) for c in out.columns})
