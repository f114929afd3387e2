"""The stakeholder report: one self-contained HTML page a manager can forward or print.

Pure builder, no streamlit: frames in, HTML text out. The page needs no network
to open (no scripts, no external styles or fonts: the chart is static SVG drawn
here), stays small (tens of kB), and prints to PDF as it looks (``reports.pdf``).

Sections: title with the data's name and date; the summary in words
(``reports.summary``); the chart of the shop total (history, last year's line,
the recommended model with its band, festivals); a KPI table; every model's
total; the recommended model's accuracy in a quick backtest; the top series by
forecast volume with their growth; and, when given, the scenario comparison.

Every value taken from the data (file name, series, scenario names) is escaped
with ``safe.escape_html``: a SKU named ``<script>`` is shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from forecasting.i18n import t
from forecasting.reports import summary as sm
from forecasting.reports.safe import escape_html
from forecasting.schema import DS, ID, SCENARIO, model_aliases

__all__ = [
    "PREFERRED_MODEL",
    "build_report",
    "chart_svg",
    "recommended_model",
]

PREFERRED_MODEL = "auto"  # recommended when trained: per series, the backtest's best member
TOP_SERIES = 10
FONT = '"WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif'
INK, MUTED, GRID = "#1F2333", "#8A90A6", "#E6E8EF"
FORECAST_COLOR, LAST_YEAR_COLOR, FESTIVAL_COLOR = "#E4572E", "#9AA0B4", "#8A90A6"
W, H = 960, 380  # chart viewBox; it scales to the page width
PAD = {"l": 72, "r": 18, "t": 46, "b": 34}


def recommended_model(models: Sequence[str], preferred: str | None = None) -> str:
    """The model the report leads with: ``preferred`` when given and present, else
    ``auto`` when it was trained, else the first model.

    Raises:
        ValueError: ``models`` is empty.
    """
    models = list(models)
    if not models:
        raise ValueError("no models")
    for name in (preferred, PREFERRED_MODEL):
        if name and name in models:
            return name
    return models[0]


def build_report(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    freq: str,
    *,
    data_name: str,
    lang: str = "zh",
    recommended: str | None = None,
    level: float | None = sm.DEFAULT_LEVEL,
    accuracy: sm.Accuracy | None = None,
    accuracy_note: str = "",
    scenario_kpis: pd.DataFrame | None = None,
    country: str | None = None,
    created: str | None = None,
    series_name: str = "",
    top: int = TOP_SERIES,
) -> str:
    """The whole report page.

    Args:
        history: history contract frame (every series of the forecast).
        forecast: forecast contract frame (one or more models).
        freq: the data's frequency.
        data_name: the data's name (a file name), shown in the title (escaped).
        lang: "zh" (default) or "en".
        recommended: the model a backtest (or the user) recommended, led with
            (``recommended_model``); None: lead with ``auto`` or the first model, and
            the summary and header do not call it recommended.
        level: the band shown (the model's narrowest band when it lacks this one).
        accuracy: the recommended model's quick backtest (``summary.accuracy_from_cv``).
        accuracy_note: why there is no accuracy (shown instead), e.g. backtest skipped.
        scenario_kpis: ``planning.scenarios.kpis`` table; its totals become a section.
        country: festival calendar (default: China's e-commerce festivals).
        created: the date shown (default: now).
        series_name: what a series is (``商品``), for the top-series table's header.
        top: rows of the top-series table.

    Returns:
        The page's HTML text.
    """
    from forecasting.charts.forecast import model_label

    models = model_aliases(forecast)
    model = recommended_model(models, recommended)
    summ = sm.summarize(history, forecast, model, freq, level, country)
    label = model_label(model, lang)
    vouched = model == recommended  # False: led with, but nobody recommended it
    words = sm.sentences(summ, lang, accuracy, model_label=label, recommended=vouched)
    created = created or datetime.now().strftime("%Y-%m-%d %H:%M")
    body = [
        _header(data_name, created, summ, label, lang, recommended=vouched),
        _section(t("report.h.summary", lang), _list(words)),
        _section(t("report.h.chart", lang), _chart_block(history, forecast, summ, lang, label)),
        _section(
            t("report.h.kpis", lang),
            _kpi_table(summ, lang)
            + _models_table(history, forecast, models, model, summ, lang, recommended=vouched),
        ),
        _section(
            t("report.h.accuracy" if vouched else "report.h.accuracy_plain", lang),
            _accuracy_block(accuracy, accuracy_note, summ, lang),
        ),
    ]
    if forecast[ID].nunique() > 1:
        table = _top_table(history, forecast, model, freq, lang, series_name, top)
        body.append(_section(t("report.h.top", lang, n=min(top, forecast[ID].nunique())), table))
    if scenario_kpis is not None and len(scenario_kpis):
        body.append(_section(t("report.h.scenarios", lang), _scenario_table(scenario_kpis, lang)))
    body.append(f"<footer>{_list(_notes(summ, lang))}</footer>")
    title = t("report.title", lang, name=data_name)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape_html(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>"
    )


# ---------------------------------------------------------------- sections
def _section(title: str, inner: str) -> str:
    return f"<section><h2>{escape_html(title)}</h2>{inner}</section>"


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape_html(s)}</li>" for s in items) + "</ul>"


def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "", numeric: Sequence[int] = ()
) -> str:
    """A table; every cell is escaped here (callers pass plain text).

    ``numeric``: column positions aligned right (header and cells alike).
    """

    def cell(tag: str, i: int, text: str) -> str:
        align = " class='num'" if i in numeric else ""
        return f"<{tag}{align}>{escape_html(text)}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table class='{cls}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _header(
    name: str, created: str, s: sm.Summary, label: str, lang: str, recommended: bool = True
) -> str:
    meta = t(
        "report.meta" if recommended else "report.meta_plain",
        lang,
        name=name,
        created=created,
        n=s.periods,
        unit=t(f"report.unit.{_unit(s.freq)}", lang),
        range=sm.fmt_range(s.start, s.end, lang),
        model=label,
    )
    return (
        f"<header><h1>{escape_html(t('report.title', lang, name=name))}</h1>"
        f"<p class='meta'>{escape_html(meta)}</p></header>"
    )


def _kpi_table(s: sm.Summary, lang: str) -> str:
    unit = t(f"report.unit.{_unit(s.freq)}", lang)
    band = ""
    if s.lo is not None and s.hi is not None:
        band = t(
            "report.kpi.band",
            lang,
            level=f"{s.level:g}",
            lo=sm.fmt_number(s.lo, lang),
            hi=sm.fmt_number(s.hi, lang),
        )
    peak = sm.fmt_date(s.peak.ds, lang) + sm.peak_note(s, lang)
    rows = [
        [t("report.kpi.total", lang, n=s.periods, unit=unit), sm.fmt_number(s.total, lang), band],
        [
            t("report.kpi.yoy", lang),
            sm.fmt_pct(s.yoy_pct),
            _vs(s.last_year, s.last_year_start, s.last_year_end, lang),
        ],
        [
            t("report.kpi.pop", lang),
            sm.fmt_pct(s.pop_pct),
            _vs(s.previous, s.previous_start, s.previous_end, lang),
        ],
        [t("report.kpi.peak", lang), sm.fmt_number(s.peak.value, lang), peak],
    ]
    head = [t("report.col.kpi", lang), t("report.col.value", lang), t("report.col.detail", lang)]
    return _table(head, rows, "kpi")


def _vs(value: float | None, start, end, lang: str) -> str:
    if value is None:
        return t("report.kpi.no_data", lang)
    return t(
        "report.kpi.vs",
        lang,
        value=sm.fmt_number(value, lang),
        range=sm.fmt_range(start, end, lang),
    )


def _models_table(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    models: Sequence[str],
    chosen: str,
    s: sm.Summary,
    lang: str,
    recommended: bool = True,
) -> str:
    """Every model's horizon total: which number to use is marked, the others are context
    (``recommended=False``: the mark says "shown", not "recommended")."""
    from forecasting.charts.forecast import model_label

    if len(models) < 2:
        return ""
    rows = []
    for m in models:
        total = float(forecast[m].sum())
        mark = t("report.models.recommended" if recommended else "report.models.shown", lang)
        mark = mark if m == chosen else ""
        rows.append(
            [
                model_label(m, lang),
                sm.fmt_number(total, lang),
                sm.fmt_pct(sm.pct_change(total, s.last_year)),
                mark,
            ]
        )
    head = [
        t("report.col.model", lang),
        t("report.col.total", lang),
        t("report.kpi.yoy", lang),
        "",
    ]
    key = "report.models.caption" if recommended else "report.models.caption_plain"
    caption = f"<p class='note'>{escape_html(t(key, lang))}</p>"
    return caption + _table(head, rows, "models", numeric=(1, 2))


def _accuracy_block(acc: sm.Accuracy | None, note: str, s: sm.Summary, lang: str) -> str:
    if acc is None or not np.isfinite(acc.wape):
        return f"<p class='note'>{escape_html(note or t('report.accuracy.none', lang))}</p>"
    unit = t(f"report.unit.{_unit(s.freq)}", lang)
    rows = [
        [
            t("report.accuracy.wape", lang, per=t(f"report.per.{_unit(s.freq)}", lang)),
            sm.fmt_pct(acc.wape * 100, False),
        ],
        [
            t("report.accuracy.total", lang, h=acc.horizon, unit=unit),
            sm.fmt_pct(acc.total_error * 100, False),
        ],
    ]
    if acc.coverage is not None and acc.level is not None:
        rows.append(
            [
                t("report.accuracy.coverage", lang, level=f"{acc.level:g}"),
                sm.fmt_pct(acc.coverage * 100, False),
            ]
        )
    rows.append(
        [
            t("report.accuracy.windows", lang),
            t("report.accuracy.windows_value", lang, windows=acc.windows, h=acc.horizon, unit=unit),
        ]
    )
    text = sm.accuracy_sentence(acc, lang, s.freq)
    head = [t("report.col.metric", lang), t("report.col.value", lang)]
    return f"<p>{escape_html(text)}</p>" + _table(head, rows, "kpi")


def _top_table(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    model: str,
    freq: str,
    lang: str,
    series_name: str,
    top: int,
) -> str:
    from forecasting.charts.forecast import series_label

    grow = sm.series_growth(history, forecast, model, freq).head(top)
    rows = [
        [
            str(i + 1),
            series_label(r[ID], lang),
            sm.fmt_number(r["forecast"], lang),
            sm.fmt_pct(r["share"], False),
            sm.fmt_pct(r["yoy_pct"]),
            sm.fmt_pct(r["pop_pct"]),
        ]
        for i, r in grow.iterrows()
    ]
    head = [
        "#",
        series_name or t("report.col.series", lang),
        t("report.col.forecast", lang),
        t("report.col.share", lang),
        t("report.kpi.yoy", lang),
        t("report.kpi.pop", lang),
    ]
    return _table(head, rows, "top", numeric=(2, 3, 4, 5))


def _scenario_table(kpis: pd.DataFrame, lang: str) -> str:
    """The scenario totals (the ``total`` rows of a KPI table), baseline first."""
    rows_in = kpis[kpis["level"] == "total"] if "level" in kpis else kpis
    has_model = "model" in rows_in.columns
    rows = []
    for _, r in rows_in.iterrows():
        name = str(r[SCENARIO])
        if name == "baseline":
            name = t("report.scenario.baseline", lang)
        peak = r.get("peak_day")
        rows.append(
            ([str(r["model"])] if has_model else [])
            + [
                name,
                sm.fmt_number(r.get("units"), lang),
                sm.fmt_pct(r.get("incr_units_pct")),
                sm.fmt_number(r.get("gmv"), lang),
                sm.fmt_pct(r.get("incr_gmv_pct")),
                sm.fmt_date(peak, lang) if peak is not None and not pd.isna(peak) else "–",
            ]
        )
    head = ([t("report.col.model", lang)] if has_model else []) + [
        t("report.col.scenario", lang),
        t("report.col.units", lang),
        t("report.col.vs_baseline", lang),
        t("report.col.gmv", lang),
        t("report.col.vs_baseline", lang),
        t("report.kpi.peak", lang),
    ]
    first = 2 if has_model else 1
    return _table(head, rows, "scenarios", numeric=tuple(range(first, first + 4)))


def _notes(s: sm.Summary, lang: str) -> list[str]:
    notes = [t("report.note.total", lang)]
    if s.lo is not None:
        notes.append(t("report.note.band", lang, level=f"{s.level:g}"))
    notes.append(t("report.note.made_by", lang))
    return notes


# ---------------------------------------------------------------- chart
def _chart_block(
    history: pd.DataFrame, forecast: pd.DataFrame, s: sm.Summary, lang: str, label: str
) -> str:
    actual = sm.total_history(history)
    tot = sm.total_forecast(forecast, s.model, s.level)
    window = _history_window(s.freq, s.periods)
    shown = actual.iloc[-window:]
    dates = pd.DatetimeIndex(shown.index).append(pd.DatetimeIndex(tot[DS]))
    ly_dates = sm.last_year_dates(dates, s.freq)
    last_year = pd.Series(actual.reindex(ly_dates).to_numpy(), index=dates).dropna()
    festivals = _festivals(dates.min(), dates.max(), lang, s.country)
    svg = chart_svg(shown, tot, last_year, festivals, lang, label, s.level)
    return f"<figure>{svg}</figure>"


def _history_window(freq: str, h: int) -> int:
    """History periods drawn: four horizons, at least ~3 months, 26 weeks or 2 years."""
    least = {"D": 90, "W": 26, "MS": 24}[_unit(freq)]
    return max(4 * h, least)


def _festivals(start, end, lang: str, country: str | None) -> pd.DataFrame:
    from forecasting.data.festivals import DEFAULT_COUNTRY, festival_markers

    try:
        return festival_markers(start, end, lang, country=country or DEFAULT_COUNTRY)
    except Exception:  # noqa: BLE001 - markers are decoration; a calendar gap must not stop a report
        return pd.DataFrame(columns=["holiday", DS, "label"])


def chart_svg(
    history: pd.Series,
    total: pd.DataFrame,
    last_year: pd.Series | None = None,
    festivals: pd.DataFrame | None = None,
    lang: str = "zh",
    model_label: str = "",
    level: float | None = None,
) -> str:
    """A static SVG chart of the total: history, last year, forecast with band, festivals.

    Args:
        history: actual units by date (index ``ds``).
        total: ``summary.total_forecast`` output (``ds, mean`` and maybe ``lo, hi``).
        last_year: last year's units on this chart's dates (index: the dates drawn at).
        festivals: ``holiday, ds, label`` markers (``festivals.festival_markers``).
        lang: "zh" or "en".
        model_label: name of the forecast line in the legend.
        level: the band's level, for the legend.

    Returns:
        ``<svg>`` text; every label is escaped. Points of the forecast carry a
        ``<title>`` (date and value) that a browser shows on hover.
    """
    fx = pd.DatetimeIndex(total[DS])
    xs = pd.DatetimeIndex(history.index).append(fx)
    if last_year is not None and len(last_year):
        xs = xs.append(pd.DatetimeIndex(last_year.index))
    x0, x1 = xs.min(), xs.max()
    values = [history.to_numpy(float), total["mean"].to_numpy(float)]
    if "hi" in total:
        values.append(total["hi"].to_numpy(float))
    if last_year is not None:
        values.append(last_year.to_numpy(float))
    v = np.concatenate(values)
    v = v[np.isfinite(v)]
    ticks = _nice_ticks(0.0, float(v.max()) if len(v) else 1.0)
    ymax = ticks[-1]
    span = max((x1 - x0).total_seconds(), 1.0)
    pw, ph = W - PAD["l"] - PAD["r"], H - PAD["t"] - PAD["b"]

    def sx(d) -> float:
        return PAD["l"] + (pd.Timestamp(d) - x0).total_seconds() / span * pw

    def sy(y: float) -> float:
        return PAD["t"] + ph - (float(y) / ymax) * ph

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {W} {H}' role='img' "
        f"class='chart' font-family='{escape_html(FONT)}' font-size='12'>",
        f"<desc>{escape_html(t('report.chart.desc', lang))}</desc>",
    ]
    parts += _y_axis(ticks, sy, lang)
    parts += _x_axis(x0, x1, sx, lang)
    parts += _festival_marks(festivals, x0, x1, sx)
    if "lo" in total and "hi" in total:
        up = [f"{sx(d):.1f},{sy(y):.1f}" for d, y in zip(fx, total["hi"], strict=True)]
        dn = [f"{sx(d):.1f},{sy(y):.1f}" for d, y in zip(fx[::-1], total["lo"][::-1], strict=True)]
        parts.append(
            f"<polygon points='{' '.join(up + dn)}' fill='{FORECAST_COLOR}' "
            "fill-opacity='0.18' stroke='none'/>"
        )
    start = sx(fx.min()) if len(fx) else PAD["l"] + pw
    parts.append(
        f"<line x1='{start:.1f}' x2='{start:.1f}' y1='{PAD['t']}' y2='{PAD['t'] + ph}' "
        f"stroke='{MUTED}' stroke-dasharray='4 3'/>"
        f"<text x='{start + 4:.1f}' y='{PAD['t'] + 12}' fill='{MUTED}' font-size='11'>"
        f"{escape_html(t('report.chart.forecast_start', lang))}</text>"
    )
    if last_year is not None and len(last_year):
        parts.append(_polyline(last_year.index, last_year, sx, sy, LAST_YEAR_COLOR, 1.4, "5 4"))
    parts.append(_polyline(history.index, history, sx, sy, INK, 1.6))
    parts.append(_polyline(fx, total["mean"], sx, sy, FORECAST_COLOR, 2.4))
    for d, y in zip(fx, total["mean"], strict=True):
        tip = f"{d:%Y-%m-%d}: {sm.fmt_number(float(y), lang)}"
        parts.append(
            f"<circle cx='{sx(d):.1f}' cy='{sy(y):.1f}' r='2.6' fill='{FORECAST_COLOR}'>"
            f"<title>{escape_html(tip)}</title></circle>"
        )
    parts += _legend(
        lang, model_label, level, "lo" in total, last_year is not None and len(last_year) > 0
    )
    parts.append("</svg>")
    return "".join(parts)


def _polyline(xs, ys, sx, sy, color: str, width: float, dash: str = "") -> str:
    pts = " ".join(
        f"{sx(d):.1f},{sy(y):.1f}" for d, y in zip(xs, ys, strict=True) if np.isfinite(y)
    )
    extra = f" stroke-dasharray='{dash}'" if dash else ""
    return (
        f"<polyline points='{pts}' fill='none' stroke='{color}' stroke-width='{width}' "
        f"stroke-linejoin='round'{extra}/>"
    )


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values from ``lo`` covering ``hi`` (1, 2, 2.5, 5 x 10^k)."""
    hi = hi if hi > lo else lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    top = np.ceil(hi / step) * step
    return [float(x) for x in np.arange(lo, top + step / 2, step)]


def _y_axis(ticks: list[float], sy, lang: str) -> list[str]:
    out = []
    for v in ticks:
        y = sy(v)
        out.append(
            f"<line x1='{PAD['l']}' x2='{W - PAD['r']}' y1='{y:.1f}' y2='{y:.1f}' "
            f"stroke='{GRID}'/>"
            f"<text x='{PAD['l'] - 8}' y='{y + 4:.1f}' text-anchor='end' fill='{MUTED}'>"
            f"{escape_html(sm.fmt_number(v, lang))}</text>"
        )
    return out


def _x_axis(x0: pd.Timestamp, x1: pd.Timestamp, sx, lang: str) -> list[str]:
    """Month ticks (every second or third month on long charts), else weekly ticks."""
    days = (x1 - x0).days
    if days > 70:
        every = 1 if days <= 400 else 3 if days <= 1200 else 6
        ticks = pd.date_range(x0.normalize() + pd.offsets.MonthBegin(0), x1, freq=f"{every}MS")
    else:
        ticks = pd.date_range(x0.normalize(), x1, freq="7D")
    months = t("report.months", lang).split(",")
    out, y = [], H - PAD["b"]
    for i, d in enumerate(ticks):
        if days > 70:
            text = months[d.month - 1]
            if i == 0 or d.month == 1:
                text = t("report.chart.month_year", lang, month=text, y=d.year)
        else:
            text = sm.fmt_date(d, lang, year=False)
        x = sx(d)
        out.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{y}' y2='{y + 4}' stroke='{MUTED}'/>"
            f"<text x='{x:.1f}' y='{y + 18}' text-anchor='middle' fill='{MUTED}'>"
            f"{escape_html(text)}</text>"
        )
    out.append(f"<line x1='{PAD['l']}' x2='{W - PAD['r']}' y1='{y}' y2='{y}' stroke='{MUTED}'/>")
    return out


def _festival_marks(festivals: pd.DataFrame | None, x0, x1, sx) -> list[str]:
    if festivals is None or festivals.empty:
        return []
    out = []
    top, bottom = PAD["t"], H - PAD["b"]
    fest = festivals[(festivals[DS] >= x0) & (festivals[DS] <= x1)]
    for _, r in fest.iterrows():
        x = sx(r[DS])
        near_end = x > W - PAD["r"] - 90  # the label would run off the chart: put it left
        out.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top}' y2='{bottom}' stroke='{FESTIVAL_COLOR}' "
            "stroke-dasharray='2 3'/>"
            f"<text x='{x - 3 if near_end else x + 3:.1f}' y='{top + 26}' "
            f"text-anchor='{'end' if near_end else 'start'}' fill='{FESTIVAL_COLOR}' "
            f"font-size='11'>{escape_html(r['label'])}</text>"
        )
    return out


def _legend(lang: str, model: str, level: float | None, band: bool, last_year: bool) -> list[str]:
    items = [(INK, "", t("report.chart.history", lang))]
    if last_year:
        items.append((LAST_YEAR_COLOR, "5 4", t("report.chart.last_year", lang)))
    items.append((FORECAST_COLOR, "", t("report.chart.forecast", lang, model=model)))
    out, x = [], PAD["l"]
    for color, dash, text in items:
        extra = f" stroke-dasharray='{dash}'" if dash else ""
        out.append(
            f"<line x1='{x}' x2='{x + 22}' y1='16' y2='16' stroke='{color}' stroke-width='2.4'"
            f"{extra}/><text x='{x + 28}' y='20'>{escape_html(text)}</text>"
        )
        x += 40 + 13 * len(text) if lang == "zh" else 40 + 7 * len(text)
    if band and level is not None:
        text = t("report.chart.band", lang, level=f"{level:g}")
        out.append(
            f"<rect x='{x}' y='9' width='22' height='14' fill='{FORECAST_COLOR}' "
            f"fill-opacity='0.18'/><text x='{x + 28}' y='20'>{escape_html(text)}</text>"
        )
    return out


def _unit(freq: str) -> str:
    base = str(freq).upper().split("-")[0]
    return "W" if base.startswith("W") else "MS" if base in ("MS", "M") else "D"


CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#F5F6FA;color:{INK};font-family:{FONT};font-size:14px;line-height:1.6}}
main{{max-width:1000px;margin:0 auto;padding:24px 28px;background:#fff}}
h1{{font-size:24px;margin:0 0 4px}}
h2{{font-size:17px;margin:22px 0 8px;padding-bottom:4px;border-bottom:2px solid {FORECAST_COLOR}}}
.meta,.note,footer{{color:#5C6279;font-size:12.5px}}
ul{{margin:6px 0;padding-left:20px}}
li{{margin:3px 0}}
figure{{margin:0}}
svg.chart{{width:100%;height:auto;display:block}}
table{{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}}
th,td{{border-bottom:1px solid {GRID};padding:5px 8px;text-align:left;vertical-align:top}}
th{{background:#F5F6FA;font-weight:600}}
td{{font-variant-numeric:tabular-nums}}
th.num,td.num{{text-align:right}}
table.top th:first-child{{width:2.5em}}
footer{{margin-top:24px;border-top:1px solid {GRID};padding-top:8px}}
@media (max-width:640px){{main{{padding:16px 12px}}table{{font-size:12px}}
th,td{{padding:4px 5px}}}}
@page{{size:A4;margin:12mm}}
@media print{{body{{background:#fff}}main{{padding:0;max-width:none}}
section{{break-inside:avoid}}h2{{break-after:avoid}}}}
"""
