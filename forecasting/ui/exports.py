"""Tables and downloads of a forecast: frames in, display frames or bytes out.

No streamlit here, so the exports are testable without an app.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd

from forecasting.charts.forecast import model_label, series_label
from forecasting.i18n import t
from forecasting.schema import DS, ID, hi_col, levels_of, lo_col, model_aliases


def forecast_table(
    forecast: pd.DataFrame,
    lang: str,
    series: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    levels: Sequence[float] | None = None,
) -> pd.DataFrame:
    """The forecast with translated headers, rounded, for display or Excel.

    Args:
        forecast: forecast contract frame.
        lang: "zh" or "en".
        series: ids to keep (all when None).
        models: aliases to keep (all when None).
        levels: band levels to keep (all when None).
    """
    fc = forecast if series is None else forecast[forecast[ID].astype(str).isin(series)]
    aliases = [m for m in model_aliases(forecast) if models is None or m in models]
    out = pd.DataFrame(
        {
            t("forecast.col.series", lang): [series_label(s, lang) for s in fc[ID]],
            t("forecast.col.date", lang): pd.to_datetime(fc[DS]).dt.date,
        }
    )
    for alias in aliases:
        name = model_label(alias, lang)
        out[name] = fc[alias].round(1).to_numpy()
        for lv in levels_of(forecast, alias):
            if levels is not None and float(lv) not in {float(x) for x in levels}:
                continue
            out[t("forecast.col.lo", lang, model=name, level=lv)] = (
                fc[lo_col(alias, lv)].round(1).to_numpy()
            )
            out[t("forecast.col.hi", lang, model=name, level=lv)] = (
                fc[hi_col(alias, lv)].round(1).to_numpy()
            )
    return out.reset_index(drop=True)


def to_csv(forecast: pd.DataFrame) -> bytes:
    """The forecast contract as CSV (UTF-8 with BOM, so Excel shows Chinese correctly)."""
    out = forecast.copy()
    out[DS] = pd.to_datetime(out[DS]).dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False).encode("utf-8-sig")


def to_excel(
    forecast: pd.DataFrame, lang: str, settings: Mapping[str, object] | None = None
) -> bytes:
    """An .xlsx workbook: the translated forecast table, plus a settings sheet."""
    buf = io.BytesIO()
    table = forecast_table(forecast, lang)
    with pd.ExcelWriter(buf, engine="xlsxwriter") as xl:
        sheet = t("nav.forecast", lang)[:31]
        table.to_excel(xl, sheet_name=sheet, index=False)
        ws = xl.sheets[sheet]
        ws.freeze_panes(1, 2)
        for i, col in enumerate(table.columns):
            width = max(10, min(28, len(str(col)) * (2 if lang == "zh" else 1) + 2))
            ws.set_column(i, i, width)
        if settings:
            pd.DataFrame(
                {"key": list(settings), "value": [str(v) for v in settings.values()]}
            ).to_excel(xl, sheet_name="settings", index=False)
    return buf.getvalue()
