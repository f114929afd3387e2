"""The stock plan section (lead time, service level, stock on hand) and the downloads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from forecasting.charts.forecast import series_label
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.schema import DS, ID, SCENARIO
from forecasting.ui import actions, state
from forecasting.ui.messages import error_text
from forecasting.ui.views.scenarios.context import Setup
from forecasting.ui.views.scenarios.session import safe_callback, selected


def inventory_section(setup: Setup, comp: sc.Comparison, lang: str) -> pd.DataFrame | None:
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
        st.error(error_text(exc, lang), icon=":material/error:")
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


def cover_defaults(comp: sc.Comparison, freq: str) -> tuple[pd.Timestamp, int]:
    """Where the stock plan starts and how many periods it covers, until the user says:
    the edited scenario's window (presale included), else two weeks from the first day."""
    fc = comp.forecast
    first, last = pd.Timestamp(fc[DS].min()), pd.Timestamp(fc[DS].max())
    i = selected(comp.scenarios)
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


@safe_callback
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
def workbook(comp: sc.Comparison, plan: pd.DataFrame | None, lang: str) -> bytes:
    """The Excel download: KPIs, the stock plan, the forecasts and the definitions."""
    from forecasting.planning import inventory

    sheets = {t("inventory.sheet.kpis", lang): comp.kpis}
    if plan is not None:
        sheets[t("inventory.sheet.plan", lang)] = plan
    sheets[t("inventory.sheet.forecast", lang)] = comp.forecast
    sheets[t("sc.sheet.scenarios", lang)] = sc.scenarios_to_frame(comp.scenarios)
    return inventory.to_excel(sheets, lang)


def downloads(setup: Setup, comp: sc.Comparison, plan: pd.DataFrame | None, lang: str) -> None:
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
