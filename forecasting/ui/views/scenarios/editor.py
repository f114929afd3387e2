"""The scenario editor: presets, the sliders of one scenario, the table of all, JSON.

Widgets are keyed with a revision number, bumped whenever the scenarios change
elsewhere, so every widget shows the current definition; an invalid edit leaves
the last valid scenarios (and their results) in place with a message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.ui.messages import keyed_text, md_escape
from forecasting.ui.views.scenarios.editing import (
    PROMO_CHOICES,
    apply_delta,
    default_scenarios,
    editor_frame,
    follow_discounts,
    next_preset,
    scenarios_from_editor,
    target_key,
    target_options,
    unique_name,
    update,
)
from forecasting.ui.views.scenarios.session import (
    MAX_SCENARIOS,
    current_scenarios,
    safe_callback,
    store_scenarios,
)

if TYPE_CHECKING:
    from forecasting.ui.views.scenarios.context import Setup


def editor(setup: Setup, lang: str) -> list[sc.Scenario]:
    """Presets, the sliders of one scenario, the table of all, JSON in and out.

    Returns:
        The current valid scenarios (at most four).
    """
    if st.session_state.get("sc_scenarios") is None:
        st.session_state["sc_scenarios"] = default_scenarios(setup.first, lang)
    scenarios = current_scenarios()
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
        show(keyed_text(key, params, lang))  # file and scenario names in it escaped
    _table(setup, lang)
    _json_io(lang)
    return current_scenarios()


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


@safe_callback
def _on_select(key: str, names: tuple[str, ...]) -> None:
    value = st.session_state.get(key)
    if value in names:
        st.session_state["sc_selected"] = names.index(value)
        st.session_state["sc_rev"] += 1


def _digest(items: Any) -> str:

    return hashlib.sha1(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:8]


@safe_callback
def _on_preset(festival: str, first: pd.Timestamp, lang: str) -> None:
    preset = next_preset(festival, first, lang)
    if preset is None:
        return
    scenarios = current_scenarios()
    i = int(st.session_state.get("sc_selected") or 0)
    if not scenarios:
        scenarios, i = [preset], 0
    else:
        i = min(i, len(scenarios) - 1)
        taken = {s.name for k, s in enumerate(scenarios) if k != i}
        scenarios[i] = dataclasses.replace(preset, name=unique_name(preset.name, taken))
    st.session_state["sc_selected"] = i
    store_scenarios(scenarios)


@safe_callback
def _on_duplicate(lang: str) -> None:
    scenarios = current_scenarios()
    if not scenarios or len(scenarios) >= MAX_SCENARIOS:
        return
    i = min(int(st.session_state.get("sc_selected") or 0), len(scenarios) - 1)
    src = scenarios[i]
    copy = dataclasses.replace(src, name=unique_name(src.name, {s.name for s in scenarios}))
    scenarios.insert(i + 1, copy)
    st.session_state["sc_selected"] = i + 1
    store_scenarios(scenarios)


@safe_callback
def _on_remove() -> None:
    scenarios = current_scenarios()
    if scenarios:
        i = min(int(st.session_state.get("sc_selected") or 0), len(scenarios) - 1)
        scenarios.pop(i)
        st.session_state["sc_selected"] = max(0, i - 1)
        store_scenarios(scenarios)


def _controls(setup: Setup, scenarios: list[sc.Scenario], lang: str) -> None:
    """Sliders, toggle and date range of the scenario being edited."""
    i = min(st.session_state["sc_selected"], len(scenarios) - 1)
    s = scenarios[i]
    rev = st.session_state["sc_rev"]

    def key(f: str) -> str:
        return f"sc_w_{f}_{rev}"

    def bind(f: str) -> dict[str, Any]:
        return {"key": key(f), "on_change": _on_field, "args": (f, key(f), i, options)}

    options = target_options(setup, lang, scenarios)
    labels = list(options)
    current = next((lb for lb, v in options.items() if v == target_key(s)), labels[0])
    c1, c2, c3 = st.columns([1.3, 1.6, 1.1])
    c1.selectbox(
        t("sc.target", lang),
        labels,
        index=labels.index(current),
        help=t("sc.target_help", lang),
        **bind("target"),
    )
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
        e3.markdown(f"**{md_escape(sc.discount_label(s.discount, lang))}**")


@safe_callback
def _on_field(fld: str, key: str, index: int, options: dict[str, tuple] | None = None) -> None:
    """A control changed: apply it to scenario ``index`` (the table follows).

    ``options`` are the target choices the controls were drawn with (label -> target).
    """
    value = st.session_state.get(key)
    scenarios = current_scenarios()
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
        level, series = (options or {}).get(value, (None, None))
        changes = {"level": level, "series": list(series) if series else None}
    else:
        return
    try:
        store_scenarios(update(scenarios, index, **changes), controls=fld == "target")
    except ShopcastError as exc:
        st.session_state["sc_msg"] = ("error", f"error.{exc.key}", exc.params)


def _table(setup: Setup, lang: str) -> None:
    scenarios = current_scenarios()
    options = target_options(setup, lang, scenarios)
    base = editor_frame(scenarios, options, lang)
    key = f"sc_table_{st.session_state['sc_table_rev']}"
    cc = st.column_config
    promo_labels = [t(f"sc.promo.{k}", lang) for k in PROMO_CHOICES]
    st.markdown(f"**{t('sc.table', lang)}**")
    st.caption(t("sc.table_help", lang, n=MAX_SCENARIOS))
    st.data_editor(
        base,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        on_change=_on_table,
        args=(key, base, options, lang, setup.first),
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
        st.error(keyed_text(f"error.{err[0]}", err[1], lang), icon=":material/error:")


@safe_callback
def _on_table(
    key: str, base: pd.DataFrame, options: dict[str, tuple], lang: str, first: pd.Timestamp
) -> None:
    """The table was edited: its rows (as drawn: ``base``, ``options``) + the change set."""
    delta = st.session_state.get(key) or {}
    try:
        scenarios = scenarios_from_editor(apply_delta(base, delta), options, lang, first)
        if not delta.get("deleted_rows"):  # rows still line up: names follow new discounts
            scenarios = follow_discounts(current_scenarios(), scenarios)
    except ShopcastError as exc:  # keep the user's input on screen and the last valid scenarios
        st.session_state["sc_table_error"] = (exc.key, exc.params)
        return
    store_scenarios(scenarios)


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
    scenarios = current_scenarios()
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


@safe_callback
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
    store_scenarios(kept)
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
