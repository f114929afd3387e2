"""Data page: upload or sample, the column mapping, level and grain, summary and checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.ui import actions, cache, state
from forecasting.ui.defaults import CALENDARS, base_freq, default_horizon
from forecasting.ui.messages import error_text, finding_text, keyed_text, md_escape
from forecasting.ui.nav import PAGES
from forecasting.ui.widgets import level_label

if TYPE_CHECKING:
    from forecasting.ui.actions import DataView

_ERROR_KEY = "_data_error"  # an upload error, shown once on the next run


def file_section(lang: str) -> pd.DataFrame:
    """Uploader and sample button, sheet choice and the raw preview; returns the raw frame.

    Stops the page (with a hint) while no data is loaded.
    """
    data_source(lang)
    if state.get("data_source") is None:
        st.info(t("data.none", lang), icon=":material/info:")
        st.stop()
    sheets = sheet_picker(lang)
    try:
        return raw_preview(lang)
    except ShopcastError as exc:
        if len(sheets) <= 1:
            raise
        # A cover or notes sheet: say which sheet failed and keep the picker usable.
        sheet = md_escape(state.get("data_sheet"))
        reason = error_text(exc, lang)
        st.error(t("uisafety.sheet_unreadable", lang, sheet=sheet, reason=reason))
        st.stop()


def data_source(lang: str) -> None:
    """File uploader and the sample button; both switch the current data in a callback."""
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.file_uploader(
        t("data.upload_label", lang),
        type=["csv", "txt", "tsv", "xlsx", "xlsm", "parquet", "zip"],
        help=t("data.upload_help", lang),
        key="data_upload",
        on_change=_on_upload,
    )
    right.button(
        t("data.sample_button", lang),
        icon=":material/dataset:",
        on_click=_on_sample,
        key="data_sample",
        width="stretch",
    )
    err = st.session_state.pop(_ERROR_KEY, None)
    if err is not None:
        st.error(error_text(err, lang), icon=":material/error:")
    src = state.get("data_source")
    if src is not None:
        st.markdown(t("data.current", lang, name=md_escape(src.name)))


def _on_upload() -> None:
    try:
        actions.take_upload(st.session_state.get("data_upload"))
    except Exception as exc:  # noqa: BLE001 - shown as a message on the next run
        st.session_state[_ERROR_KEY] = exc


def _on_sample() -> None:
    try:
        actions.use_sample()
    except Exception as exc:  # noqa: BLE001
        st.session_state[_ERROR_KEY] = exc


def plan_picker(view: DataView, lang: str) -> None:
    """Optional plan of future prices and promotions, used by driver-aware models."""
    plan = view.plan
    with st.expander(t("data.plan", lang), expanded=False):
        st.caption(t("data.plan_help", lang))
        st.file_uploader(
            t("data.plan_upload", lang),
            type=["csv", "txt", "xlsx", "xlsm", "parquet"],
            key="data_plan_upload",
            on_change=_on_plan_upload,
        )
        if plan is not None and view.future is not None:
            c1, c2 = st.columns([3, 1], vertical_alignment="center")
            c1.markdown(
                t("data.plan_current", lang, name=md_escape(plan.name), n=f"{len(view.future):,}")
            )
            c2.button(
                t("data.plan_remove", lang), key="data_plan_remove", on_click=actions.drop_plan
            )
        else:
            st.caption(t("data.plan_none", lang))


def _on_plan_upload() -> None:
    try:
        actions.use_plan_upload(st.session_state.get("data_plan_upload"))
    except Exception as exc:  # noqa: BLE001 - shown as a message on the next run
        st.session_state[_ERROR_KEY] = exc


def sheet_picker(lang: str) -> list[str]:
    """Sheet choice for every workbook with more than one sheet; returns the sheet names.

    It starts on the sheet automatic reading uses (the first one with a table), so a
    one-row cover sheet is skipped, and stays on screen whatever the chosen sheet holds.
    """
    src = state.get("data_source")
    sheets = cache.sheet_names(src.digest, src.name, cache.file_bytes(src))
    if len(sheets) > 1:
        if state.get("data_sheet") not in sheets:
            state.reseed("data_sheet", actions.readable_sheet(src, sheets) or sheets[0])
        st.selectbox(
            t("data.sheet", lang),
            sheets,
            help=t("uisafety.sheet_help", lang),
            **state.bind("data_sheet"),
        )
    return sheets


def raw_preview(lang: str, rows: int = 200) -> pd.DataFrame:
    """The upload as read, in an expander; returns the raw frame."""
    src = state.get("data_source")
    raw = cache.raw_table(src.digest, src.name, state.get("data_sheet"), cache.file_bytes(src))
    with st.expander(t("data.preview", lang, n=min(rows, len(raw)), rows=f"{len(raw):,}")):
        st.dataframe(raw.head(rows), hide_index=True, height=260)
    return raw


def mapping_editor(raw: pd.DataFrame, lang: str) -> None:
    """The detected mapping with dropdowns to correct it.

    The chosen mapping goes to ``st.session_state["data_mapping"]`` (None while
    it equals the detected one), which every data cache is keyed by.
    """
    src = state.get("data_source")
    sheet = state.get("data_sheet")
    try:
        detected = cache.detected_mapping(src.digest, src.name, sheet, cache.file_bytes(src))
    except ShopcastError as exc:  # nothing recognisable: let the user map by hand
        st.warning(error_text(exc, lang), icon=":material/warning:")
        detected = _fallback_mapping(raw)
    current = state.get("data_mapping") or detected
    cols = [str(c) for c in raw.columns]
    tag = src.digest[:8] + (str(sheet) if sheet else "")
    with st.container(border=True):
        head, reset = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"**{t('data.mapping', lang)}**")
        head.caption(t("data.mapping_help", lang))
        reset_slot = reset.empty()  # drawn last: it depends on the mapping chosen below
        c1, c2, c3 = st.columns(3)
        date = c1.selectbox(
            t("data.map.date", lang),
            cols,
            index=_index(cols, current["date"]),
            key=f"data_map_date_{tag}",
        )
        layout = c2.selectbox(
            t("data.map.layout", lang),
            ["long", "wide"],
            index=0 if current.get("layout", "long") == "long" else 1,
            format_func=lambda v: t(f"data.layout.{v}", lang),
            key=f"data_map_layout_{tag}",
        )
        targets = [c for c in cols if c != date]
        target = ""
        if layout == "long":
            target = c3.selectbox(
                t("data.map.target", lang),
                targets,
                index=_index(targets, current.get("target")),
                key=f"data_map_target_{tag}",
            )
        d1, d2 = st.columns(2)
        free = [c for c in cols if c not in (date, target)]
        ids: list[str] = []
        if layout == "long":
            ids = d1.multiselect(
                t("data.map.ids", lang),
                free,
                default=[c for c in current.get("ids", []) if c in free],
                placeholder=t("data.map.ids_none", lang),
                key=f"data_map_ids_{tag}",
            )
        canon = {
            v: k for k, v in {**detected.get("drivers", {}), **current.get("drivers", {})}.items()
        }
        drv_options = [c for c in free if c not in ids]
        drivers = d2.multiselect(
            t("data.map.drivers", lang),
            drv_options,
            default=[c for c in current.get("drivers", {}).values() if c in drv_options],
            placeholder=t("data.map.drivers_none", lang),
            key=f"data_map_drivers_{tag}",
        )
    chosen = {
        "date": date,
        "target": target,
        "ids": list(ids),
        "drivers": {canon.get(c, c): c for c in drivers},
        "layout": layout,
    }
    actions.set_mapping(None if _same_mapping(chosen, detected) else chosen)
    reset_slot.button(
        t("data.map.reset", lang),
        key=f"data_map_reset_{tag}",
        on_click=_reset_mapping,
        args=(tag,),
        disabled=state.get("data_mapping") is None,
        width="stretch",
    )


def _same_mapping(a: dict, b: dict) -> bool:
    keys = ("date", "target", "ids", "drivers", "layout")
    return all((a.get(k) or None) == (b.get(k) or None) for k in keys)


def _reset_mapping(tag: str) -> None:
    actions.set_mapping(None)
    for part in ("date", "layout", "target", "ids", "drivers"):
        st.session_state.pop(f"data_map_{part}_{tag}", None)


def _index(options: list[str], value: Any) -> int:
    return options.index(value) if value in options else 0


def _fallback_mapping(raw: pd.DataFrame) -> dict:
    cols = [str(c) for c in raw.columns]
    numeric = [str(c) for c in raw.columns if pd.api.types.is_numeric_dtype(raw[c])]
    target = next((c for c in numeric if c != cols[0]), cols[-1] if cols else "")
    return {
        "date": cols[0] if cols else "",
        "target": target,
        "ids": [],
        "drivers": {},
        "layout": "long",
    }


def current_view(lang: str) -> DataView:
    """The data at the chosen level, grain and series.

    A choice the library refuses (e.g. a grid too large by SKU) is shown as an
    error and undone, back to the total at the data's own grain, so the page and
    its level picker stay usable.

    Raises:
        ShopcastError: the data cannot be used even as a total.
    """
    try:
        return actions.current_view()
    except ShopcastError as exc:
        default = ("total", "auto", [])
        chosen = (state.get("data_level"), state.get("data_freq"), state.get("data_series") or [])
        if chosen == default:
            raise
        st.error(error_text(exc, lang), icon=":material/error:")
        for key, value in zip(("data_level", "data_freq", "data_series"), default, strict=True):
            state.reseed(key, value)
        return actions.current_view()


def level_controls(view: DataView, lang: str) -> None:
    """Forecast level (total / category / SKU), time grain and series subset."""
    data = view.data
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.selectbox(
        t("data.level", lang),
        data.levels(),
        format_func=lambda lv: level_label(lv, lang),
        help=t("data.level_help", lang),
        **{**state.bind("data_level"), "on_change": _on_level},
    )
    grains = freq_options(data.freq)
    if state.get("data_freq") not in grains:
        state.reseed("data_freq", "auto")
    c2.selectbox(
        t("data.freq", lang),
        grains,
        format_func=lambda f: freq_label(f, data.freq, lang),
        **{**state.bind("data_freq"), "on_change": _on_freq},
    )
    if view.level != "total":
        options = data.series_ids(view.level)
        keep = [s for s in state.get("data_series") or [] if s in options]
        if keep != list(state.get("data_series") or []):
            state.reseed("data_series", keep)
        c3.multiselect(
            t("data.series", lang),
            options,
            placeholder=t("data.series_all", lang),
            **state.bind("data_series"),
        )


def calendar_picker(lang: str) -> None:
    """Which holidays the models learn: China's festivals or a country's public holidays."""
    st.selectbox(
        t("data.calendar", lang),
        CALENDARS,
        format_func=lambda code: t(f"calendar.country.{code}", lang),
        help=t("data.calendar_help", lang),
        **state.bind("data_country"),
    )


def _on_level(key: str = "data_level") -> None:
    st.session_state[key] = st.session_state[state.widget_key(key)]
    state.reseed("data_series", [])


def _on_freq(key: str = "data_freq") -> None:
    st.session_state[key] = st.session_state[state.widget_key(key)]
    state.reseed("train_horizon", None)  # 28 days is not 28 weeks


def freq_options(freq: str) -> list[str]:
    """ "auto" plus the coarser grains the data can be summed to."""
    base = base_freq(freq)
    coarser = {"D": ["W", "MS"], "W": ["MS"], "MS": []}.get(base, [])
    return ["auto", *coarser]


def freq_label(option: str, data_freq: str, lang: str) -> str:
    """Translated name of a grain; "auto" names the data's own."""
    if option == "auto":
        return t("freq.auto", lang, freq=t(f"freq.{base_freq(data_freq)}", lang))
    return t(f"freq.{option}", lang)


def data_summary(view: DataView, lang: str) -> None:
    """Metrics (series, dates, periods, grain, total) and the quality findings."""
    horizon = state.get("train_horizon") or default_horizon(view.freq)
    summary, findings = cache.data_checks(
        *view.args,
        view.level,
        state.get("data_freq"),
        view.series,
        horizon,
        cache.file_bytes(view.source),
    )
    st.markdown(f"**{t('data.summary', lang)}**")
    m = st.columns([1, 2.2, 1, 1, 1.3])
    m[0].metric(t("data.metric.series", lang), f"{summary.get('n_series', 0):,}")
    start, end = pd.Timestamp(summary["start"]).date(), pd.Timestamp(summary["end"]).date()
    m[1].metric(t("data.metric.range", lang), f"{start} → {end}")
    m[2].metric(t("data.metric.periods", lang), f"{summary.get('n_periods', 0):,}")
    m[3].metric(t("data.metric.freq", lang), t(f"freq.{base_freq(view.freq)}", lang))
    m[4].metric(t("data.metric.total", lang), f"{summary.get('total_y', 0):,.0f}")
    st.markdown(f"**{t('data.quality', lang)}**")
    findings = [f for f in findings if f.key != "summary"]  # the metrics above say it
    problems = [f for f in findings if f.severity in ("error", "warning")]
    notes = [f for f in findings if f.severity not in ("error", "warning")]
    if not problems:
        st.success(t("data.quality_ok", lang), icon=":material/check_circle:")
    for f in problems:
        show = st.error if f.severity == "error" else st.warning
        show(_finding(f, lang), icon=":material/warning:")
    if notes:
        st.info("\n".join(f"- {_finding(f, lang)}" for f in notes), icon=":material/info:")
    tail_rule(view, lang)


def tail_rule(view: DataView, lang: str) -> None:
    """Say how series whose records stop early reach the common forecast start."""
    attrs = view.history.attrs
    end = attrs.get("tail_end")
    if not end:
        return
    n = int(attrs.get("tail_series") or 0)
    if n == 0:
        st.caption(keyed_text("coverage.tail.none", {"end": end}, lang))
        return
    params = {"n": n, "end": end, "examples": "、".join(map(str, attrs.get("tail_examples", [])))}
    st.caption(keyed_text(f"coverage.tail.{attrs.get('tail_rule', 'zero')}", params, lang))


def _finding(f: Any, lang: str) -> str:
    return finding_text(f, lang)  # SKU names, cells and headers in it are escaped


def history_chart(view: DataView, lang: str) -> None:
    """The history at the chosen level, with the festivals of its dates."""
    start, end = view.history["ds"].min(), view.history["ds"].max()
    fig = charts.history_figure(view.history, lang, festivals=cache.festivals(start, end, lang))
    st.plotly_chart(fig, theme=None, config={"displaylogo": False})


def next_link(lang: str) -> None:
    """On to the Train page."""
    st.page_link(PAGES["train"], label=t("data.next", lang), icon=":material/arrow_forward:")
