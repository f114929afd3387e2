"""The summary in words: the numbers in the sentences against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.reports import summary as sm
from forecasting.schema import CUTOFF

FC_DATES = pd.date_range("2025-11-01", periods=7, freq="D")


@pytest.fixture()
def tiny():
    """Two series with a year of history and a 7-day forecast of model ``m``.

    History: ``a`` sells 10 a day and ``b`` 5, except the 7 days before the
    forecast, when ``a`` sells 20. Forecast: ``a`` 12 a day (30 on 5 Nov), ``b`` 6;
    80% band ``a`` -2/+4, ``b`` -2/+2 around the forecast.
    """
    ds = pd.date_range("2024-10-01", "2025-10-31", freq="D")
    a = np.where(ds >= "2025-10-25", 20.0, 10.0)
    hist = pd.concat(
        [
            pd.DataFrame({"unique_id": "a", "ds": ds, "y": a}),
            pd.DataFrame({"unique_id": "b", "ds": ds, "y": 5.0}),
        ],
        ignore_index=True,
    )
    fa = np.where(FC_DATES == "2025-11-05", 30.0, 12.0)
    fc = pd.concat(
        [
            pd.DataFrame({"unique_id": "a", "ds": FC_DATES, "m": fa, "lo": fa - 2, "hi": fa + 4}),
            pd.DataFrame({"unique_id": "b", "ds": FC_DATES, "m": 6.0, "lo": 4.0, "hi": 8.0}),
        ],
        ignore_index=True,
    ).rename(columns={"lo": "m-lo-80", "hi": "m-hi-80"})
    return hist, fc


def test_numbers_match_hand_computation(tiny):
    hist, fc = tiny
    s = sm.summarize(hist, fc, "m", "D")
    assert s.total == pytest.approx(6 * 12 + 30 + 7 * 6)  # 144
    # half-widths in quadrature over 7 days x 2 series: up 4 and 2, down 2 and 2
    assert s.hi == pytest.approx(144 + math.sqrt(7 * (16 + 4)))
    assert s.lo == pytest.approx(144 - math.sqrt(7 * (4 + 4)))
    assert s.last_year == pytest.approx(7 * 15)  # 1-7 Nov 2024
    assert s.last_year_start == pd.Timestamp("2024-11-01")
    assert s.previous == pytest.approx(7 * 25)  # 25-31 Oct 2025
    assert s.previous_start == pd.Timestamp("2025-10-25")
    assert s.yoy_pct == pytest.approx((144 - 105) / 105 * 100)
    assert s.pop_pct == pytest.approx((144 - 175) / 175 * 100)
    assert s.peak.ds == pd.Timestamp("2025-11-05") and s.peak.value == pytest.approx(36)
    assert s.peak.festival == "double11"  # inside the Double-11 presale window
    assert s.peak.festival_day == pd.Timestamp("2025-11-11")


def test_peak_on_the_festival_day_is_named_plainly(tiny):
    hist, fc = tiny
    s = sm.summarize(hist, fc.assign(ds=fc["ds"] + pd.Timedelta(days=6)), "m", "D")
    assert s.peak.ds == pd.Timestamp("2025-11-11")
    assert sm.peak_note(s, "zh") == "（周二，双十一）"
    assert sm.peak_note(s, "en") == " (Tue, Double 11)"


def test_english_sentences_carry_the_numbers(tiny):
    hist, fc = tiny
    acc = sm.Accuracy("m", wape=0.123, total_error=0.051, horizon=28, windows=2)
    text = sm.sentences(sm.summarize(hist, fc, "m", "D"), "en", acc, model_label="Model M")
    assert text[0] == (
        "Next 7 days (1 Nov – 7 Nov 2025): 144 units expected in total, "
        "likely between 137 and 156 (80% range)."
    )
    assert "up 37%" in text[1] and "1 Nov – 7 Nov 2024: 105" in text[1]
    assert "down 18%" in text[2] and "25 Oct – 31 Oct 2025: 175" in text[2]
    assert "5 Nov 2025 (Wed, Double 11 season)" in text[3] and "36" in text[3]
    assert "±12%" in text[4] and "28 days" in text[4] and "±5.1%" in text[4]
    assert text[-1].endswith("Model M.")


def test_chinese_sentences_carry_the_numbers(tiny):
    hist, fc = tiny
    text = sm.sentences(sm.summarize(hist, fc, "m", "D"), "zh")
    joined = "\n".join(text)
    assert "未来 7 天（2025年11月1日至11月7日）预计总销量 144，80% 的可能范围为 137–156。" in joined
    assert "增长 37%" in text[1] and "下降 18%" in text[2]
    assert "2025年11月5日（周三，双十一期间）" in text[3]
    assert not any("预计误差" in s for s in text)  # no backtest given, no error claimed


def test_a_model_nothing_recommended_is_not_called_recommended(tiny):
    hist, fc = tiny
    summ = sm.summarize(hist, fc, "m", "D")
    assert "推荐模型「M」" in sm.sentences(summ, "zh", model_label="M")[-1]
    plain = sm.sentences(summ, "zh", model_label="M", recommended=False)[-1]
    assert "「M」" in plain and "推荐模型" not in plain and "并非推荐" in plain
    assert "recommended model" not in sm.sentences(summ, "en", recommended=False)[-1]


def test_no_last_year_is_said_not_invented(tiny):
    hist, fc = tiny
    short = hist[hist["ds"] >= "2025-06-01"]
    s = sm.summarize(short, fc, "m", "D")
    assert s.last_year is None and s.yoy_pct is None
    assert s.previous == pytest.approx(175)
    assert "no year-on-year" in sm.sentences(s, "en")[1]


def test_no_band_no_range(tiny):
    hist, fc = tiny
    s = sm.summarize(hist, fc[["unique_id", "ds", "m"]], "m", "D")
    assert s.lo is None and s.hi is None
    assert "range" not in sm.sentences(s, "en")[0]


def test_number_formats():
    assert sm.fmt_number(12345, "zh") == "1.23万"
    assert sm.fmt_number(123456, "zh") == "12.3万"
    assert sm.fmt_number(1234567, "zh") == "123万"
    assert sm.fmt_number(150_000_000, "zh") == "1.5亿"
    assert sm.fmt_number(9876.4, "zh") == "9,876"
    assert sm.fmt_number(1234567, "en") == "1,234,567"
    assert sm.fmt_pct(-7.06) == "-7.1%" and sm.fmt_pct(37.14) == "+37%"
    assert sm.fmt_number(float("nan"), "en") == "–"


def test_peak_festival_by_window_and_period():
    assert sm.peak_festival(pd.Timestamp("2025-11-11")) == "double11"
    assert sm.peak_festival(pd.Timestamp("2025-06-10")) == "618"
    assert sm.peak_festival(pd.Timestamp("2025-08-13")) == ""
    # a week holds a festival when its peak day falls in it
    assert sm.peak_festival(pd.Timestamp("2025-11-09"), "W-SUN") == "double11"
    assert sm.peak_festival(pd.Timestamp("2025-11-16"), "W-SUN") == ""


def test_weekly_last_year_is_52_weeks_back():
    d = pd.DatetimeIndex(["2025-11-02"])
    assert sm.last_year_dates(d, "W-SUN")[0] == pd.Timestamp("2024-11-03")
    assert sm.last_year_dates(d, "D")[0] == pd.Timestamp("2024-11-02")


def test_series_growth(tiny):
    hist, fc = tiny
    g = sm.series_growth(hist, fc, "m", "D")
    assert list(g["unique_id"]) == ["a", "b"]
    a = g.iloc[0]
    assert a["forecast"] == pytest.approx(102) and a["share"] == pytest.approx(102 / 144 * 100)
    assert a["last_year"] == pytest.approx(70) and a["yoy_pct"] == pytest.approx(32 / 70 * 100)
    assert a["previous"] == pytest.approx(140) and a["pop_pct"] == pytest.approx(-38 / 140 * 100)
    short = sm.series_growth(hist[hist["ds"] >= "2025-06-01"], fc, "m", "D")
    assert short["yoy_pct"].isna().all() and short["pop_pct"].notna().all()


def test_accuracy_of_the_total():
    # two windows, two series, two days; errors of the daily total:
    # window 1: y 20, 30 vs f 22, 27 -> |2| + |3|; window 2: y 10, 40 vs f 10, 30 -> 0 + 10
    cuts = pd.to_datetime(["2025-01-01"] * 4 + ["2025-02-01"] * 4)
    ds = pd.to_datetime(["2025-01-02", "2025-01-03"] * 2 + ["2025-02-02", "2025-02-03"] * 2)
    cv = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"] * 2,
            "ds": ds,
            CUTOFF: cuts,
            "y": [10, 20, 10, 10, 5, 20, 5, 20],
            "m": [12, 17, 10, 10, 5, 10, 5, 20],
        }
    )
    cv["m-lo-80"], cv["m-hi-80"] = cv["m"] - 1, cv["m"] + 1
    acc = sm.accuracy_from_cv(cv, "m")
    assert acc.wape == pytest.approx((2 + 3 + 0 + 10) / (20 + 30 + 10 + 40))
    # window totals: 50 vs 49, 50 vs 40
    assert acc.total_error == pytest.approx((1 / 50 + 10 / 50) / 2)
    assert acc.windows == 2 and acc.horizon == 2
    assert acc.coverage == pytest.approx(5 / 8)  # rows with |y - f| <= 1
    assert sm.accuracy_from_cv(cv, "other") is None
