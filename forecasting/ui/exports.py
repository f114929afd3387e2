"""Tables and downloads of a forecast: frames in, display frames or bytes out.

No streamlit here, so the exports are testable without an app. Files go through
``forecasting.reports`` (the one Excel writer, inert CSV), so a SKU named
``=HYPERLINK(...)`` stays text in every download.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.charts.forecast import model_label, series_label
from forecasting.i18n import t
from forecasting.reports.excel import workbook_bytes
from forecasting.reports.safe import csv_bytes
from forecasting.schema import DS, ID, hi_col, levels_of, lo_col, model_aliases

if TYPE_CHECKING:
    from forecasting.ui.training import Result

# Per file ending: the MIME type of the download and its button's icon.
FILE_KINDS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", ":material/download:"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ":material/table_view:",
    ),
    "html": ("text/html", ":material/description:"),
    "pdf": ("application/pdf", ":material/picture_as_pdf:"),
}


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


def to_csv(
    forecast: pd.DataFrame,
    lang: str | None = None,
    series: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    levels: Sequence[float] | None = None,
) -> bytes:
    """The forecast as inert CSV (UTF-8 with BOM, so Excel shows Chinese correctly).

    With ``lang``: the table as on screen (``forecast_table``: headers in that
    language, one decimal, the chosen series, models and bands). Without: the
    forecast contract's own columns (``unique_id, ds, Alias-lo-80``...) for
    programs. Text cells a spreadsheet would evaluate (``=...``, ``+...``,
    ``-...``, ``@...``) get a leading ``'``; numbers, negative ones included,
    stay numbers.
    """
    if lang is not None:
        return csv_bytes(forecast_table(forecast, lang, series, models, levels))
    out = forecast.copy()
    out[DS] = pd.to_datetime(out[DS]).dt.strftime("%Y-%m-%d")
    return csv_bytes(out)


def run_settings(
    result: Result,
    lang: str,
    series: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
) -> dict[str, str]:
    """What a forecast was made from, in words of ``lang`` (the Excel settings sheet).

    Args:
        result: the forecast.
        lang: "zh" or "en".
        series: the series exported (all when None).
        models: the models exported (all when None).
    """
    from forecasting.ui.defaults import base_freq

    sep = "、" if lang == "zh" else ", "
    level = (
        t("level.total", lang)
        if result.level == "total"
        else t("level.by", lang, column=result.level)
    )
    unit = t(f"unit.{base_freq(result.freq)}", lang)
    shown = [m for m in result.models if models is None or m in models]
    if series is None:
        scope = t("views.export.scope_all", lang)
    else:
        names = sep.join(series_label(s, lang) for s in series)
        scope = t("views.export.scope_some", lang, series=names)
    return {
        "data": result.data_name,
        "level": level,
        "freq": t(f"freq.{base_freq(result.freq)}", lang),
        "horizon": f"{result.config.horizon} {unit}",
        "levels": sep.join(f"{int(lv)}%" for lv in sorted(result.config.levels)) or "-",
        "models": sep.join(model_label(m, lang) for m in shown),
        "plan": result.plan_name or t("views.export.no_plan", lang),
        "scope": scope,
        "created": result.created,
    }


def settings_table(settings: Mapping[str, object], lang: str) -> pd.DataFrame:
    """The run's settings as a two-column table with translated headers and names.

    A setting without a translation (``export.setting.<key>``) keeps its key.
    """
    names = []
    for key in settings:
        msg = f"export.setting.{key}"
        text = t(msg, lang)
        names.append(key if text == msg else text)
    return pd.DataFrame(
        {
            t("export.setting.key", lang): names,
            t("export.setting.value", lang): [str(v) for v in settings.values()],
        }
    )


def to_excel(
    forecast: pd.DataFrame,
    lang: str,
    settings: Mapping[str, object] | None = None,
    series: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    levels: Sequence[float] | None = None,
) -> bytes:
    """An .xlsx workbook: the translated forecast table, plus a settings sheet.

    ``series``, ``models`` and ``levels`` narrow the table as in ``forecast_table``.
    Written by ``forecasting.reports.excel.workbook_bytes``: strings never become
    formulas and text cells that would be evaluated are neutralised.
    """
    sheets = {t("nav.forecast", lang): forecast_table(forecast, lang, series, models, levels)}
    if settings:
        sheets[t("export.settings_sheet", lang)] = settings_table(settings, lang)
    return workbook_bytes(sheets, freeze_cols=2)


def download_args(label: str, data: Any, file_name: str, key: str, **extra: Any) -> dict[str, Any]:
    """The arguments of ``st.download_button`` for a file of the app (the call stays in
    the view: no streamlit here).

    The MIME type and the icon follow the file's ending (``FILE_KINDS``). ``data`` may
    be a function, so the file is built only when the button is clicked; a click does
    not rerun the page (``on_click="ignore"``) and the button fills its column.
    ``extra`` adds or replaces arguments (``icon``, ``disabled``, ``help``...).
    """
    mime, icon = FILE_KINDS[file_name.rsplit(".", 1)[-1]]
    return {
        "label": label,
        "data": data,
        "file_name": file_name,
        "mime": mime,
        "icon": icon,
        "on_click": "ignore",
        "width": "stretch",
        "key": key,
        **extra,
    }
