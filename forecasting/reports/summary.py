"""The forecast in words: the numbers a manager asks for, then sentences in zh or en.

Pure functions, no streamlit. :func:`summarize` reduces a forecast to the shop
total of one model (the recommended one) and measures it against the past:

* ``total``: units over the horizon, with its band (``lo``..``hi``);
* ``last_year``: the same dates one year earlier (52 weeks for weekly data), so
  Double-11 is compared with last year's Double-11;
* ``previous``: the equal-length period just before the forecast starts;
* ``peak``: the period with the most units and the festival whose window holds it.

:func:`sentences` turns a :class:`Summary` (and an optional :class:`Accuracy`
from a quick backtest, :func:`accuracy_from_cv`) into translated sentences.

**The band of a sum.** A model gives a band per series and day, not for sums.
The total's band is approximated by adding the half-widths in quadrature,
``sqrt(sum((hi - mean)^2))`` above and ``sqrt(sum((mean - lo)^2))`` below, over
every series and day summed. That is exact for independent, normally distributed
errors; errors that move together (a whole shop selling less than expected for a
week) make the true range wider, so the range is a lower estimate of the
uncertainty and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.i18n import t
from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, levels_of, lo_col

__all__ = [
    "Accuracy",
    "Peak",
    "Summary",
    "accuracy_from_cv",
    "band_level",
    "festival_match",
    "fmt_date",
    "fmt_number",
    "fmt_pct",
    "fmt_range",
    "last_year_dates",
    "peak_festival",
    "peak_note",
    "pct_change",
    "sentences",
    "series_growth",
    "summarize",
    "total_forecast",
    "total_history",
    "weekday_name",
]

DEFAULT_LEVEL = 80


# ------------------------------------------------------------------ numbers
@dataclass(frozen=True)
class Peak:
    """The period with the most forecast units (and its festival, if any)."""

    ds: pd.Timestamp
    value: float
    festival: str = ""  # festival id (``double11``...), "" when none
    festival_day: pd.Timestamp | None = None  # that festival's own (peak) day


@dataclass(frozen=True)
class Summary:
    """The shop total of one model's forecast and the periods it is compared with.

    Attributes:
        model: the model alias the numbers come from.
        freq: the data's frequency (``D``, ``W-SUN``, ``MS``...).
        start, end: first and last forecast date; ``periods`` their count.
        total: forecast units over the horizon (all series).
        lo, hi: the band of ``total`` at ``level`` percent (None without bands).
        last_year: actual units over the same dates a year earlier (None when the
            history does not cover all of them); ``last_year_start``/``_end`` the dates.
        previous: actual units over the last ``periods`` periods of history (None
            when the history is shorter); ``previous_start``/``_end`` the dates.
        peak: the peak period of the total forecast.
    """

    model: str
    freq: str
    start: pd.Timestamp
    end: pd.Timestamp
    periods: int
    total: float
    level: float | None
    lo: float | None
    hi: float | None
    last_year: float | None
    last_year_start: pd.Timestamp | None
    last_year_end: pd.Timestamp | None
    previous: float | None
    previous_start: pd.Timestamp | None
    previous_end: pd.Timestamp | None
    peak: Peak
    country: str | None = None

    @property
    def yoy_pct(self) -> float | None:
        """Change vs the same period last year, in percent."""
        return pct_change(self.total, self.last_year)

    @property
    def pop_pct(self) -> float | None:
        """Change vs the previous equal-length period, in percent."""
        return pct_change(self.total, self.previous)


@dataclass(frozen=True)
class Accuracy:
    """How far a model's backtest forecasts were from what happened (shop total).

    Attributes:
        model: the model alias.
        wape: error of the daily (per-period) total: sum |forecast - actual| / sum actual.
        total_error: mean over windows of |forecast total - actual total| / actual total.
        horizon: periods per window; ``windows`` the number of windows.
        coverage: share of actual (series, period) values inside the model's band at
            ``level`` percent (None without bands).
    """

    model: str
    wape: float
    total_error: float
    horizon: int
    windows: int
    level: float | None = None
    coverage: float | None = None


def pct_change(new: float | None, old: float | None) -> float | None:
    """``(new - old) / old`` in percent; None when ``old`` is missing or not positive."""
    if new is None or old is None or not np.isfinite(old) or old <= 0:
        return None
    return (float(new) - float(old)) / float(old) * 100.0


def band_level(
    forecast: pd.DataFrame, model: str, level: float | None = DEFAULT_LEVEL
) -> float | None:
    """``level`` when ``model`` has that band, else its narrowest band, else None."""
    have = levels_of(forecast, model)
    if not have:
        return None
    if level is not None and float(level) in {float(lv) for lv in have}:
        return float(level)
    return float(min(have))


def total_history(history: pd.DataFrame) -> pd.Series:
    """Actual units per date summed over every series (index ``ds``, sorted)."""
    return history.groupby(DS, observed=True)[Y].sum().sort_index()


def total_forecast(
    forecast: pd.DataFrame, model: str, level: float | None = DEFAULT_LEVEL
) -> pd.DataFrame:
    """The forecast of ``model`` summed over series, per date.

    Returns:
        ``ds, mean`` and, when the model has a band (``band_level``), ``lo, hi``:
        the band of each date's sum, half-widths added in quadrature over series
        (see the module docstring); ``lo`` is never below 0. ``attrs["level"]``
        holds the level used (None without a band).
    """
    fc = forecast[[ID, DS, model]].copy()
    lv = band_level(forecast, model, level)
    if lv is not None:
        mean = forecast[model].to_numpy(dtype=float)
        fc["up2"] = np.square(np.maximum(forecast[hi_col(model, lv)].to_numpy(float) - mean, 0))
        fc["dn2"] = np.square(np.maximum(mean - forecast[lo_col(model, lv)].to_numpy(float), 0))
    out = fc.drop(columns=[ID]).groupby(DS, observed=True).sum().sort_index()
    res = pd.DataFrame({DS: out.index, "mean": out[model].to_numpy(float)})
    if lv is not None:
        res["lo"] = np.maximum(res["mean"] - np.sqrt(out["dn2"].to_numpy()), 0.0)
        res["hi"] = res["mean"] + np.sqrt(out["up2"].to_numpy())
        res.attrs["up2"] = float(out["up2"].sum())
        res.attrs["dn2"] = float(out["dn2"].sum())
    res.attrs["level"] = lv
    return res.reset_index(drop=True)


def last_year_dates(dates: pd.Series | pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """The same periods one year earlier: 52 weeks back for weekly data (same weekday),
    the same calendar day or month otherwise (festivals keep their dates)."""
    idx = pd.DatetimeIndex(dates)
    if str(freq).upper().startswith("W"):
        return idx - pd.Timedelta(weeks=52)
    return idx - pd.DateOffset(years=1)


def _sum_on(actual: pd.Series, dates: pd.DatetimeIndex) -> float | None:
    """Sum of ``actual`` on ``dates`` (each date once); None when any date is missing."""
    dates = pd.DatetimeIndex(dates).unique()
    if len(dates) == 0 or not dates.isin(actual.index).all():
        return None
    return float(actual.reindex(dates).sum())


def peak_festival(day: pd.Timestamp, freq: str = "D", country: str | None = None) -> str:
    """The festival of the period starting at ``day`` (its id), or ``""``.

    A daily period belongs to a festival when it lies in the festival's window
    (presale to after-sale, ``festivals.DEFAULT_WINDOWS``); a weekly or monthly one
    when the festival's peak day falls in it. Of several, the nearest peak wins.
    """
    return festival_match(day, freq, country)[0]


def festival_match(
    day: pd.Timestamp, freq: str = "D", country: str | None = None
) -> tuple[str, pd.Timestamp | None]:
    """``(festival id, its peak day)`` of the period starting at ``day``, or ``("", None)``
    (see :func:`peak_festival`)."""
    from forecasting.data.festivals import DEFAULT_COUNTRY, festival_markers

    day = pd.Timestamp(day)
    base = str(freq).upper().split("-")[0]
    end = day + (pd.offsets.MonthBegin(1) if base in ("MS", "M") else pd.Timedelta(days=1))
    if base.startswith("W"):
        end = day + pd.Timedelta(weeks=1)
    end = end - pd.Timedelta(days=1)
    pad = pd.Timedelta(days=45)
    marks = festival_markers(day - pad, end + pad, country=country or DEFAULT_COUNTRY)
    if base == "D":
        inside = marks[(marks["window_start"] <= day) & (marks["window_end"] >= day)]
    else:
        inside = marks[(marks[DS] >= day) & (marks[DS] <= end)]
    if inside.empty:
        return "", None
    row = inside.iloc[int((inside[DS] - day).abs().to_numpy().argmin())]
    return str(row["holiday"]), pd.Timestamp(row[DS])


def summarize(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    model: str,
    freq: str = "D",
    level: float | None = DEFAULT_LEVEL,
    country: str | None = None,
) -> Summary:
    """The shop total of ``model``'s forecast, compared with last year and the last period.

    Args:
        history: history contract frame (every series; summed).
        forecast: forecast contract frame with ``model``'s columns.
        model: the model alias to summarise (the recommended one).
        freq: the data's frequency.
        level: the band to use (``band_level``: the narrowest when absent).
        country: festival calendar (default: China's e-commerce festivals).
    """
    tot = total_forecast(forecast, model, level)
    actual = total_history(history)
    dates = pd.DatetimeIndex(tot[DS])
    total = float(tot["mean"].sum())
    lo = hi = None
    if tot.attrs.get("level") is not None:
        lo = max(total - float(np.sqrt(tot.attrs["dn2"])), 0.0)
        hi = total + float(np.sqrt(tot.attrs["up2"]))
    ly = last_year_dates(dates, freq)
    n = len(dates)
    prev_dates = actual.index[actual.index < dates.min()][-n:] if n else actual.index[:0]
    previous = float(actual.loc[prev_dates].sum()) if len(prev_dates) == n and n else None
    i = int(np.nanargmax(tot["mean"].to_numpy())) if n else 0
    fest, fest_day = festival_match(dates[i], freq, country) if n else ("", None)
    return Summary(
        model=model,
        freq=str(freq),
        start=dates.min(),
        end=dates.max(),
        periods=n,
        total=total,
        level=tot.attrs.get("level"),
        lo=lo,
        hi=hi,
        last_year=_sum_on(actual, ly),
        last_year_start=ly.min() if n else None,
        last_year_end=ly.max() if n else None,
        previous=previous,
        previous_start=prev_dates.min() if previous is not None else None,
        previous_end=prev_dates.max() if previous is not None else None,
        peak=Peak(dates[i], float(tot["mean"].iloc[i]), fest, fest_day),
        country=country,
    )


def series_growth(
    history: pd.DataFrame, forecast: pd.DataFrame, model: str, freq: str = "D"
) -> pd.DataFrame:
    """Per series: forecast units over the horizon and its change vs last year and the
    previous period, biggest forecast first.

    Returns:
        ``unique_id, forecast, share`` (percent of all series), ``last_year``,
        ``yoy_pct``, ``previous``, ``pop_pct`` (NaN where the history does not cover
        the comparison period).
    """
    dates = pd.DatetimeIndex(pd.unique(forecast[DS])).sort_values()
    n = len(dates)
    ly = pd.DatetimeIndex(last_year_dates(dates, freq).unique())
    before = pd.DatetimeIndex(pd.unique(history[DS])).sort_values()
    before = before[before < dates.min()][-n:] if n else before[:0]
    out = forecast.groupby(ID, observed=True)[model].sum().rename("forecast").to_frame()
    out.index = out.index.astype(str)
    for name, period in (("last_year", ly), ("previous", before if len(before) == n else ly[:0])):
        rows = history.loc[history[DS].isin(period) & history[Y].notna()]
        agg = rows.groupby(rows[ID].astype(str), observed=True)[Y].agg(["sum", "count"])
        # a period the history does not fully cover (or too short) gives no comparison
        complete = (agg["count"] == len(period)) & (len(period) > 0)
        out[name] = agg["sum"].where(complete).reindex(out.index)
    out["yoy_pct"] = _pct_series(out["forecast"], out["last_year"])
    out["pop_pct"] = _pct_series(out["forecast"], out["previous"])
    all_units = float(out["forecast"].sum())
    out.insert(1, "share", out["forecast"] / all_units * 100 if all_units > 0 else np.nan)
    out = out.rename_axis(ID).reset_index()
    out = out[[ID, "forecast", "share", "last_year", "yoy_pct", "previous", "pop_pct"]]
    return out.sort_values("forecast", ascending=False, kind="stable").reset_index(drop=True)


def _pct_series(new: pd.Series, old: pd.Series) -> pd.Series:
    """``pct_change`` element-wise (NaN where ``old`` is missing or not positive)."""
    old = old.astype(float)
    return ((new - old) / old * 100).where(old > 0)


def accuracy_from_cv(
    cv: pd.DataFrame, model: str, level: float | None = DEFAULT_LEVEL
) -> Accuracy | None:
    """The shop-total accuracy of ``model`` in a backtest frame (``unique_id, ds, cutoff, y``).

    Series are summed per window and date (rows where the model has no forecast
    are left out), so the error is that of the total a manager plans with.
    Returns None when the model has no forecast in ``cv``.
    """
    if model not in cv.columns:
        return None
    rows = cv.loc[cv[model].notna() & cv[Y].notna()]
    if rows.empty:
        return None
    per_day = rows.groupby([CUTOFF, DS], observed=True)[[Y, model]].sum()
    y, f = per_day[Y].to_numpy(float), per_day[model].to_numpy(float)
    wape = float(np.abs(y - f).sum() / y.sum()) if y.sum() > 0 else float("nan")
    per_window = per_day.groupby(level=CUTOFF).sum()
    actual = per_window[Y].to_numpy(float)
    ok = actual > 0
    errs = np.abs(per_window[model].to_numpy(float)[ok] - actual[ok]) / actual[ok]
    lv = band_level(rows, model, level)
    coverage = None
    if lv is not None:
        inside = (rows[Y] >= rows[lo_col(model, lv)]) & (rows[Y] <= rows[hi_col(model, lv)])
        coverage = float(inside.mean())
    horizon = int(rows.groupby([CUTOFF, ID], observed=True).size().max())
    return Accuracy(
        model=model,
        wape=wape,
        total_error=float(errs.mean()) if len(errs) else float("nan"),
        horizon=horizon,
        windows=int(rows[CUTOFF].nunique()),
        level=lv,
        coverage=coverage,
    )


# ------------------------------------------------------------------ words
def fmt_number(value: float | None, lang: str = "zh") -> str:
    """Units for reading: ``12.3万`` / ``1.2亿`` in Chinese, ``12,345`` in English."""
    if value is None or not np.isfinite(value):
        return "–"
    if lang == "zh":
        for unit, key in ((1e8, "report.num.yi"), (1e4, "report.num.wan")):
            if abs(value) >= unit:
                v = value / unit
                digits = 2 if abs(v) < 10 else 1 if abs(v) < 100 else 0
                text = f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:,.0f}"
                return t(key, lang, n=text)
    return f"{value:,.0f}"


def fmt_pct(value: float | None, signed: bool = True) -> str:
    """``+12.3%`` (one decimal below 10%, none above); ``–`` when unknown."""
    if value is None or not np.isfinite(value):
        return "–"
    digits = 1 if abs(value) < 10 else 0
    return f"{value:+,.{digits}f}%" if signed else f"{value:,.{digits}f}%"


def fmt_date(day: pd.Timestamp | None, lang: str = "zh", year: bool = True) -> str:
    """``2026年11月11日`` / ``11 Nov 2026`` (without the year when ``year`` is False)."""
    if day is None or pd.isna(day):
        return "–"
    day = pd.Timestamp(day)
    month = t("report.months", lang).split(",")[day.month - 1]
    if not year:
        return t("report.date_noyear", lang, d=day.day, month=month)
    return t("report.date", lang, y=day.year, d=day.day, month=month)


def weekday_name(day: pd.Timestamp, lang: str = "zh") -> str:
    """``周三`` / ``Wed``."""
    return t("report.weekdays", lang).split(",")[pd.Timestamp(day).weekday()]


def fmt_range(start: pd.Timestamp | None, end: pd.Timestamp | None, lang: str = "zh") -> str:
    """``2026年11月1日至11月28日`` / ``1 Nov – 28 Nov 2026`` (the year once when shared)."""
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return "–"
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start.year == end.year:
        return t(
            "report.date_range_year",
            lang,
            y=start.year,
            start=fmt_date(start, lang, year=False),
            end=fmt_date(end, lang, year=False),
        )
    return t("report.date_range", lang, start=fmt_date(start, lang), end=fmt_date(end, lang))


def _change_word(pct: float, lang: str) -> str:
    return t(
        "report.summary.up" if pct >= 0 else "report.summary.down",
        lang,
        pct=fmt_pct(abs(pct), False),
    )


def sentences(
    summary: Summary,
    lang: str = "zh",
    accuracy: Accuracy | None = None,
    model_label: str | None = None,
    recommended: bool = True,
) -> list[str]:
    """The summary in words: total and range, vs last year, vs last period, peak, error.

    Args:
        summary: :func:`summarize` output.
        lang: "zh" or "en".
        accuracy: a quick backtest of the same model (:func:`accuracy_from_cv`); the
            expected error is stated only when given.
        model_label: display name of the model (default: its alias).
        recommended: the model was recommended (by a backtest); False: the last sentence
            only names it, without calling it recommended.

    Returns:
        Plain sentences (no markup), in reading order.
    """
    s = summary
    unit = t(f"report.unit.{_unit(s.freq)}", lang)
    params = {"n": s.periods, "unit": unit, "range": fmt_range(s.start, s.end, lang)}
    if s.lo is not None and s.hi is not None:
        lo, hi = fmt_number(s.lo, lang), fmt_number(s.hi, lang)
        total = fmt_number(s.total, lang)
        level = f"{s.level:g}"
        out = [
            t("report.summary.total_band", lang, total=total, level=level, lo=lo, hi=hi, **params)
        ]
    else:
        out = [t("report.summary.total", lang, total=fmt_number(s.total, lang), **params)]
    if s.yoy_pct is not None:
        out.append(
            t(
                "report.summary.yoy",
                lang,
                change=_change_word(s.yoy_pct, lang),
                value=fmt_number(s.last_year, lang),
                range=fmt_range(s.last_year_start, s.last_year_end, lang),
            )
        )
    else:
        out.append(t("report.summary.no_yoy", lang))
    if s.pop_pct is not None:
        out.append(
            t(
                "report.summary.pop",
                lang,
                n=s.periods,
                unit=unit,
                change=_change_word(s.pop_pct, lang),
                value=fmt_number(s.previous, lang),
                range=fmt_range(s.previous_start, s.previous_end, lang),
            )
        )
    out.append(
        t(
            "report.summary.peak",
            lang,
            period=t(f"report.peak_unit.{_unit(s.freq)}", lang),
            day=fmt_date(s.peak.ds, lang),
            note=peak_note(s, lang),
            value=fmt_number(s.peak.value, lang),
        )
    )
    if accuracy is not None and np.isfinite(accuracy.wape):
        out.append(accuracy_sentence(accuracy, lang, s.freq))
    key = "report.summary.model" if recommended else "report.summary.model_plain"
    out.append(t(key, lang, model=model_label or s.model))
    return out


def peak_note(summary: Summary, lang: str = "zh") -> str:
    """``（周三，双十一）`` / `` (Wed, Double 11)``: the peak's weekday and festival."""
    from forecasting.data.festivals import festival_label

    tags = [weekday_name(summary.peak.ds, lang)] if _unit(summary.freq) == "D" else []
    peak = summary.peak
    if peak.festival:
        name = festival_label(peak.festival, lang, summary.country)
        if _unit(summary.freq) == "D" and peak.festival_day != peak.ds:  # presale, after-sale
            name = t("report.festival_period", lang, festival=name)
        tags.append(name)
    if not tags:
        return ""
    return t("report.paren", lang, text=t("report.list_sep", lang).join(tags))


def accuracy_sentence(acc: Accuracy, lang: str = "zh", freq: str = "D") -> str:
    """``typically within ±12% per day over 28 days`` with the total's error and windows."""
    text = t(
        "report.summary.accuracy",
        lang,
        wape=fmt_pct(acc.wape * 100, False),
        total=fmt_pct(acc.total_error * 100, False),
        h=acc.horizon,
        unit=t(f"report.unit.{_unit(freq)}", lang),
        per=t(f"report.per.{_unit(freq)}", lang),
        windows=acc.windows,
    )
    if acc.coverage is not None and acc.level is not None:
        text += t(
            "report.summary.coverage",
            lang,
            level=f"{acc.level:g}",
            coverage=fmt_pct(acc.coverage * 100, False),
        )
    return text


def _unit(freq: str) -> str:
    """``D``, ``W`` or ``MS``: which unit word a frequency takes."""
    base = str(freq).upper().split("-")[0]
    return "W" if base.startswith("W") else "MS" if base in ("MS", "M") else "D"
