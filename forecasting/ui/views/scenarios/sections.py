"""Sections of the Scenarios page below the chart: controls, problems, KPIs, response."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from forecasting.charts.forecast import series_label
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.ui import actions, state
from forecasting.ui.messages import keyed_text, md_escape, warning_text
from forecasting.ui.views.scenarios.comparison import POST_DAYS, breakdown_options
from forecasting.ui.views.scenarios.context import Setup
from forecasting.ui.views.scenarios.editing import target_options
from forecasting.ui.views.scenarios.session import selected

RESPONSE_VALUES = (0.1, 0.2, 0.3, 0.4)
PLOT = {"theme": None, "config": {"displaylogo": False}}


def chart_controls(
    setup: Setup, comp: sc.Comparison, lang: str
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


def problems(comp: sc.Comparison, lang: str) -> None:
    """Scenarios that could not be computed, then the range warnings and assumptions."""
    for name, key, params in comp.errors:
        st.error(
            f"**{md_escape(name)}**: {keyed_text(f'error.{key}', params, lang)}",
            icon=":material/error:",
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
        st.warning("\n".join(f"- {warning_text(w, lang)}" for w in warn), icon=":material/warning:")
    if info:
        st.info("\n".join(f"- {warning_text(w, lang)}" for w in info), icon=":material/lightbulb:")


def kpi_cards(comp: sc.Comparison, lang: str) -> None:
    """Headline metrics per scenario, one card each: drawn first, above the chart, so a
    slider step's new numbers are on screen before the charts are redrawn."""
    totals = comp.kpis[comp.kpis["level"] == "total"].reset_index(drop=True)
    cols = st.columns(max(1, len(totals)))
    for i, (col, row) in enumerate(zip(cols, totals.itertuples(index=False), strict=False)):
        name = row.scenario
        label = t("scenario.baseline", lang) if name == sc.BASELINE else str(name)
        base = name == sc.BASELINE
        with col.container(border=True, key=f"sc_kpi_card_{i}"):
            st.metric(
                t("sc.metric.units", lang, name=md_escape(label)),  # a label: Markdown
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
            alt_line(comp, row, lang)
            if not base:
                after_lines(row, lang)
            if not base and np.isfinite(row.post_incr_units) and row.post_incr_units < 0:
                st.caption(
                    t(
                        "sc.metric.dip",
                        lang,
                        units=f"{row.post_incr_units:,.0f}",
                        pct=f"{row.post_incr_pct:.1f}",
                    )
                )


def kpi_section(setup: Setup, comp: sc.Comparison, lang: str) -> pd.DataFrame:
    """The breakdown choice and the KPI table (the cards are :func:`kpi_cards`).

    Returns:
        The KPI table as shown (translated), for the Excel download.
    """
    st.subheader(t("sc.kpis", lang))
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
    notes = sc.after_summary(comp.after_effects, lang)
    if notes:
        st.caption("  \n".join(md_escape(x) for x in notes))
    return shown


def alt_line(comp: sc.Comparison, row: Any, lang: str) -> None:
    """The same scenario against the other baseline (no promotion / the uploaded plan)."""
    if comp.alt_baseline is None:
        return
    units_col, pct_col = sc.ALT_COLUMNS[comp.alt_baseline]
    units, pct = getattr(row, units_col, np.nan), getattr(row, pct_col, np.nan)
    if not np.isfinite(units):
        return
    st.caption(
        t(
            f"sc.metric.vs_{comp.alt_baseline}",
            lang,
            units=f"{units:+,.0f}",
            pct=f"{pct:+.1f}%" if np.isfinite(pct) else "—",
        )
    )


def after_lines(row: Any, lang: str) -> None:
    """The after-effects as separate lines of a KPI card: dip, other SKUs, net uplift."""
    pulled, taken = row.pulled_forward_units, row.cannibalised_units
    if not (np.isfinite(pulled) and np.isfinite(taken)):
        return
    st.caption(
        "  \n".join(
            [
                t("after.metric.pulled", lang, units=f"{pulled:+,.0f}".replace("-", "−")),
                t("after.metric.taken", lang, units=f"{taken:+,.0f}".replace("-", "−")),
                t("after.metric.net", lang, units=f"{row.net_incr_units:+,.0f}"),
            ]
        )
    )


_KPI_FORMATS = {
    **dict.fromkeys(("units", "window_units", "post_units", "peak_units"), "{:,.0f}"),
    **dict.fromkeys(("incr_units", "window_incr_units", "post_incr_units", "incr_gmv"), "{:+,.0f}"),
    **dict.fromkeys(("pulled_forward_units", "cannibalised_units", "net_incr_units"), "{:+,.0f}"),
    **dict.fromkeys(
        ("incr_units_pct", "incr_gmv_pct", "window_incr_pct", "post_incr_pct"), "{:+.1f}%"
    ),
    **{units: "{:+,.0f}" for units, _ in sc.ALT_COLUMNS.values()},
    **{pct: "{:+.1f}%" for _, pct in sc.ALT_COLUMNS.values()},
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
        *(c for pair in sc.ALT_COLUMNS.values() for c in pair),
        "gmv",
        "incr_gmv",
        "incr_gmv_pct",
        "window_units",
        "window_incr_units",
        "window_incr_pct",
        "post_units",
        "post_incr_units",
        "post_incr_pct",
        "pulled_forward_units",
        "cannibalised_units",
        "net_incr_units",
        "peak_day",
        "peak_units",
    ]
    out = kpis[[c for c in cols if c in kpis.columns]].copy()
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
        if c not in out.columns:
            continue
        out[c] = [spec.format(v) if np.isfinite(v) else "—" for v in out[c].astype(float)]
    return out.rename(columns=sc.kpi_labels(lang))


# -------------------------------------------------------------- baseline & response
def baseline_controls(setup: Setup, lang: str) -> None:
    """What the scenarios are compared against, and the assumption when nothing is learned."""
    from forecasting.ui.views.scenarios.comparison import assumed_uplift, fitted_response

    st.radio(
        t("response.baseline.label", lang),
        list(sc.BASELINES),
        format_func=lambda k: t(f"response.baseline.opt.{k}", lang),
        horizontal=True,
        **state.bind("sc_baseline"),
    )
    if not sc.can_learn(setup.model.train_):
        st.warning(t("response.unknown", lang), icon=":material/warning:")
        st.number_input(
            t("response.assume_label", lang),
            min_value=-50.0,
            max_value=200.0,
            step=5.0,
            help=t("response.assume_help", lang),
            **state.bind("sc_assume"),
        )
    resp = fitted_response(setup.result.data_key, setup.hier_key, assumed_uplift(), _setup=setup)
    kind = state.get("sc_baseline") if state.get("sc_baseline") in sc.BASELINES else "plan"
    st.caption("  \n".join(sc.response_summary(resp, kind, lang)))


def response_section(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> None:
    """The festival lift seen in history and the response behind every scenario number."""
    from forecasting.charts.scenarios import response_figure

    with st.expander(t("sc.resp.section", lang), expanded=True):
        note = festival_note(setup, scenarios, lang)
        if note:
            st.markdown(note)
        r = response(setup, lang)
        if r is not None:
            st.markdown(response_text(r, lang))
            st.plotly_chart(response_figure(r, lang), key="sc_resp_chart", **PLOT)
            st.caption(t("response.method", lang))


def response(setup: Setup, lang: str) -> pd.DataFrame | None:
    """The fitted response curve (the one the KPIs use), or None when none is known.

    Returns:
        ``scenarios.response_table`` output.
    """
    from forecasting.ui.views.scenarios.comparison import assumed_uplift, fitted_response

    resp = fitted_response(setup.result.data_key, setup.hier_key, assumed_uplift(), _setup=setup)
    if resp.source == sc.UNKNOWN:
        st.caption(t("response.unknown", lang))
        return None
    if resp.source == sc.ASSUMED:
        st.caption(t("response.assumed", lang, per10=f"{resp.per_10pts:+.0%}"))
    return sc.response_table(resp, RESPONSE_VALUES)


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
    i = selected(scenarios)
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
        festival=md_escape(festival_label(fest, lang)),  # the note may come from a JSON upload
        lift=f"{float(row['lift'].iloc[0]):.2f}",
        years=years,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _festival_lift(data_key: str, _history: pd.DataFrame) -> pd.DataFrame:
    return sc.festival_lift(_history)
