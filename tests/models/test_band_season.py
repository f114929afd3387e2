"""Bands that carry last year's festival season into this year's (``band_season``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.models.conformal import DIFFICULTY_BOUNDS, difficulty_at, seasonal_difficulty
from forecasting.schema import DS, ID, Y, hi_col, lo_col

START, CUT = "2022-01-03", "2023-11-30"


def _shops(n: int = 6, end: str = "2023-12-28", seed: int = 3) -> pd.DataFrame:
    """``n`` shops whose sales are three times as noisy from 1 to 28 December as the rest
    of the year (a festival season: the level is the same, the surprises are not)."""
    ds = pd.date_range(START, end, freq="D")
    rng = np.random.default_rng(seed)
    loud = (ds.month == 12) & (ds.day <= 28)
    weekday = np.where(ds.dayofweek >= 5, 1.3, 1.0)
    frames = []
    for i in range(n):
        noise = rng.normal(0.0, 1.0, len(ds)) * np.where(loud, 15.0, 5.0)
        frames.append(pd.DataFrame({ID: f"s{i}", DS: ds, Y: 100.0 * weekday + noise}))
    return pd.concat(frames, ignore_index=True)


def test_the_difficulty_of_a_date_is_last_years_volatility_there():
    df = _shops()
    train = df[df[DS] <= CUT]
    curve = seasonal_difficulty(train, "D", 1.0)
    december = pd.date_range("2023-12-04", "2023-12-24", freq="D")  # inside the smoothing
    october = pd.date_range("2023-10-01", "2023-10-31", freq="D")
    assert difficulty_at(curve, december).mean() > 2.0
    assert difficulty_at(curve, october).mean() < 1.0
    # the first year has no year before it; past the curve's end nothing is known either
    first = pd.date_range(START, periods=300, freq="D")
    np.testing.assert_array_equal(difficulty_at(curve, first), 1.0)
    assert (
        difficulty_at(curve, pd.date_range("2030-01-01", periods=3, freq="D")).tolist() == [1.0] * 3
    )
    values = curve.to_numpy()
    assert values.min() >= DIFFICULTY_BOUNDS[0] and values.max() <= DIFFICULTY_BOUNDS[1]
    # a power shrinks the factors toward one; 0 switches them off
    half = seasonal_difficulty(train, "D", 0.5)
    np.testing.assert_allclose(half.to_numpy(), np.sqrt(values))
    np.testing.assert_array_equal(seasonal_difficulty(train, "D", 0.0).to_numpy(), 1.0)


@pytest.mark.parametrize("freq", ["W-SUN", "MS"])
def test_other_frequencies_look_a_year_back_in_their_own_periods(freq):
    ds = pd.date_range("2020-01-05", periods=150 if freq == "W-SUN" else 40, freq=freq)
    swing = np.where(np.arange(len(ds)) % 2 == 0, 1.0, -1.0)  # up, down, up...
    y = 100 + swing * np.where(ds.month == 12, 20.0, 2.0)  # ... ten times as far in December
    train = pd.DataFrame({ID: "a", DS: ds, Y: y})
    curve = seasonal_difficulty(train, freq, 1.0)
    dec = curve.index[(curve.index.month == 12) & (curve.index > ds[-1])]
    jun = curve.index[(curve.index.month == 6) & (curve.index > ds[-1])]
    assert len(dec) and len(jun)
    assert difficulty_at(curve, dec).mean() > 1.5 > 1.0 > difficulty_at(curve, jun).mean()


def test_less_than_a_year_of_history_changes_nothing():
    df = _shops(n=2)
    short = df[(df[DS] > "2023-03-01") & (df[DS] <= CUT)]
    curve = seasonal_difficulty(short, "D", 1.0)
    start = short[DS].min()
    # the calibration windows and the next 28 days have no year before them in the history
    np.testing.assert_array_equal(curve[: start + pd.Timedelta(days=363)].to_numpy(), 1.0)
    assert curve.index.max() == pd.Timestamp(CUT) + pd.Timedelta(days=364)
    assert seasonal_difficulty(short, "h", 1.0).eq(1.0).all()  # no year for this frequency


def _coverage(fc: pd.DataFrame, actual: pd.DataFrame, alias: str) -> float:
    both = fc.merge(actual, on=[ID, DS])
    inside = (both[Y] >= both[lo_col(alias, 80)]) & (both[Y] <= both[hi_col(alias, 80)])
    return float(inside.mean())


def test_band_season_covers_a_festival_season_the_inner_windows_did_not_see():
    """The inner backtest's windows fall in the quiet October and November; December is
    three times as noisy, as it was a year before. Without ``band_season`` the 80% band
    is a quiet month's and misses most of December; with it, it covers most of it."""
    df = _shops()
    train, actual = df[df[DS] <= CUT], df[df[DS] > CUT]
    h = 28
    members = ["seasonal_naive", "ets"]
    out, cover = {}, {}
    for power in (0.0, None, 1.0):  # None: the default (0.5 since stop 32)
        params = {} if power is None else {"band_season": power}
        model = create("auto", members=members, **params).fit(train, freq="D")
        out[power] = model.predict(h, level=[80])
        cover[power] = _coverage(out[power], actual, "auto")
    pd.testing.assert_series_equal(out[0.0]["auto"], out[1.0]["auto"])  # same point forecast
    pd.testing.assert_series_equal(out[0.0]["auto"], out[None]["auto"])
    # measured: 0.33 -> 0.70 (the smoothing blurs the season's first and last days)
    assert cover[0.0] < 0.5, cover
    assert 0.65 <= cover[1.0] <= 0.92, cover
    # the default carries the season too, half-way in the power (measured 0.48)
    assert cover[0.0] + 0.1 <= cover[None] <= cover[1.0], cover


def test_own_past_reads_the_calibration_windows_own_volatility():
    """``past="own"``: dates inside the history read the curve at themselves, dates after
    it a year earlier; ``"year"`` reads a year earlier everywhere."""
    df = _shops(n=3)
    short = df[(df[DS] > "2022-11-01") & (df[DS] <= CUT)]  # a year and a month
    year = seasonal_difficulty(short, "D", 1.0)
    own = seasonal_difficulty(short, "D", 1.0, past="own")
    dec22 = pd.date_range("2022-12-04", "2022-12-24", freq="D")  # no year before it
    dec23 = pd.date_range("2023-12-04", "2023-12-24", freq="D")  # after the history
    np.testing.assert_array_equal(difficulty_at(year, dec22), 1.0)
    assert difficulty_at(own, dec22).mean() > 2.0
    np.testing.assert_array_equal(difficulty_at(own, dec23), difficulty_at(year, dec23))
    assert difficulty_at(own, pd.date_range("2023-06-01", periods=30)).mean() < 1.0
    with pytest.raises(ValueError):
        seasonal_difficulty(short, "D", 1.0, past="later")


def test_own_past_narrows_bands_calibrated_on_a_festival_with_no_year_before_it():
    """A history of just over a year whose inner windows hold its only December: read a
    year earlier, those windows' large errors set a quiet February's band; read at their
    own dates, they are scaled down first and the band comes back near 80%."""
    df = _shops(n=6)
    cut = "2023-01-31"
    train = df[(df[DS] > "2022-01-20") & (df[DS] <= cut)]
    actual = df[(df[DS] > cut) & (df[DS] <= "2023-02-28")]
    members = ["seasonal_naive", "ets"]
    cover, width = {}, {}
    for past in ("year", "own"):
        model = create("auto", members=members, band_season=1.0, band_past=past)
        fc = model.fit(train, freq="D").predict(28, level=[80])
        cover[past] = _coverage(fc, actual, "auto")
        width[past] = float((fc[hi_col("auto", 80)] - fc[lo_col("auto", 80)]).mean())
    # measured: coverage 0.99 -> 0.83, mean width 26.3 -> 15.3
    assert width["own"] < 0.8 * width["year"], width
    assert cover["year"] > 0.9, cover
    assert 0.7 <= cover["own"] <= 0.9, cover


def test_the_dates_by_series_table_is_pandas_pivot_table():
    """The curve's table (built with ``bincount`` for speed) sums duplicate records, leaves
    a missing record NaN and ignores a date off the grid, as ``pivot_table`` would."""
    from forecasting.models.conformal import _dates_by_series

    df = _shops(n=4, end="2022-03-31")
    df = df.sample(frac=0.8, random_state=1)  # missing records
    df = pd.concat(
        [df, df.head(30), pd.DataFrame({ID: ["s1"], DS: ["2022-02-01 12:00"], Y: [9.0]})]
    )
    df[DS] = pd.to_datetime(df[DS])
    grid = pd.date_range(START, "2022-03-31", freq="D")
    got = _dates_by_series(df, grid)
    expected = df.pivot_table(index=DS, columns=ID, values=Y, aggfunc="sum").reindex(grid)
    order = pd.factorize(df[ID])[1]
    np.testing.assert_allclose(got, expected[order].to_numpy())
    assert np.isnan(got).any()
