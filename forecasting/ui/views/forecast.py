"""Forecast page: the level switch, the chart with bands and festivals, the table, downloads,
the shareable link, and a notice when the forecast no longer matches the data or settings."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.charts.forecast import figure_html, model_label, series_label
from forecasting.charts.style import plotly_config
from forecasting.charts.yoy import last_year_trace
from forecasting.i18n import t
from forecasting.ui import actions, cache, exports, share, state, widgets
from forecasting.ui.defaults import base_freq
from forecasting.ui.messages import md_escape
from forecasting.ui.nav import PAGES

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from forecasting.ui.training import Result


_LEVEL_KEY = "fc_level_switch"
_LEVEL_REQUEST = "fc_level_request"
_DATA_INPUTS = ("data", "sheet", "mapping")
_ZOOM_KEY = "fc_zoom"  # the zoom bridge's last value: {"series": ..., "x": [x0, x1] | ["all"]}
_CHART_KEY = "fc_chart"


def follow_link(lang: str) -> None:
    """Open the view a shared link describes (once per new link); say what was ignored."""
    for note in share.follow(lang):
        st.warning(note, icon=":material/link_off:")
    widgets.refresh_journey(lang)


def require_result(lang: str) -> Result:
    """The session's forecast; stops the page with a link home when there is none."""
    result = state.current_result()
    if result is None:
        st.info(t("forecast.none", lang), icon=":material/info:")
        st.page_link(PAGES["home"], label=t("forecast.go_home", lang), icon=":material/home:")
        st.stop()
    return result


def stale_notice(lang: str) -> None:
    """When data or settings changed since the forecast: say what, and offer to update."""
    reasons = actions.stale_reasons()
    if not reasons:
        return
    text, button = st.columns([4, 1], vertical_alignment="center")
    text.warning(
        t("views.fc.stale", lang, what=widgets.stale_text(reasons, lang)),
        icon=":material/update:",
    )
    if button.button(t("views.fc.update", lang), key="fc_update", type="primary", width="stretch"):
        with widgets.training_session():
            actions.retrain(lang)
        st.rerun()


def level_switch(result: Result, lang: str) -> None:
    """Total / category / SKU one click away: forecast again at the chosen level.

    Shown when the forecast is of the session's current file; models trained before
    for a level come from the caches, so switching back is instant.
    """
    reasons = actions.stale_reasons() or []
    view = _view_or_none()
    if view is None or any(r in _DATA_INPUTS for r in reasons):
        return
    options = view.data.levels()
    if len(options) < 2:
        return
    st.session_state[_LEVEL_KEY] = result.level if result.level in options else None
    st.segmented_control(
        t("views.fc.level", lang),
        options,
        # a level is a column name from the data: shown as typed, never as Markdown
        format_func=lambda lv: t("views.fc.level_total", lang) if lv == "total" else md_escape(lv),
        help=t("views.fc.level_help", lang),
        key=_LEVEL_KEY,
        on_change=_on_level_pick,
    )
    want = st.session_state.pop(_LEVEL_REQUEST, None)
    if want is not None and want != result.level and want in options:
        with widgets.training_session():
            actions.retrain(lang, want)
        st.rerun()


def _on_level_pick() -> None:
    st.session_state[_LEVEL_REQUEST] = st.session_state.get(_LEVEL_KEY)


def _view_or_none():
    try:
        return actions.current_view()
    except Exception:  # noqa: BLE001 - the Data page explains; here the switch is just hidden
        return None


def result_line(result: Result, lang: str) -> None:
    """Which data, horizon and models the forecast comes from."""
    unit = t(f"unit.{base_freq(result.freq)}", lang)
    st.caption(
        t(
            "forecast.meta",
            lang,
            name=md_escape(result.data_name),
            h=result.config.horizon,
            unit=unit,
            models=", ".join(md_escape(model_label(m, lang)) for m in result.models),
        )
        + (
            " · " + t("forecast.plan", lang, name=md_escape(result.plan_name))
            if result.plan_name
            else ""
        )
    )


def failed_models(result: Result, lang: str) -> None:
    """Name the models of the latest training that produced no forecast."""
    failed = [r for r in result.runs.values() if r.status == "failed"]
    if failed:
        names = ", ".join(md_escape(model_label(r.name, lang)) for r in failed)
        st.warning(t("forecast.failed_models", lang, models=names), icon=":material/warning:")


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
    one = len(series) == 1
    c1.selectbox(
        t("forecast.series", lang),
        series,
        format_func=lambda s: series_label(s, lang),
        disabled=one,  # with a hint why, and where to get more series
        help=t("views.fc.series_one" if one else "views.fc.series_help", lang, n=len(series)),
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
        help=t("views.fc.levels_help", lang),
        **state.bind("fc_levels"),
    )
    c4.toggle(
        t("forecast.festivals", lang),
        help=t("views.fc.festivals_help", lang),
        **state.bind("fc_festivals"),
    )
    return (
        state.get("fc_series"),
        list(state.get("fc_models") or []),
        list(state.get("fc_levels") or []),
        bool(state.get("fc_festivals")),
    )


def chart(
    result: Result,
    series: str,
    models: list[str],
    levels: list,
    festivals_on: bool,
    lang: str,
    recommended: str | None = None,
) -> go.Figure:
    """Draw the forecast of one series (bands, festivals as chosen, last year's line, the
    recommended model marked ★ in the legend); returns the figure."""
    start, end = result.history["ds"].min(), result.forecast["ds"].max()
    festivals = cache.festivals(start, end, lang) if festivals_on else None
    fig = charts.forecast_figure(
        result.history,
        result.forecast,
        series,
        models,
        levels,
        lang,
        festivals=festivals,
        x_range=zoom_of(series),
    )
    mark_recommended(fig, recommended, lang)
    year_ago = last_year_trace(result.history, result.forecast, series, lang, result.freq)
    if np.isfinite(np.asarray(year_ago.y, dtype=float)).any():
        fig.add_trace(year_ago)  # drawn right after the history (festival markers stay last)
        traces = list(fig.data)
        fig.data = (traces[0], traces[-1], *traces[1:-1])
    st.plotly_chart(fig, theme=None, config=plotly_config(lang), key=_CHART_KEY)
    _zoom_bridge()(
        selector=f".st-key-{_CHART_KEY} .js-plotly-plot",
        series=str(series),
        key=_ZOOM_KEY,
        default=None,
        tab_index=-1,
    )
    return fig


def mark_recommended(fig: go.Figure, recommended: str | None, lang: str) -> None:
    """Append ``★ 推荐`` to the legend name of the recommended model's line."""
    if not recommended:
        return
    for trace in fig.data:
        meta = trace.meta or {}
        if meta.get("role") == "forecast" and meta.get("model") == recommended:
            trace.name = f"{trace.name} ★ {t('insights.rec.short', lang)}"


@functools.cache
def _zoom_bridge() -> Any:
    """The invisible component that reports the user's zoom (``zoom_bridge/index.html``).

    Streamlit draws a new chart whenever its figure changes, which would drop the
    zoom at every control change; the bridge sends the x range back, and the next
    figure starts from it (``forecast_figure(x_range=...)``).
    """
    import streamlit.components.v1 as components

    folder = Path(__file__).resolve().parents[1] / "zoom_bridge"
    return components.declare_component("shopcast_zoom", path=str(folder))


def zoom_of(series: str) -> tuple | str | None:
    """The user's zoom on ``series`` (x0, x1), "all", or None (the default view)."""
    value = st.session_state.get(_ZOOM_KEY)
    if not isinstance(value, dict) or value.get("series") != str(series):
        return None
    x = value.get("x")
    if x == ["all"]:
        return "all"
    try:
        x0, x1 = (pd.Timestamp(str(v)) for v in list(x)[:2])
    except (TypeError, ValueError):
        return None
    return (x0, x1) if x0 < x1 else None


def table_section(result: Result, series: str, models: list[str], levels: list, lang: str) -> None:
    """The forecast of the chosen series as a table (models and bands as on the chart)."""
    st.markdown(f"**{t('forecast.table', lang)}**", help=t("views.fc.table_help", lang))
    widgets.table(exports.forecast_table(result.forecast, lang, [series], models, levels))


def downloads(
    result: Result, fig: go.Figure, series: str, models: list[str], levels: list, lang: str
) -> None:
    """CSV and Excel as on screen (the current selection, or everything), the chart as HTML.

    The files are built only when a button is clicked (deferred ``data``), so a
    rerun does not pay for a 4 MB HTML page nobody asked for.
    """
    st.markdown(f"**{t('views.fc.downloads', lang)}**")
    label = series_label(series, lang)
    scope = st.radio(
        t("views.fc.scope", lang),
        ("selection", "all"),
        format_func=lambda v: (
            t("views.fc.scope_selection", lang, series=label)
            if v == "selection"
            else t("views.fc.scope_all", lang, n=len(result.series))
        ),
        horizontal=True,
        key="fc_dl_scope",
        help=t("views.fc.scope_help", lang),
    )
    pick: dict = {}
    if scope == "selection":
        pick = {"series": [series], "models": models, "levels": levels}
    settings = exports.run_settings(result, lang, pick.get("series"), pick.get("models"))
    stem = f"shopcast_forecast_{result.created[:10]}"
    if scope == "selection":
        stem += f"_{_slug(series)}"
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        **exports.download_args(
            t("forecast.download_csv", lang),
            lambda: exports.to_csv(result.forecast, lang, **pick),
            f"{stem}.csv",
            "fc_dl_csv",
        )
    )
    c2.download_button(
        **exports.download_args(
            t("forecast.download_excel", lang),
            lambda: exports.to_excel(result.forecast, lang, settings, **pick),
            f"{stem}.xlsx",
            "fc_dl_xlsx",
        )
    )
    c3.download_button(
        **exports.download_args(
            t("forecast.download_html", lang),
            lambda: figure_html(fig, title=f"Shopcast · {label}", lang=lang),
            f"{stem}_{_slug(series)}.html",
            "fc_dl_html",
            icon=":material/monitoring:",
        )
    )


def _slug(text: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in str(text))
    return keep.strip("_")[:40] or "series"


def share_link(result: Result, series: str, models: list[str], lang: str) -> None:
    """Keep the view in the page's URL, and show the link to copy.

    Only an up-to-date forecast is linked: an outdated one would reopen as
    something else.
    """
    if actions.stale_reasons():
        return
    params = share.view_params(series, models, list(result.models))
    share.write(params)
    with st.expander(t("views.link.title", lang), icon=":material/link:"):
        st.caption(t("views.link.help", lang))
        st.code(_page_url(params), language=None, wrap_lines=True)


def _page_url(params: dict[str, list[str]]) -> str:
    from urllib.parse import urlencode

    try:
        base = str(st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - older servers / tests: a relative link
        base = ""
    return f"{base or '/Forecast'}?{urlencode(params, doseq=True)}"
