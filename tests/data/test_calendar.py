"""Festival calendar: lunar dates, windows, Prophet frame, features, labels."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from forecasting.data import festivals as cal
from forecasting.errors import ShopcastError

KNOWN_SPRING = {
    2010: "2010-02-14",
    2015: "2015-02-19",
    2020: "2020-01-25",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2030: "2030-02-03",
    2035: "2035-02-08",
}


@pytest.mark.parametrize(("year", "day"), sorted(KNOWN_SPRING.items()))
def test_spring_festival_known_dates(year, day):
    assert cal.spring_festival(year) == pd.Timestamp(day)


def test_spring_festival_range_and_cross_check():
    days = [cal.spring_festival(y) for y in range(2010, 2036)]
    # Lunar new year always falls between 21 Jan and 20 Feb.
    for d in days:
        assert (d.month, d.day) >= (1, 21) and (d.month, d.day) <= (2, 20)
    lunardate = pytest.importorskip("lunardate", reason="lunardate not installed")
    for y, d in zip(range(2010, 2036), days, strict=True):
        assert d == pd.Timestamp(lunardate.LunarDate(y, 1, 1).to_solar_date())


def test_festival_days_peaks():
    df = cal.festival_days([2025])
    assert list(df.columns) == ["holiday", "ds"]
    assert set(df["holiday"]) == set(cal.FESTIVALS)
    assert df["ds"].is_monotonic_increasing
    peaks = dict(zip(df["holiday"], df["ds"].dt.strftime("%m-%d"), strict=True))
    assert peaks == {
        "new_year": "01-01",
        "spring_festival": "01-29",
        "women38": "03-08",
        "520": "05-20",
        "618": "06-18",
        "national_day": "10-01",
        "double11": "11-11",
        "double12": "12-12",
    }


def test_prophet_frame_dtypes_and_windows():
    df = cal.festival_calendar(range(2023, 2027))
    assert list(df.columns) == ["holiday", "ds", "lower_window", "upper_window"]
    assert df["ds"].dtype == "datetime64[ns]"
    assert df["lower_window"].dtype == np.int64 and df["upper_window"].dtype == np.int64
    assert len(df) == 4 * len(cal.FESTIVALS)
    assert (df["lower_window"] <= 0).all() and (df["upper_window"] >= 0).all()
    for name, (lo, up) in cal.DEFAULT_WINDOWS.items():
        rows = df[df["holiday"] == name]
        assert (rows["lower_window"] == lo).all() and (rows["upper_window"] == up).all()


def test_window_override_and_subset():
    df = cal.festival_calendar(
        [2025], windows={"double11": (-10, 3)}, festivals=["double11", "618"]
    )
    got = df.set_index("holiday")[["lower_window", "upper_window"]].to_dict("index")
    assert got == {
        "618": {"lower_window": -17, "upper_window": 1},
        "double11": {"lower_window": -10, "upper_window": 3},
    }


@pytest.mark.parametrize("window", [(1, 3), (-3, -1), (-2.5, 0), ("a", 1), (-200, 200), 5])
def test_bad_window_rejected(window):
    with pytest.raises(ShopcastError) as err:
        cal.festival_calendar([2025], windows={"618": window})
    assert err.value.key == "bad_festival_window"
    assert "618" in err.value.message("zh")


def test_unknown_festival_rejected():
    with pytest.raises(ShopcastError) as err:
        cal.festival_calendar([2025], festivals=["black_friday"])
    assert err.value.key == "unknown_festival"
    with pytest.raises(ShopcastError):
        cal.festival_features(pd.date_range("2025-01-01", periods=3), windows={"xmas": (-1, 0)})


def test_years_for():
    assert cal.years_for("2023-11-01", "2026-10-31") == [2023, 2024, 2025, 2026]
    # New Year's Eve belongs to next year's new_year window.
    assert cal.years_for("2025-06-01", "2026-12-31") == [2025, 2026, 2027]
    assert cal.years_for("2025-06-01", "2026-12-30") == [2025, 2026]


def test_daily_features_double11_and_spring():
    dates = pd.date_range("2024-12-01", "2025-12-31")
    f = cal.festival_features(dates).set_index(dates)
    assert list(f.columns) == cal.feature_columns()
    win = f.index[f["fest_double11"] == 1.0]
    assert win.min() == pd.Timestamp("2025-10-22") and win.max() == pd.Timestamp("2025-11-12")
    assert len(win) == 22
    assert f.loc["2025-10-22", "fest_double11_d"] == -1.0
    assert f.loc["2025-11-01", "fest_double11_d"] == pytest.approx(-0.5)
    assert f.loc["2025-11-11", "fest_double11_d"] == 0.0
    assert f.loc["2025-11-12", "fest_double11_d"] == 1.0
    assert f.loc["2025-10-21", ["fest_double11", "fest_double11_d"]].tolist() == [0.0, 0.0]
    spring = f.index[f["fest_spring_festival"] == 1.0]
    assert spring.min() == pd.Timestamp("2025-01-15") and spring.max() == pd.Timestamp("2025-02-08")
    assert f.loc["2025-01-29", "fest_spring_festival_d"] == 0.0
    assert f.loc["2025-02-03", "fest_spring_festival_d"] == pytest.approx(0.5)
    # New Year's Eve 2025 is in new_year 2026's window.
    assert f.loc["2025-12-31", "fest_new_year"] == 1.0
    assert f.loc["2025-12-31", "fest_new_year_d"] == -1.0
    # Golden week: 1-7 Oct, positions 0..1.
    gw = f.loc["2025-10-01":"2025-10-07", "fest_national_day_d"].to_numpy()
    np.testing.assert_allclose(gw, np.arange(7) / 6)
    assert f.loc["2025-10-08", "fest_national_day"] == 0.0


def test_features_keep_length_order_duplicates():
    rng = np.random.default_rng(0)
    base = pd.date_range("2024-10-01", "2024-11-30")
    dates = pd.Series(base[rng.integers(0, len(base), 500)], index=rng.permutation(500) + 1000)
    dates.iloc[[3, 7]] = pd.NaT
    f = cal.festival_features(dates)
    assert len(f) == 500 and isinstance(f.index, pd.RangeIndex)
    ref = cal.festival_features(base).set_index(base)
    valid = dates.notna().to_numpy()
    np.testing.assert_array_equal(f.to_numpy()[valid], ref.loc[dates[valid]].to_numpy())
    assert (f.iloc[[3, 7]] == 0).all().all()


def test_custom_window_changes_features():
    dates = pd.date_range("2025-10-01", "2025-11-30")
    f = cal.festival_features(dates, windows={"double11": (-5, 2)}, festivals=["double11"])
    assert list(f.columns) == ["fest_double11", "fest_double11_d"]
    assert f["fest_double11"].sum() == 8
    assert f["fest_double11_d"].min() == -1.0 and f["fest_double11_d"].max() == 1.0


@pytest.mark.parametrize("freq", ["W-SUN", "W-WED", "MS"])
def test_period_features_match_daily(freq):
    # A period's fraction x its days, summed, must equal the daily in-window count,
    # and the fraction-weighted positions must add up to the daily positions.
    periods = pd.date_range("2023-01-01", "2026-12-31", freq=freq)
    if freq == "MS":
        first, last = periods[0], periods[-1] + pd.offsets.MonthEnd(0)
        length = periods.days_in_month.to_numpy()
    else:
        first, last = periods[0] - pd.Timedelta(days=6), periods[-1]
        length = np.full(len(periods), 7)
    days = pd.date_range(first, last)
    daily = cal.festival_features(days)
    per = cal.festival_features(periods, freq=freq)
    for f in cal.FESTIVALS:
        frac = per[f"fest_{f}"].to_numpy()
        assert ((frac >= 0) & (frac <= 1)).all()
        count = frac * length
        assert count.sum() == pytest.approx(daily[f"fest_{f}"].sum())
        weighted = (per[f"fest_{f}_d"].to_numpy() * count).sum()
        assert weighted == pytest.approx(daily[f"fest_{f}_d"].sum(), abs=1e-9)
    # Spot check: the week ending Sun 2025-11-16 holds Nov 10, 11, 12 of Double-11.
    if freq == "W-SUN":
        row = per.set_index(periods).loc["2025-11-16"]
        assert row["fest_double11"] == pytest.approx(3 / 7)
        assert row["fest_double11_d"] == pytest.approx((-0.05 + 0 + 1) / 3)


def test_week_label_start():
    # Weeks labelled by their first day (Monday), as forecasting.data labels them.
    mondays = pd.date_range("2025-10-06", "2025-11-24", freq="W-MON")
    start = cal.festival_features(mondays, freq="W-MON", week_label="start").set_index(mondays)
    end = cal.festival_features(mondays + pd.Timedelta(days=6), freq="W-SUN").set_index(mondays)
    pd.testing.assert_frame_equal(start, end)
    # Week of Mon 10 Nov: Nov 10, 11, 12 of Double-11.
    assert start.loc["2025-11-10", "fest_double11"] == pytest.approx(3 / 7)
    with pytest.raises(ShopcastError):
        cal.festival_features(mondays, freq="W-MON", week_label="middle")


def test_bad_freq_rejected():
    with pytest.raises(ShopcastError) as err:
        cal.festival_features(pd.date_range("2025-01-01", periods=3, freq="h"), freq="h")
    assert err.value.key == "calendar_freq"


def test_features_fast():
    dates = pd.Series(np.tile(pd.date_range("2022-01-01", "2026-12-31").values, 660)[:1_200_000])
    cal.festival_features(dates.iloc[:10])  # warm the lunar-date cache
    t0 = time.perf_counter()
    f = cal.festival_features(dates)
    elapsed = time.perf_counter() - t0
    assert f.shape == (1_200_000, 2 * len(cal.FESTIVALS))
    assert elapsed < 2.0, f"{elapsed:.2f}s"


def test_labels_and_markers():
    assert cal.festival_label("double11") == "双十一"
    assert cal.festival_label("double11", "en") == "Double 11"
    assert cal.festival_label("national_day") == "国庆黄金周"
    assert all(cal.festival_label(f, "zh") != f"festival.{f}" for f in cal.FESTIVALS)
    assert cal.festival_label("unknown_thing") == "unknown_thing"
    m = cal.festival_markers("2025-06-01", "2025-12-31", lang="zh")
    assert list(m["holiday"]) == ["618", "national_day", "double11", "double12"]
    assert list(m["label"]) == ["618", "国庆黄金周", "双十一", "双十二"]
    row = m.set_index("holiday").loc["double11"]
    assert row["window_start"] == pd.Timestamp("2025-10-22")
    assert row["window_end"] == pd.Timestamp("2025-11-12")
    en = cal.festival_markers("2026-01-01", "2026-03-31", lang="en")
    assert list(en["label"]) == ["New Year's Day", "Spring Festival", "Women's Day (Mar 8)"]
    assert en.loc[1, "ds"] == pd.Timestamp("2026-02-17")


# ---------------------------------------------------------------- countries
def test_default_country_is_the_ecommerce_calendar():
    assert cal.country_festivals() == cal.FESTIVALS == cal.country_festivals("cn")
    assert cal.feature_columns() == cal.feature_columns(country="CN")
    dates = pd.date_range("2023-01-01", "2024-12-31")
    pd.testing.assert_frame_equal(
        cal.festival_features(dates, "D"), cal.festival_features(dates, "D", country="CN")
    )


def test_german_holidays_flag_unity_day_and_christmas():
    dates = pd.DatetimeIndex(["2015-10-02", "2015-10-03", "2015-10-05", "2015-12-25", "2015-12-26"])
    f = cal.festival_features(dates, "D", country="DE")
    assert "fest_german_unity_day" in f and "fest_christmas_day" in f
    assert "fest_double11" not in f  # no Chinese festivals in a German calendar
    unity, xmas = f["fest_german_unity_day"], f["fest_christmas_day"]
    assert list(unity) == [1.0, 1.0, 0.0, 0.0, 0.0]  # the day before is in the window
    assert f.loc[1, "fest_german_unity_day_d"] == 0.0 and f.loc[0, "fest_german_unity_day_d"] < 0
    assert xmas[3] == 1.0 and f["fest_second_day_of_christmas"][4] == 1.0


def test_country_calendar_is_a_prophet_frame():
    frame = cal.festival_calendar(range(2015, 2017), country="de")
    assert list(frame.columns) == ["holiday", "ds", "lower_window", "upper_window"]
    unity = frame[frame["holiday"] == "german_unity_day"]["ds"]
    assert list(unity) == [pd.Timestamp("2015-10-03"), pd.Timestamp("2016-10-03")]
    assert set(frame["lower_window"]) == {cal.COUNTRY_WINDOW[0]}
    us = cal.festival_calendar([2015], country="US")
    assert pd.Timestamp("2015-11-26") in set(us.loc[us["holiday"] == "thanksgiving_day", "ds"])


def test_country_columns_do_not_depend_on_the_dates():
    early = cal.festival_features(pd.date_range("2015-01-01", periods=3), "D", country="DE")
    late = cal.festival_features(pd.date_range("2024-06-01", periods=3), "W", country="DE")
    assert list(early.columns) == list(late.columns) == cal.feature_columns(country="DE")


def test_country_windows_can_be_overridden_and_checked():
    wins = cal.resolve_windows({"christmas_day": (-3, 0)}, country="DE")
    assert wins["christmas_day"] == (-3, 0) and wins["good_friday"] == cal.COUNTRY_WINDOW
    with pytest.raises(ShopcastError) as err:
        cal.resolve_windows({"double11": (-1, 0)}, country="DE")
    assert err.value.key == "unknown_festival"


def test_unknown_country_is_a_clear_error():
    with pytest.raises(ShopcastError) as err:
        cal.festival_features(pd.date_range("2015-01-01", periods=3), "D", country="XX")
    assert err.value.key == "unknown_country" and "XX" in err.value.message("en")


def test_country_markers_use_the_holiday_names():
    marks = cal.festival_markers("2015-12-01", "2015-12-31", "en", country="DE")
    assert "Christmas Day" in set(marks["label"])
