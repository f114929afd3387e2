"""Bands calibrated only on inner windows that held a full season (``band_full_season``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, lo_col

H = 13


def _weekly(n_weeks: int = 75, n: int = 4, seed: int = 5) -> pd.DataFrame:
    """``n`` store-departments of weekly sales with a Christmas peak three times the
    level (weeks 47-52) and 5% noise, starting in January: the inner windows cut before
    the first December cannot know the peak, the later ones can (last year's weeks)."""
    ds = pd.date_range("2022-01-07", periods=n_weeks, freq="W-FRI")
    rng = np.random.default_rng(seed)
    peak = np.where(ds.isocalendar().week.to_numpy() >= 47, 3.0, 1.0)
    frames = [
        pd.DataFrame(
            {ID: f"d{i}", DS: ds, Y: 100.0 * (i + 1) * peak * rng.normal(1.0, 0.05, n_weeks)}
        )
        for i in range(n)
    ]
    return pd.concat(frames, ignore_index=True)


def _history_at(df: pd.DataFrame, cv: pd.DataFrame) -> pd.Series:
    """Weeks of history each row's inner window was fitted on."""
    counts = {
        (u, c): int((df.loc[df[ID] == u, DS] <= c).sum())
        for u, c in cv[[ID, CUTOFF]].drop_duplicates().itertuples(index=False)
    }
    return pd.Series([counts[(u, c)] for u, c in zip(cv[ID], cv[CUTOFF], strict=True)])


@pytest.fixture(scope="module")
def fitted():
    df = _weekly()
    ens = create("ensemble", members=["seasonal_naive", "lightgbm"], seed=0).fit(df, "W-FRI")
    fc = ens.predict(H, level=[80])
    off = ens.variant(select=False)
    off.params = {**off.params, "band_full_season": False}
    off.calibration_ = {k: v for k, v in ens.calibration_.items() if k[0] == "cv"}
    return df, ens, fc, off.predict(H, level=[80])


def test_windows_fitted_on_less_than_a_season_are_left_out_of_the_bands(fitted):
    df, ens, _, _ = fitted
    cv = ens.member_backtest(H)
    weeks = _history_at(df, cv)
    assert (weeks < 52).any() and (weeks >= 52).any()  # both kinds of window are there
    short = ens._unseasoned(cv, H)
    np.testing.assert_array_equal(short, (weeks < 52).to_numpy())
    # the calibration errors that are left come only from the full-season windows
    errors = ens.selection(H)["errors"]
    full = cv.loc[~short].groupby([ID, CUTOFF], observed=True).ngroups
    assert np.isfinite(errors).any(axis=1).sum() == full


def test_the_bands_come_from_windows_like_the_forecast(fitted):
    _, _, fc, every = fitted
    alias = "ensemble"
    # same points, narrower bands: the windows that missed the first Christmas (no year of
    # history) no longer set the width of a forecast that has last year to go on
    np.testing.assert_allclose(fc[alias].to_numpy(), every[alias].to_numpy())
    width = (fc[hi_col(alias, 80)] - fc[lo_col(alias, 80)]).mean()
    wide = (every[hi_col(alias, 80)] - every[lo_col(alias, 80)]).mean()
    assert width < 0.6 * wide


def _bare(df: pd.DataFrame) -> object:
    ens = create("ensemble")
    ens.train_, ens.freq = df, "W-FRI"
    return ens


def _cv(df: pd.DataFrame, cuts: list[str]) -> pd.DataFrame:
    rows = []
    for u in df[ID].unique():
        for c in map(pd.Timestamp, cuts):
            dates = pd.date_range(c, periods=H + 1, freq="W-FRI")[1:]
            rows.append(pd.DataFrame({ID: u, CUTOFF: c, DS: dates, Y: 1.0}))
    return pd.concat(rows, ignore_index=True)


def test_a_series_shorter_than_a_season_keeps_every_window():
    df = _weekly(n_weeks=45)  # never a full season: its windows are as good as it gets
    cv = _cv(df, ["2022-06-03", "2022-07-29"])
    assert not _bare(df)._unseasoned(cv, H).any()


def test_nothing_is_left_out_when_less_than_one_window_would_remain():
    df = _weekly(n_weeks=60, n=1)
    early = _cv(df, ["2022-09-02", "2022-10-28"])  # 35 and 43 weeks of history
    assert not _bare(df)._unseasoned(early, H).any()
    mixed = _cv(df, ["2022-10-28", "2023-01-06"])  # 43 and 53 weeks
    np.testing.assert_array_equal(
        _bare(df)._unseasoned(mixed, H), mixed[CUTOFF].eq(pd.Timestamp("2022-10-28")).to_numpy()
    )


def _lightgbm_width(df: pd.DataFrame, **params) -> tuple[float, object]:
    model = create("lightgbm", **params).fit(df, "W-FRI")
    fc = model.predict(H, level=[80])
    return float((fc[hi_col("lightgbm", 80)] - fc[lo_col("lightgbm", 80)]).mean()), model


def test_a_single_models_calibration_leaves_out_windows_without_a_season_too():
    """LightGBM on its own: its calibration refit at the earlier cut-off (49 weeks) has no
    lag of a year, the forecast has; that window's rows are left out and the later one
    refitted on its own history (62 weeks)."""
    df = _weekly()
    width, model = _lightgbm_width(df)
    wide, every = _lightgbm_width(df, band_full_season=False)
    errors, all_errors = model.calibration_[H]["errors"], every.calibration_[H]["errors"]
    assert len(errors) == df[ID].nunique() and len(all_errors) == 2 * df[ID].nunique()
    # measured: mean 80% width 39 instead of 151 (a level of 100-400, 5% noise)
    assert width < 0.5 * wide, (width, wide)


def test_a_single_model_with_a_season_in_every_window_is_unchanged():
    df = _weekly(n_weeks=130)
    width, model = _lightgbm_width(df)
    same, every = _lightgbm_width(df, band_full_season=False)
    assert width == pytest.approx(same)
    np.testing.assert_array_equal(model.calibration_[H]["errors"], every.calibration_[H]["errors"])
