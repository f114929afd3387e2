"""Forecast page pieces: the summary in words and the report downloads (HTML, PDF).

The lead wires these into the Forecast page::

    from forecasting.ui.views import report
    report.summary(result, lang)
    report.report_buttons(result, lang)

Both lead with the recommended model (``reports.report.recommended_model``:
``auto`` when trained, else the first model, unless ``recommended`` names one).
The files are built only when a button is clicked (deferred ``data``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from forecasting.i18n import t
from forecasting.ui.messages import md_escape

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.reports.summary import Accuracy
    from forecasting.ui.training import Result


def summary_sentences(
    result: Result,
    lang: str,
    recommended: str | None = None,
    accuracy: Accuracy | None = None,
) -> list[str]:
    """The summary in words of ``result`` (plain sentences)."""
    from forecasting.charts.forecast import model_label
    from forecasting.reports import summary as sm
    from forecasting.reports.report import recommended_model

    model = recommended_model(result.models, recommended)
    summ = sm.summarize(
        result.history, result.forecast, model, result.freq, sm.DEFAULT_LEVEL, _country(result)
    )
    return sm.sentences(
        summ, lang, accuracy, model_label=model_label(model, lang), recommended=model == recommended
    )


def summary(
    result: Result,
    lang: str,
    recommended: str | None = None,
    accuracy: Accuracy | None = None,
) -> None:
    """Show the summary in words (every sentence Markdown-escaped)."""
    if not result.models:
        return
    lines = summary_sentences(result, lang, recommended, accuracy)
    st.markdown(f"**{t('report.h.summary', lang)}**")
    st.markdown("\n".join(f"- {md_escape(s)}" for s in lines))


def report_html(
    result: Result,
    lang: str,
    recommended: str | None = None,
    accuracy: Accuracy | None = None,
    scenario_kpis: pd.DataFrame | None = None,
) -> str:
    """The stakeholder report page of ``result`` (``reports.report.build_report``)."""
    from forecasting.reports.report import build_report

    level = str(result.level)
    return build_report(
        result.history,
        result.forecast,
        result.freq,
        data_name=result.data_name,
        lang=lang,
        recommended=recommended,
        accuracy=accuracy,
        accuracy_note=t("report.ui.no_accuracy", lang),
        scenario_kpis=scenario_kpis,
        country=_country(result),
        created=result.created,
        series_name="" if level == "total" else level,
    )


def report_buttons(
    result: Result,
    lang: str,
    recommended: str | None = None,
    accuracy: Accuracy | None = None,
    scenario_kpis: pd.DataFrame | None = None,
) -> None:
    """Download buttons for the report as HTML and as PDF (disabled without Chromium)."""
    from forecasting.reports.pdf import chromium_path, html_to_pdf
    from forecasting.ui.exports import download_args

    if not result.models:
        return
    stem = f"shopcast_report_{result.created[:10]}"

    def html() -> bytes:
        return report_html(result, lang, recommended, accuracy, scenario_kpis).encode("utf-8")

    def pdf() -> bytes:
        return html_to_pdf(report_html(result, lang, recommended, accuracy, scenario_kpis))

    c1, c2 = st.columns(2)
    label = t("report.ui.download_html", lang)
    c1.download_button(**download_args(label, html, f"{stem}.html", "fc_dl_report_html"))
    chromium = chromium_path()
    c2.download_button(
        **download_args(
            t("report.ui.download_pdf", lang),
            pdf if chromium else b"",
            f"{stem}.pdf",
            "fc_dl_report_pdf",
            disabled=chromium is None,
            help=None if chromium else t("report.ui.no_chromium", lang),
        )
    )


def _country(result: Result) -> str | None:
    """The holiday calendar the models were trained with (``country`` in their params)."""
    for params in result.config.model_params.values():
        if isinstance(params, dict) and params.get("country"):
            return str(params["country"])
    return None


def latest_scenario_kpis() -> pd.DataFrame | None:
    """The KPI table of this session's latest scenario comparison (Scenarios page), if any."""
    import pandas as pd

    from forecasting.ui import cache

    last = st.session_state.get("sc_last")
    comp = cache.RESULTS.get(last[1]) if last else None
    kpis = getattr(comp, "kpis", None)
    return kpis if isinstance(kpis, pd.DataFrame) and not kpis.empty else None
