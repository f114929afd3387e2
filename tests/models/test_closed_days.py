"""Days the plan says a shop was closed are left out of band calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.models import create
from forecasting.models.conformal import closed_days, scaled_errors
from forecasting.schema import DS, ID, Y, hi_col


def test_closed_days_reads_the_open_flag_in_english_or_chinese():
    frame = pd.DataFrame(
        {
            ID: ["a"] * 4,
            DS: pd.date_range("2024-01-01", periods=4),
            Y: [3.0, 0.0, 5.0, 0.0],
            "Open": [1, 0, 1, 1],
            "是否营业": [1, 1, 1, 0],
            "promo": [0, 0, 0, 0],  # zero, but not an open flag
        }
    )
    assert closed_days(frame).tolist() == [False, True, False, True]
    assert not closed_days(frame.drop(columns=["Open", "是否营业"])).any()


def test_scaled_errors_leave_closed_days_out():
    held = pd.DataFrame(
        {
            ID: "a",
            DS: pd.date_range("2024-01-01", periods=3),
            Y: [10.0, 0.0, 8.0],
            "open": [1, 0, 1],
        }
    )
    pred = held[[ID, DS]].assign(m=[9.0, 0.0, 9.0])
    (row,) = scaled_errors(held, pred, "m", pd.Series({"a": 1.0}), 3)
    assert row[0] == 1.0 and np.isnan(row[1]) and row[2] == -1.0


def _shops(flag: str, days: int = 400) -> pd.DataFrame:
    """Four shops closed every Sunday (zero sales), ``flag`` naming the open/closed driver."""
    ds = pd.date_range("2023-01-02", periods=days, freq="D")
    rng = np.random.default_rng(2)
    is_open = (ds.dayofweek != 6).astype(float)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    ID: f"s{i}",
                    DS: ds,
                    Y: is_open * 100 * (i + 1) * rng.gamma(10, 1 / 10, days),
                    flag: is_open,
                }
            )
            for i in range(4)
        ],
        ignore_index=True,
    )


def test_a_combination_calibrates_its_bands_on_open_days_only():
    h = 14
    out = {}
    for flag in ("open", "flag"):  # the same values; only "open" is read as open/closed
        df = _shops(flag)
        cut = df[DS].max() - pd.Timedelta(days=h)
        train, future = df[df[DS] <= cut], df[df[DS] > cut].drop(columns=[Y])
        model = create("ensemble", members=["seasonal_naive", "lightgbm"]).fit(train, freq="D")
        out[flag] = model.predict(h, future=future, level=[80]), model.selection(h)["errors"]
    fc_open, err_open = out["open"]
    fc_flag, err_flag = out["flag"]
    # with the open flag about one error in seven (the Sundays) is left out; without, none
    nan_share = np.isnan(err_open).mean()
    assert 0.1 < nan_share < 0.2, nan_share
    assert np.isnan(err_flag).mean() < 0.01
    pd.testing.assert_series_equal(fc_open["ensemble"], fc_flag["ensemble"])
    weekday = fc_open[DS].dt.dayofweek != 6
    width_open = (fc_open[hi_col("ensemble", 80)] - fc_open["ensemble"])[weekday].mean()
    width_flag = (fc_flag[hi_col("ensemble", 80)] - fc_flag["ensemble"])[weekday].mean()
    # the Sundays' near-zero errors no longer narrow every open day's band
    assert width_open > width_flag * 1.04, (width_open, width_flag)  # measured 1.08
