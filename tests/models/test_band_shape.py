"""Bands that follow the forecast's shape within the horizon (``band_shape``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.models import create
from forecasting.models.conformal import SHAPE_BOUNDS, shape_factors
from forecasting.schema import DS, ID, Y, hi_col


def test_shape_factors_are_the_forecast_relative_to_its_window_mean():
    values = np.array([1.0, 3.0, 2.0, 10.0, 10.0, 0.0, 0.0, np.nan])
    groups = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(shape_factors(values, groups, 0.0), np.ones(8))
    one = shape_factors(values, groups, 1.0)
    np.testing.assert_allclose(one[:3], [0.5, 1.5, 1.0])  # mean 2
    np.testing.assert_allclose(one[3:5], 1.0)
    np.testing.assert_allclose(one[5:], 1.0)  # a window forecast at zero: unchanged
    np.testing.assert_allclose(shape_factors(values, groups, 0.5)[:2], np.sqrt([0.5, 1.5]))
    spike = shape_factors(np.array([0.0, 0.0, 0.0, 100.0]), np.zeros(4), 1.0)
    np.testing.assert_allclose(spike, [SHAPE_BOUNDS[0]] * 3 + [SHAPE_BOUNDS[1]])


def _weekly_shop(days: int = 420) -> pd.DataFrame:
    """Three shops selling three times as much at weekends, with multiplicative noise."""
    ds = pd.date_range("2023-01-02", periods=days, freq="D")
    rng = np.random.default_rng(1)
    weekend = np.where(ds.dayofweek >= 5, 3.0, 1.0)
    return pd.concat(
        [
            pd.DataFrame(
                {ID: f"s{i}", DS: ds, Y: 50 * (i + 1) * weekend * rng.gamma(20, 1 / 20, days)}
            )
            for i in range(3)
        ],
        ignore_index=True,
    )


def test_band_shape_widens_the_band_where_the_forecast_is_high():
    df = _weekly_shop()
    h = 10  # inner windows every 5 days: a step is not always the same weekday
    members = ["seasonal_naive", "ets"]
    out = {}
    for shape in (0.0, 1.0):
        model = create("ensemble", members=members, band_shape=shape).fit(df, freq="D")
        out[shape] = model.predict(h, level=[80])
    flat, shaped = out[0.0], out[1.0]
    pd.testing.assert_series_equal(flat["ensemble"], shaped["ensemble"])  # same point forecast
    for fc, follows in ((flat, False), (shaped, True)):
        width = fc[hi_col("ensemble", 80)] - fc["ensemble"]
        weekend = fc[DS].dt.dayofweek >= 5
        ratio = width[weekend].mean() / width[~weekend].mean()
        # one width per step: weekend and weekdays alike; shaped: about the 3x of the sales
        assert ratio > 2.0 if follows else ratio < 1.5, (follows, ratio)
