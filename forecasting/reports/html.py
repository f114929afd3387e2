"""A forecast as one self-contained HTML page: one chart per series, plotly.js inlined once.

Every data-derived string is inert: series names in headings are HTML-escaped,
and the chart builders pass names through ``charts.style.plotly_text``.
"""

from __future__ import annotations

import pandas as pd

from forecasting.i18n import t
from forecasting.reports.safe import escape_html
from forecasting.schema import ID

__all__ = ["MAX_SERIES", "forecast_page"]

MAX_SERIES = 50  # charts on one page; more make a page no browser opens comfortably


def forecast_page(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    lang: str = "zh",
    title: str = "Shopcast",
    max_series: int = MAX_SERIES,
) -> str:
    """HTML page with the forecast chart of each series (the first ``max_series``).

    Args:
        history: history contract frame (``unique_id, ds, y``).
        forecast: forecast contract frame.
        lang: "zh" or "en" for labels.
        title: the page's title (escaped).
        max_series: most charts on the page; a note says when series were left out.

    Returns:
        The page's text.
    """
    from forecasting.charts.forecast import forecast_figure, series_label

    ids = list(pd.unique(forecast[ID].astype(str)))
    shown = ids[:max_series]
    parts = []
    for i, sid in enumerate(shown):
        fig = forecast_figure(history, forecast, sid, lang=lang)
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=i == 0,
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(f"<section><h2>{escape_html(series_label(sid, lang))}</h2>{div}</section>")
    note = ""
    if len(ids) > len(shown):
        text = t("report.html_more_series", lang, shown=len(shown), n=len(ids))
        note = f"<p>{escape_html(text)}</p>"
    return (
        f"<!DOCTYPE html><html lang='{escape_html(lang)}'><head><meta charset='utf-8'>"
        f"<title>{escape_html(title)}</title></head><body>"
        f"<h1>{escape_html(title)}</h1>{note}{''.join(parts)}</body></html>"
    )
