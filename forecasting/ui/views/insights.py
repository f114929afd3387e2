"""Forecast-page insights: which forecast to use, what drives it, and how it compares.

* :func:`recommendation` — "推荐：<model> · typically within ±x% over N days", from the
  Backtest page's report for the same data when there is one, else from the inner
  backtest of a trained ``auto``/``ensemble``, else a hint to run the Backtest page.
  Returns the recommended model's name so the page can mark it (chart, table, files).
* :func:`explanation` — an expander with the chosen series' forecast split into
  trend, weekly/yearly season, festivals and promotions & price, with a caption in words.
* :func:`kpi_cards` — total units over the horizon, vs the same dates last year and
  vs the previous period.

The logic is in the library (``evaluation.recommend``, ``models.explain``,
``charts.explain``, ``reports.summary``); this module only fetches and renders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from forecasting.charts.forecast import model_label
from forecasting.charts.style import plotly_config
from forecasting.i18n import t
from forecasting.schema import DS, ID, Y
from forecasting.ui.messages import md_escape

if TYPE_CHECKING:
    from forecasting.evaluation.recommend import Recommendation
    from forecasting.ui.training import Result
    from forecasting.ui.views.backtest import Report

LOW_COVERAGE = 10.0  # points below the nominal level that earn a warning (66% for 80%)


# ------------------------------------------------------------- recommendation
def same_data(report: Report, result: Result) -> bool:
    """Whether a Backtest-page report was run on the forecast's data (same frequency,
    series and the same actuals over the report's context window)."""
    if report is None or report.freq != result.freq:
        return False
    ctx = report.history
    if ctx is None or ctx.empty:
        return False
    hist = result.history.loc[result.history[DS] >= ctx[DS].min(), [ID, DS, Y]]
    a = hist.astype({ID: str}).sort_values([ID, DS]).reset_index(drop=True)
    b = ctx[[ID, DS, Y]].astype({ID: str}).sort_values([ID, DS]).reset_index(drop=True)
    return a.shape == b.shape and bool(
        (a[ID].to_numpy() == b[ID].to_numpy()).all()
        and (a[DS].to_numpy() == b[DS].to_numpy()).all()
        and np.allclose(a[Y].to_numpy(float), b[Y].to_numpy(float), equal_nan=True)
    )


def _fitted(result: Result, name: str) -> Any | None:
    """The fitted model behind ``name`` from the app's caches (memory, then disk)."""
    from forecasting.ui import cache

    info = result.runs.get(name)
    if info is not None and info.status == "failed":
        return None
    try:
        model, _, _ = cache.fitted_model(
            result.history, result.freq, name, result.config, result.data_key
        )
    except Exception:  # noqa: BLE001 - an insight must never take the page down
        return None
    return model


def find_recommendation(
    result: Result, report: Report | None = None
) -> tuple[Recommendation | None, bool]:
    """The recommendation for ``result`` and whether a report of other data was ignored.

    ``report`` (default: the session's latest Backtest-page report) is used when it
    was run on the same data; otherwise the inner backtest of a trained
    ``auto``/``ensemble`` is. Only models with a forecast may be recommended.
    """
    from forecasting.evaluation.recommend import recommend, recommend_from_models
    from forecasting.models import combining_models

    if report is None:
        from forecasting.ui.views.backtest import stored_report

        report = stored_report()
    ignored = False
    if report is not None:
        if same_data(report, result):
            rec = recommend(report.result, candidates=result.models)
            if rec is not None:
                return rec, False
        else:
            ignored = True
    combos = [m for m in result.models if m in combining_models()]
    fitted = {m: model for m in combos if (model := _fitted(result, m)) is not None}
    rec = recommend_from_models(fitted, int(result.config.horizon), candidates=result.models)
    return rec, ignored


def recommendation(result: Result, lang: str, report: Report | None = None) -> str | None:
    """Show the recommended forecast and its expected error; return its model name.

    Args:
        result: the session's forecast.
        lang: "zh" or "en".
        report: a Backtest-page report (default: the session's latest, when it is of
            the same data).

    Returns:
        The recommended model alias, or None (a hint to run the Backtest page is shown).
    """
    from forecasting.evaluation.recommend import expected_error_text

    rec, ignored = find_recommendation(result, report)
    if rec is None:
        st.info(t("insights.rec.none", lang), icon=":material/lightbulb:")
        if ignored:
            st.caption(t("insights.rec.other_data", lang))
        return None
    label = model_label(rec.model, lang)
    error = expected_error_text(rec, None, result.freq, lang)
    st.success(t("insights.rec.title", lang, model=label, error=error), icon=":material/verified:")
    for line in evidence_lines(rec, lang):
        st.caption(line)
    if _low_coverage(rec):
        st.warning(
            t(
                "insights.rec.coverage_low",
                lang,
                model=label,
                level=f"{rec.level:g}",
                coverage=_pct(rec.coverage),
            ),
            icon=":material/warning:",
        )
    return rec.model


def evidence_lines(rec: Recommendation, lang: str) -> list[str]:
    """Where the recommendation comes from, why this model, and every model's error."""
    from forecasting.evaluation.recommend import INNER

    combos = ", ".join(model_label(m, lang) for m in rec.passed_over) or model_label("auto", lang)
    if rec.source == INNER:
        inner = [m for m, _ in rec.ranking if _is_combo(m)]
        names = ", ".join(model_label(m, lang) for m in inner) or combos
        source = t("insights.rec.source.inner", lang, combo=names)
    else:
        source = t("insights.rec.source.backtest", lang)
    text = t(
        "insights.rec.evidence",
        lang,
        source=source,
        windows=rec.windows,
        series=rec.series,
        wape=_pct(rec.wape),
    )
    if rec.coverage is not None and rec.level is not None:
        text += " " + t(
            "insights.rec.coverage", lang, level=f"{rec.level:g}", coverage=_pct(rec.coverage)
        )
    lines = [text]
    if rec.reason == "tie":
        lines.append(t("insights.rec.reason.tie", lang, model=model_label(rec.model, lang)))
    elif rec.reason == "member":
        lines.append(t("insights.rec.reason.member", lang, combo=combos))
    ranking = ", ".join(f"{model_label(m, lang)} {_pct(w)}" for m, w in rec.ranking)
    lines.append(t("insights.rec.ranking", lang, ranking=ranking))
    return lines


def _is_combo(name: str) -> bool:
    from forecasting.models import combining_models

    return name in combining_models()


def _low_coverage(rec: Recommendation) -> bool:
    return (
        rec.coverage is not None
        and rec.level is not None
        and rec.coverage * 100 < rec.level - LOW_COVERAGE
    )


def _pct(value: float | None) -> str:
    from forecasting.reports.summary import fmt_pct

    return fmt_pct(None if value is None else value * 100, False)


# ---------------------------------------------------------------- explanation
def explainable(result: Result) -> list[str]:
    """Models of ``result`` whose forecast can be split into components."""
    from forecasting.models import REGISTRY, get_class

    return [m for m in result.models if m in REGISTRY and hasattr(get_class(m), "components")]


@st.cache_data(show_spinner=False, max_entries=64)
def _components(
    data_key: str,
    name: str,
    model_key: str,
    horizon: int,
    series: str,
    future_key: str,
    _model: Any,
    _future: pd.DataFrame | None,
) -> pd.DataFrame:
    from forecasting.models.explain import explain

    return explain(_model, horizon, _future, series)


def _plan(result: Result) -> tuple[pd.DataFrame | None, str]:
    """The driver plan the forecast was made with (the session's, when still current)."""
    from forecasting.engine.forecast import data_key
    from forecasting.ui import actions

    try:
        view = actions.current_view() if not actions.stale_reasons() else None
    except Exception:  # noqa: BLE001 - no current data: explain without a plan
        view = None
    future = view.future if view is not None else None
    if future is None or not len(future):
        return None, ""
    return future, data_key(future, result.freq)


def _matches(detail: pd.DataFrame, result: Result, series: str, model: str) -> bool:
    """Whether the components add up to the forecast shown for ``series``."""
    from forecasting.models.explain import VALUE

    sums = detail.groupby(DS, observed=True)[VALUE].sum()
    fc = result.forecast.loc[result.forecast[ID].astype(str) == str(series)]
    shown = fc.set_index(DS)[model].reindex(sums.index).to_numpy(float)
    tol = 1e-6 * max(1.0, float(np.nanmax(np.abs(shown))) if len(shown) else 1.0) + 0.5
    return len(sums) > 0 and bool(np.all(np.abs(sums.to_numpy() - shown) <= tol))


def explanation(result: Result, series: str, lang: str) -> None:
    """What drives the forecast of ``series`` (Prophet, LightGBM), behind a toggle."""
    from forecasting.charts.explain import explanation_caption, explanation_figure
    from forecasting.models.explain import by_component

    # a toggle, not an expander: nothing is computed until the user asks
    if not st.toggle(t("insights.explain.expander", lang), key="ins_explain_on"):
        return
    with st.container(border=True):
        names = explainable(result)
        if not names:
            st.caption(t("insights.explain.none", lang))
            return
        st.caption(t("insights.explain.help", lang))
        name = names[0]
        if len(names) > 1:
            name = st.radio(
                t("insights.explain.model", lang),
                names,
                format_func=lambda m: model_label(m, lang),
                horizontal=True,
                key="ins_explain_model",
            )
        model = _fitted(result, name)
        if model is None:
            st.caption(t("insights.explain.none", lang))
            return
        future, fkey = _plan(result)
        h = int(result.config.horizon)
        key = result.config.model_key(name)
        detail = _components(result.data_key, name, key, h, str(series), fkey, model, future)
        if detail.empty:
            st.caption(t("insights.explain.no_series", lang))
            return
        if not _matches(detail, result, series, name):
            st.warning(t("insights.explain.mismatch", lang), icon=":material/update:")
            return
        fig = explanation_figure(by_component(detail), series, name, lang)
        st.plotly_chart(fig, theme=None, config=plotly_config(lang), key="ins_explain_chart")
        country = (result.config.model_params.get(name) or {}).get("country")
        st.markdown(md_escape(explanation_caption(detail, lang, country)))
        if hasattr(model, "booster_"):
            st.caption(t("insights.explain.lgbm_note", lang))


# ------------------------------------------------------------------ KPI cards
def kpi_cards(result: Result, series: str, model: str, lang: str) -> None:
    """Total units of ``model`` for ``series`` over the horizon, vs last year and the
    previous period (``reports.summary.summarize`` on that series)."""
    from forecasting.reports.summary import fmt_number, fmt_pct, fmt_range, summarize

    hist = result.history.loc[result.history[ID].astype(str) == str(series)]
    fc = result.forecast.loc[result.forecast[ID].astype(str) == str(series)]
    if fc.empty or model not in fc.columns:
        return
    s = summarize(hist, fc, model, result.freq, level=None)
    unit_key = "W" if str(result.freq).upper().startswith("W") else "D"
    if str(result.freq).upper().split("-")[0] in ("M", "MS", "ME"):
        unit_key = "MS"
    c1, c2, c3 = st.columns(3)
    c1.metric(
        t("insights.kpi.total", lang, n=s.periods, unit=t(f"insights.unit.{unit_key}", lang)),
        fmt_number(s.total, lang),
        help=t(
            "insights.kpi.total_help",
            lang,
            model=model_label(model, lang),
            range=fmt_range(s.start, s.end, lang),
        ),
    )
    for col, key, value, pct, start, end in (
        (c2, "yoy", s.last_year, s.yoy_pct, s.last_year_start, s.last_year_end),
        (c3, "pop", s.previous, s.pop_pct, s.previous_start, s.previous_end),
    ):
        missing = value is None
        col.metric(
            t(f"insights.kpi.{key}", lang),
            t("insights.kpi.missing", lang) if missing else fmt_number(value, lang),
            delta=None if pct is None else fmt_pct(pct),
            help=t(f"insights.kpi.{key}_help", lang, range=fmt_range(start, end, lang)),
        )
