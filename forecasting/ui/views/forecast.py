"""Forecast page: the chart with bands and festivals, the table, downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from forecasting.charts import forecast as charts
from forecasting.charts.forecast import figure_html, model_label, series_label
from forecasting.i18n import t
from forecasting.ui import cache, exports, state, widgets
from forecasting.ui.defaults import base_freq
from forecasting.ui.messages import md_escape
from forecasting.ui.nav import PAGES

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from forecasting.ui.training import Result


def require_result(lang: str) -> Result:
    """The session's forecast; stops the page with a link home when there is none."""
    result = state.current_result()
    if result is None:
        st.info(t("forecast.none", lang), icon=":material/info:")
        st.page_link(PAGES["home"], label=t("forecast.go_home", lang), icon=":material/home:")
        st.stop()
    return result


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


def chart(
    result: Result, series: str, models: list[str], levels: list, festivals_on: bool, lang: str
) -> go.Figure:
    """Draw the forecast of one series (bands, festivals as chosen); returns the figure."""
    start, end = result.history["ds"].min(), result.forecast["ds"].max()
    festivals = cache.festivals(start, end, lang) if festivals_on else None
    fig = charts.forecast_figure(
        result.history, result.forecast, series, models, levels, lang, festivals=festivals
    )
    st.plotly_chart(fig, theme=None, config={"displaylogo": False}, key="fc_chart")
    return fig


def table_section(result: Result, series: str, models: list[str], levels: list, lang: str) -> None:
    """The forecast of the chosen series as a table (models and bands as on the chart)."""
    st.markdown(f"**{t('forecast.table', lang)}**")
    widgets.table(exports.forecast_table(result.forecast, lang, [series], models, levels))


def downloads(result: Result, fig: go.Figure, series: str, lang: str) -> None:
    """CSV and Excel of the whole forecast, and the current chart as HTML.

    The files are built only when a button is clicked (deferred ``data``), so a
    rerun does not pay for a 4 MB HTML page nobody asked for.
    """
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
