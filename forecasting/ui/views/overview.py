"""Forecast page block: every series at a glance (rank, volume, growth, uncertainty, movers).

``render(result, lang)`` draws it for the session's ``Result``. The table comes from
``forecasting.planning.overview`` (cached per forecast content, model and band) and
the charts from ``forecasting.charts.overview``; nothing here computes.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from forecasting.charts import overview as charts
from forecasting.charts.forecast import model_label
from forecasting.i18n import t
from forecasting.planning import overview as ov
from forecasting.ui import state

if TYPE_CHECKING:
    from forecasting.ui.training import Result

TOP_CHOICES = (10, 20, 30, 50)
MOVERS = 10
BAND = 80  # the band uncertainty is measured with (else the narrowest the model has)


def render(result: Result, lang: str) -> None:
    """The overview of ``result``: controls, summary line, sortable table, charts."""
    st.subheader(t("overview.title", lang))
    models = result.models
    if not models or result.forecast.empty:
        st.info(t("overview.none", lang), icon=":material/info:")
        return
    model, by, top = _controls(models, lang)
    table = overview_table(result, model)
    level = table.attrs.get("level")
    if level is None:
        st.caption(t("overview.caption_no_band", lang))
    else:
        st.caption(t("overview.caption", lang, level=f"{float(level):g}%"))
    _summary_line(table, lang)
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
