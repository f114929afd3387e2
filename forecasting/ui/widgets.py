"""Shared widgets: each draws one block of a page and keeps its state in the session."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecasting.charts.forecast import figure_html, model_label, series_label
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.ui import actions, cache, state
from forecasting.ui.bootstrap import PAGES, short_error

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from forecasting.ui.actions import DataView
    from forecasting.ui.training import Result

_ERROR_KEY = "_data_error"  # an upload error, shown once on the next run


# ------------------------------------------------------------------------ home
def hero(lang: str) -> None:
    """Headline and the two sentences saying what Shopcast does."""
    st.html(
        f"<div class='sc-hero'><h1>{html.escape(t('home.headline', lang))}</h1>"
        f"<p>{html.escape(t('home.intro', lang))}</p></div>"
    )


def journey(lang: str, current: str) -> None:
    """The three steps (data, train, forecast) with what is done."""
    done = {
        "data": state.get("data_source") is not None,
        "train": state.get("result") is not None,
        "forecast": state.get("result") is not None,
    }
    cells = []
    for i, step in enumerate(("data", "train", "forecast"), start=1):
        cls = "done" if done[step] else ""
        cls += " current" if step == current else ""
        mark = "✓" if done[step] else str(i)
        status = t("journey.done" if done[step] else "journey.todo", lang)
        cells.append(
            f"<div class='sc-step {cls}'><span class='sc-num'>{mark}</span>"
            f"<b>{html.escape(t(f'journey.{step}', lang))}</b>{html.escape(status)}</div>"
        )
    st.html(f"<div class='sc-steps' aria-label='{t('journey.title', lang)}'>{''.join(cells)}</div>")


def result_banner(lang: str) -> None:
    """On the home page: a link to the existing forecast, if any."""
    result = state.get("result")
    if result is None:
        return
    names = ", ".join(model_label(m, lang) for m in result.models)
    with st.container(border=True):
        st.markdown(t("home.result_ready", lang, models=names))
        st.page_link(
            PAGES["forecast"], label=t("home.go_forecast", lang), icon=":material/insights:"
        )


def sample_preview(lang: str) -> None:
    """A small chart of the sample's total sales: shows what the sample is, and loads
    the chart library in the browser while the user reads (the forecast opens faster)."""
    from forecasting.charts.forecast import history_figure

    try:
        name, key, data = cache.sample_file()
        hist, _ = cache.history(key, name, None, "", "total", "auto", (), data)
    except Exception:  # noqa: BLE001 - decoration only: never block the home page
        return
    fig = history_figure(hist, lang, title=t("home.preview_title", lang), height=230)
    fig.update_layout(
        margin={"t": 40, "b": 24, "l": 48, "r": 8}, yaxis_title=None, title_font_size=14
    )
    st.plotly_chart(fig, theme=None, config={"displayModeBar": False}, key="home_preview")


@contextmanager
def training_session() -> Iterator[None]:
    """Mark a training as running; if the script is interrupted (a click), the mark stays
    and ``interrupted_notice`` tells the user on the next run."""
    st.session_state["_training_active"] = True
    try:
        yield
    except Exception:
        st.session_state.pop("_training_active", None)  # an error, not a stop
        raise
    st.session_state.pop("_training_active", None)


def interrupted_notice(lang: str) -> None:
    """Tell the user, on whatever page they went to, that a training was stopped."""
    if st.session_state.pop("_training_active", False):
        st.session_state["_training_stopped"] = True
        st.toast(t("train.stopped", lang), icon=":material/pause_circle:")


# ------------------------------------------------------------------------ data
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
        st.error(_message(err, lang), icon=":material/error:")
    src = state.get("data_source")
    if src is not None:
        st.markdown(t("data.current", lang, name=html.escape(src.name)))


def _on_upload() -> None:
    try:
        actions.use_upload(st.session_state.get("data_upload"))
    except Exception as exc:  # noqa: BLE001 - shown as a message on the next run
        st.session_state[_ERROR_KEY] = exc


def _on_sample() -> None:
    try:
        actions.use_sample()
    except Exception as exc:  # noqa: BLE001
        st.session_state[_ERROR_KEY] = exc


def _message(exc: BaseException, lang: str) -> str:
    if isinstance(exc, ShopcastError):
        return exc.message(lang)
    return (
        t("ui.error.unexpected", lang) + " " + t("ui.error.detail", lang, detail=short_error(exc))
    )


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
                t("data.plan_current", lang, name=html.escape(plan.name), n=f"{len(view.future):,}")
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


def sheet_picker(lang: str) -> None:
    """Sheet choice for Excel files with more than one sheet."""
    src = state.get("data_source")
    sheets = cache.sheet_names(src.digest, src.name, src.data)
    if len(sheets) > 1:
        if state.get("data_sheet") not in sheets:
            state.reseed("data_sheet", sheets[0])
        st.selectbox(t("data.sheet", lang), sheets, **state.bind("data_sheet"))


def raw_preview(lang: str, rows: int = 200) -> pd.DataFrame:
    """The upload as read, in an expander; returns the raw frame."""
    src = state.get("data_source")
    raw = cache.raw_table(src.digest, src.name, state.get("data_sheet"), src.data)
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
        detected = cache.detected_mapping(src.digest, src.name, sheet, src.data)
    except ShopcastError as exc:  # nothing recognisable: let the user map by hand
        st.warning(exc.message(lang), icon=":material/warning:")
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


def _on_level(key: str = "data_level") -> None:
    st.session_state[key] = st.session_state[state.widget_key(key)]
    state.reseed("data_series", [])


def _on_freq(key: str = "data_freq") -> None:
    st.session_state[key] = st.session_state[state.widget_key(key)]
    state.reseed("train_horizon", None)  # 28 days is not 28 weeks


def level_label(level: str, lang: str) -> str:
    """ "All (aggregated)" or "By <column>"."""
    return t("level.total", lang) if level == "total" else t("level.by", lang, column=level)


def freq_options(freq: str) -> list[str]:
    """ "auto" plus the coarser grains the data can be summed to."""
    base = actions.base_freq(freq)
    coarser = {"D": ["W", "MS"], "W": ["MS"], "MS": []}.get(base, [])
    return ["auto", *coarser]


def freq_label(option: str, data_freq: str, lang: str) -> str:
    """Translated name of a grain; "auto" names the data's own."""
    if option == "auto":
        return t("freq.auto", lang, freq=t(f"freq.{actions.base_freq(data_freq)}", lang))
    return t(f"freq.{option}", lang)


def data_summary(view: DataView, lang: str) -> None:
    """Metrics (series, dates, periods, grain, total) and the quality findings."""
    horizon = state.get("train_horizon") or actions.default_horizon(view.freq)
    summary, findings = cache.data_checks(
        *view.args, view.level, state.get("data_freq"), view.series, horizon, view.source.data
    )
    st.markdown(f"**{t('data.summary', lang)}**")
    m = st.columns([1, 2.2, 1, 1, 1.3])
    m[0].metric(t("data.metric.series", lang), f"{summary.get('n_series', 0):,}")
    start, end = pd.Timestamp(summary["start"]).date(), pd.Timestamp(summary["end"]).date()
    m[1].metric(t("data.metric.range", lang), f"{start} → {end}")
    m[2].metric(t("data.metric.periods", lang), f"{summary.get('n_periods', 0):,}")
    m[3].metric(t("data.metric.freq", lang), t(f"freq.{actions.base_freq(view.freq)}", lang))
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


def _finding(f: Any, lang: str) -> str:
    return t(f"quality.{f.key}", lang, **dict(getattr(f, "params", {}) or {}))


# ----------------------------------------------------------------------- train
def data_line(view: DataView, lang: str) -> None:
    """One line naming the data the models will be trained on."""
    n = view.history["unique_id"].nunique()
    periods = view.history.groupby("unique_id", observed=True).size().max()
    st.markdown(
        t(
            "train.data_info",
            lang,
            name=html.escape(view.source.name),
            level=level_label(view.level, lang),
            n=f"{n:,}",
            freq=t(f"freq.{actions.base_freq(view.freq)}", lang),
            periods=f"{periods:,}",
        )
    )


def model_picker(lang: str) -> list[str]:
    """Multiselect of every registered model with its one-line description."""
    from forecasting.models import LIBRARY, available

    names = available()
    st.multiselect(
        t("train.models", lang),
        names,
        format_func=lambda m: model_label(m, lang),
        help=t("train.models_help", lang),
        placeholder=t("train.models_placeholder", lang),
        **state.bind("train_models", default=actions.chosen_models()),
    )
    chosen = actions.chosen_models()
    lines = []
    for m in names:
        mark = "●" if m in chosen else "○"
        desc = t(f"model.{m}.desc", lang)
        desc = "" if desc == f"model.{m}.desc" else f" — {html.escape(desc)}"
        lib = LIBRARY.get(m, "")
        chip = f"<span class='sc-lib'>{html.escape(lib)}</span>" if lib and " " not in lib else ""
        lines.append(
            f"<div class='sc-model'>{mark} <b>{html.escape(model_label(m, lang))}</b>{desc}{chip}</div>"
        )
    st.html("".join(lines))
    return chosen


def train_settings(freq: str, lang: str) -> None:
    """Horizon, interval levels and the TensorFlow settings."""
    from forecasting.models import TENSORFLOW_MODELS

    unit = t(f"unit.{actions.base_freq(freq)}", lang)
    c1, c2 = st.columns(2)
    c1.number_input(
        t("train.horizon", lang, unit=unit),
        min_value=1,
        max_value=1000,
        step=1,
        **state.bind("train_horizon", default=actions.default_horizon(freq)),
    )
    c2.multiselect(
        t("train.levels", lang),
        list(actions.LEVEL_CHOICES),
        placeholder=t("train.levels_none", lang),
        **state.bind("train_levels"),
    )
    if any(m in TENSORFLOW_MODELS for m in actions.chosen_models()):
        with st.expander(t("train.tf_settings", lang), expanded=True):
            e1, e2 = st.columns(2)
            e1.slider(t("train.epochs", lang), 1, 200, **state.bind("train_epochs"))
            e2.number_input(
                t("train.window", lang),
                min_value=0,
                max_value=400,
                step=1,
                help=t("train.window_help", lang),
                **state.bind("train_window", default=0),
            )


def training_outcome(lang: str) -> None:
    """The message of the latest training (success, partial failure, nothing)."""
    runs = state.get("train_runs") or {}
    if not runs:
        return
    ok = [r for r in runs.values() if r.status != "failed"]
    failed = [r for r in runs.values() if r.status == "failed"]
    if st.session_state.get("_training_stopped"):
        st.warning(t("train.stopped", lang), icon=":material/pause_circle:")
    elif ok:
        st.success(t("train.done", lang, n=len(ok)), icon=":material/check_circle:")
    for r in failed:
        msg = r.error.message(lang) if r.error else t("train.status.failed", lang)
        st.error(
            f"**{model_label(r.name, lang)}**：{msg}"
            if lang == "zh"
            else f"**{model_label(r.name, lang)}**: {msg}"
        )


def runs_table(lang: str) -> pd.DataFrame | None:
    """Fit time, status and notes per model of the latest training."""
    runs = state.get("train_runs") or {}
    if not runs:
        return None
    rows = []
    for r in runs.values():
        note = ""
        if r.status == "failed" and r.error is not None:
            note = r.error.message(lang)
        elif r.skipped:
            note = t("train.skipped", lang, n=r.skipped)
        rows.append(
            {
                t("train.col.model", lang): model_label(r.name, lang),
                t("train.col.status", lang): t(
                    "train.status.failed" if r.status == "failed" else f"train.source.{r.status}",
                    lang,
                ),
                t("train.col.fit", lang): round(r.fit_seconds, 2),
                t("train.col.predict", lang): round(r.predict_seconds, 2),
                t("train.col.note", lang): note,
            }
        )
    table = pd.DataFrame(rows)
    st.markdown(f"**{t('train.results', lang)}**")
    st.dataframe(table, hide_index=True, width="stretch")
    return table


def fit_times(lang: str) -> pd.DataFrame:
    """``model, fit_seconds, source`` of the latest successful runs (for the chart)."""
    runs = state.get("train_runs") or {}
    return pd.DataFrame(
        [
            {"model": r.name, "fit_seconds": r.fit_seconds, "source": r.status}
            for r in runs.values()
            if r.status != "failed"
        ],
        columns=["model", "fit_seconds", "source"],
    )


# -------------------------------------------------------------------- forecast
def result_line(result: Result, lang: str) -> None:
    """Which data, horizon and models the forecast comes from."""
    unit = t(f"unit.{actions.base_freq(result.freq)}", lang)
    st.caption(
        t(
            "forecast.meta",
            lang,
            name=result.data_name,
            h=result.config.horizon,
            unit=unit,
            models=", ".join(model_label(m, lang) for m in result.models),
        )
        + (" · " + t("forecast.plan", lang, name=result.plan_name) if result.plan_name else "")
    )


def forecast_controls(result: Result, lang: str) -> tuple[str, list[str], list, bool]:
    """Series picker, models and bands shown, festival toggle.

    Returns:
        ``(series_id, models, levels, festivals_on)``.
    """
    series = result.series
    models = result.models
    levels = sorted({int(lv) for lv in result.config.levels})
    if state.get("fc_series") not in series:
        state.reseed("fc_series", series[0])
    if state.get("fc_models") is None or not set(state.get("fc_models")) <= set(models):
        state.reseed("fc_models", list(models))
    if state.get("fc_levels") is None or not set(state.get("fc_levels")) <= set(levels):
        state.reseed("fc_levels", list(levels))
    c1, c2, c3, c4 = st.columns([1.5, 2.7, 1.3, 1.0], vertical_alignment="bottom")
    c1.selectbox(
        t("forecast.series", lang),
        series,
        format_func=lambda s: series_label(s, lang),
        disabled=len(series) == 1,
        **state.bind("fc_series"),
    )
    c2.multiselect(
        t("forecast.models", lang),
        models,
        format_func=lambda m: model_label(m, lang),
        placeholder=t("ui.choose", lang),
        **state.bind("fc_models"),
    )
    c3.multiselect(
        t("forecast.levels", lang),
        levels,
        placeholder=t("ui.none", lang),
        **state.bind("fc_levels"),
    )
    c4.toggle(t("forecast.festivals", lang), **state.bind("fc_festivals"))
    return (
        state.get("fc_series"),
        list(state.get("fc_models") or []),
        list(state.get("fc_levels") or []),
        bool(state.get("fc_festivals")),
    )


def failed_models(result: Result, lang: str) -> None:
    """Name the models of the latest training that produced no forecast."""
    failed = [r for r in result.runs.values() if r.status == "failed"]
    if failed:
        names = ", ".join(model_label(r.name, lang) for r in failed)
        st.warning(t("forecast.failed_models", lang, models=names), icon=":material/warning:")


def downloads(result: Result, fig: go.Figure, series: str, lang: str) -> None:
    """CSV and Excel of the whole forecast, and the current chart as HTML.

    The files are built only when a button is clicked (deferred ``data``), so a
    rerun does not pay for a 4 MB HTML page nobody asked for.
    """
    from forecasting.ui import exports

    settings = {
        "data": result.data_name,
        "level": result.level,
        "freq": result.freq,
        "horizon": result.config.horizon,
        "levels": ", ".join(str(lv) for lv in result.config.levels),
        "models": ", ".join(result.models),
        "created": result.created,
    }
    stem = f"shopcast_forecast_{result.created[:10]}"
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        t("forecast.download_csv", lang),
        data=lambda: exports.to_csv(result.forecast),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
        key="fc_dl_csv",
    )
    c2.download_button(
        t("forecast.download_excel", lang),
        data=lambda: exports.to_excel(result.forecast, lang, settings),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        on_click="ignore",
        width="stretch",
        key="fc_dl_xlsx",
    )
    c3.download_button(
        t("forecast.download_html", lang),
        data=lambda: figure_html(fig, title=f"Shopcast · {series_label(series, lang)}"),
        file_name=f"{stem}_{_slug(series)}.html",
        mime="text/html",
        icon=":material/monitoring:",
        on_click="ignore",
        width="stretch",
        key="fc_dl_html",
    )


def _slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in str(text))
    return keep.strip("_")[:40] or "series"


def table(frame: pd.DataFrame, height: int = 280) -> None:
    """A read-only table with every number shown with one decimal, thousands separated."""
    numeric = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    config = {c: st.column_config.NumberColumn(format="%,.1f") for c in numeric}
    st.dataframe(frame, hide_index=True, height=height, column_config=config)
