"""``band_season`` for single models with conformal bands (LightGBM, the networks, ridge,
intermittent): their calibration errors are divided by last year's seasonal difficulty of
their dates and the bands multiplied back by the forecast dates' (as the combinations')."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import base, create
from forecasting.models.conformal import difficulty_at, scaled_errors, seasonal_difficulty
from forecasting.schema import DS, ID, Y, hi_col, lo_col
from tests.models.test_band_season import _shops  # shops three times as noisy in December

CUT, H = "2023-11-30", 28


def test_scaled_errors_are_divided_by_their_dates_difficulty():
    dates = pd.date_range("2023-01-01", periods=3, freq="D")
    held = pd.DataFrame({ID: "a", DS: dates, Y: [10.0, 10.0, 10.0]})
    pred = pd.DataFrame({ID: "a", DS: dates, "m": [8.0, 8.0, 8.0]})
    curve = pd.Series([1.0, 2.0, 4.0], index=dates)
    scale = pd.Series({"a": 2.0})
    (plain,) = scaled_errors(held, pred, "m", scale, 3)
    (row,) = scaled_errors(held, pred, "m", scale, 3, curve)
    np.testing.assert_allclose(plain, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(row, [1.0, 0.5, 0.25])
    # an empty curve (the rule off) changes nothing
    (off,) = scaled_errors(held, pred, "m", scale, 3, pd.Series(dtype=float))
    np.testing.assert_allclose(off, plain)


def _december(power: float | None) -> tuple[pd.DataFrame, float, object]:
    df = _shops()
    train, actual = df[df[DS] <= CUT], df[df[DS] > CUT]
    params = {} if power is None else {"band_season": power}
    model = create("lightgbm", seed=0, **params).fit(train, freq="D")
    fc = model.predict(H, level=[80])
    both = fc.merge(actual, on=[ID, DS])
    a = "lightgbm"
    cover = float(((both[Y] >= both[lo_col(a, 80)]) & (both[Y] <= both[hi_col(a, 80)])).mean())
    return fc, cover, model


@pytest.fixture(scope="module")
def runs():
    return {p: _december(p) for p in (0.0, 1.0)}


def test_lightgbm_bands_carry_last_years_festival_season(runs):
    """LightGBM's calibration windows fall in the quiet autumn; December is three times as
    noisy, as it was a year before. Off, its 80% band is a quiet month's; with the rule it
    widens over December and covers far more of it, with the same points."""
    (fc0, cover0, _), (fc1, cover1, model) = runs[0.0], runs[1.0]
    a = "lightgbm"
    pd.testing.assert_series_equal(fc0[a], fc1[a])
    assert cover0 < 0.6, (cover0, cover1)
    assert cover1 >= cover0 + 0.15, (cover0, cover1)
    # measured 0.33 -> 0.70 (as the combinations' test: the smoothing blurs the edges)
    # the band widens by about the factor: last December was 2-2.7 times as hard
    width0 = (fc0[hi_col(a, 80)] - fc0[lo_col(a, 80)]).to_numpy()
    width1 = (fc1[hi_col(a, 80)] - fc1[lo_col(a, 80)]).to_numpy()
    factor = difficulty_at(model._band_difficulty, fc1[DS])
    assert factor.min() > 1.5
    assert width1.mean() > 1.8 * width0.mean()


def test_the_curve_is_the_histories_own_and_off_means_off(runs):
    _, _, model = runs[1.0]
    expected = seasonal_difficulty(model.train_, "D", 1.0)
    pd.testing.assert_series_equal(model._band_difficulty, expected)
    _, _, off = runs[0.0]
    assert off._band_difficulty.empty


def test_the_default_power_is_the_modules():
    df = _shops(n=2)
    model = create("lightgbm", seed=0).fit(df[df[DS] <= CUT], freq="D")
    curve = model._band_difficulty
    if base.BAND_SEASON:
        expected = seasonal_difficulty(model.train_, "D", base.BAND_SEASON)
        pd.testing.assert_series_equal(curve, expected)
    else:
        assert curve.empty
