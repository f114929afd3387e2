"""Never drop a series; one horizon for everyone (issue 10).

A series too short for a model is forecast by the fallback chain (model ->
seasonal_naive -> season_mean) under the model's own columns and named in
``fallbacks_``; a series whose records stop early is forecast to the same end date
as the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.models.base import Forecaster
from forecasting.models.naive import SeasonMean
from forecasting.schema import DS, ID, Y, future_dates, hi_col, lo_col
from tests.support import make_panel

H = 14
FAST = {
    "lightgbm": {"n_estimators": 40},
    "ensemble": {"member_params": {"lightgbm": {"n_estimators": 40}}},
    "auto": {"member_params": {"lightgbm": {"n_estimators": 40}}},
}
LONG = make_panel(n_series=3, days=150, seed=2)


def _short_panel() -> pd.DataFrame:
    """Three long series, ``new`` (10 days: under ETS's 14, over a 7-day season) and
    ``tiny`` (4 days: under a season)."""
    new = LONG[LONG[ID] == "sku1"].tail(10).assign(**{ID: "new"})
    tiny = LONG[LONG[ID] == "sku2"].tail(4).assign(**{ID: "tiny"})
    return pd.concat([LONG, new, tiny], ignore_index=True)


def _check_covers(fc: pd.DataFrame, name: str, ids: set, end: pd.Timestamp) -> None:
    assert set(fc[ID]) == ids
    dates = future_dates(end, H, "D")
    for uid, g in fc.groupby(ID):
        assert list(g[DS]) == list(dates), uid
    assert not fc.isna().any().any()
    assert (fc[lo_col(name, 80)] <= fc[name] + 1e-9).all()
    assert (fc[name] <= fc[hi_col(name, 80)] + 1e-9).all()
    assert (fc[lo_col(name, 95)] <= fc[lo_col(name, 80)] + 1e-9).all()


@pytest.mark.parametrize("name", ["ets", "ensemble", "auto", "lightgbm", "seasonal_naive"])
def test_short_series_go_down_the_fallback_chain(name):
    df = _short_panel()
    model = create(name, seed=0, **FAST.get(name, {})).fit(df, freq="D")
    fc = model.predict(H, level=[80, 95])
    _check_covers(fc, name, set(df[ID]), df[DS].max())
    expected = {"tiny": "season_mean"}
    if name != "seasonal_naive":  # seasonal naive itself takes ``new`` (one full season)
        expected["new"] = "seasonal_naive"
    assert model.fallbacks_ == expected
    assert model.skipped_ == [] and not model.chain_only_  # the model itself forecast the rest
    # the fallback's numbers, under the requested model's columns
    alone = create("seasonal_naive", seed=0).fit(df[df[ID] == "new"], freq="D").predict(H)
    got = fc[fc[ID] == "new"].reset_index(drop=True)
    np.testing.assert_allclose(got[name], alone["seasonal_naive"])


def test_without_fallbacks_the_old_skip_remains():
    """Ensemble members and calibration refits opt out: scored on their own numbers."""
    model = create("ets")
    model.use_fallbacks = False
    model.fit(_short_panel(), freq="D")
    assert sorted(model.skipped_) == ["new", "tiny"] and model.fallbacks_ == {}
    assert set(model.predict(H)[ID]) == {"sku0", "sku1", "sku2"}
    assert model.clone().use_fallbacks is False


def test_all_series_too_short_go_down_the_chain():
    """No series long enough for ETS (14 days): the chain forecasts every one of them
    (more cases, weekly and with the combinations, in ``test_all_short.py``)."""
    df = pd.concat([LONG.groupby(ID).tail(10), _short_panel().query(f"{ID} == 'tiny'")])
    model = create("ets").fit(df, freq="D")
    assert model.chain_only_
    _check_covers(model.predict(H, level=[80, 95]), "ets", set(df[ID]), df[DS].max())
    assert model.fallbacks_ == {
        "sku0": "seasonal_naive",
        "sku1": "seasonal_naive",
        "sku2": "seasonal_naive",
        "tiny": "season_mean",
    }


def test_all_series_too_short_without_fallbacks_is_still_an_error():
    model = create("ets")
    model.use_fallbacks = False
    with pytest.raises(Exception) as err:
        model.fit(LONG.groupby(ID).tail(10), freq="D")
    assert err.value.key == "history_too_short"


def test_season_mean_is_the_mean_of_the_last_season_with_honest_bands():
    y = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    df = pd.DataFrame({ID: "a", DS: pd.date_range("2024-01-01", periods=5), Y: y})
    fc = SeasonMean().fit(df, freq="D").predict(3, level=[80])
    assert np.allclose(fc["season_mean"], y.mean())
    half = 1.2815515655446004 * y.std(ddof=1) * np.sqrt(1 + 1 / 5)
    assert np.allclose(fc["season_mean-hi-80"] - fc["season_mean"], half)
    one = SeasonMean().fit(df.head(1), freq="D").predict(2, level=[80])
    assert (one["season_mean-hi-80"] > one["season_mean"]).all()  # no false certainty


class _GapModel(Forecaster):
    """A toy that gives no numbers for ``sku1`` (as a model failing on one series)."""

    name = "gap_toy"
    native_intervals = True
    min_seasons = 1.0

    def _fit(self, df, progress):
        self.level_ = df.groupby(ID)[Y].mean()

    def _predict(self, h, future, levels):
        out = future[[ID, DS]].copy()
        out[self.alias] = out[ID].map(self.level_).where(out[ID] != "sku1")
        for lv in levels:
            out[lo_col(self.alias, lv)] = out[self.alias] - 1
            out[hi_col(self.alias, lv)] = out[self.alias] + 1
        return out


def test_a_series_left_without_numbers_is_forecast_by_the_chain():
    model = _GapModel().fit(LONG, freq="D")
    fc = model.predict(H, level=[80])
    assert not fc.isna().any().any() and fc.groupby(ID).size().eq(H).all()
    assert model.fallbacks_ == {"sku1": "seasonal_naive"}


def _ragged() -> pd.DataFrame:
    """``sku2``'s records stop 7 days before the others'."""
    end = LONG[DS].max()
    return LONG[~((LONG[ID] == "sku2") & (LONG[DS] > end - pd.Timedelta(days=7)))]


@pytest.mark.parametrize("name", ["ets", "lightgbm", "ensemble", "seasonal_naive"])
def test_a_series_ending_early_is_forecast_to_the_common_end(name):
    df = _ragged()
    model = create(name, seed=0, **FAST.get(name, {})).fit(df, freq="D")
    fc = model.predict(H, level=[80, 95])
    _check_covers(fc, name, set(df[ID]), LONG[DS].max())
    # series that end on the common date get what they got before (align=False: own end)
    own = model.predict(H, level=[80, 95], align=False)
    pd.testing.assert_frame_equal(
        fc[fc[ID] != "sku2"].reset_index(drop=True), own[own[ID] != "sku2"].reset_index(drop=True)
    )
    early = own[own[ID] == "sku2"]
    assert early[DS].max() == LONG[DS].max() + pd.Timedelta(days=H - 7)


def test_fallback_series_also_reach_the_common_end():
    df = _ragged()
    tiny = LONG[LONG[ID] == "sku0"].iloc[-12:-7].assign(**{ID: "tiny"})  # 5 days, ends early
    fc = create("ets").fit(pd.concat([df, tiny]), freq="D").predict(H, level=[80, 95])
    _check_covers(fc, "ets", {"sku0", "sku1", "sku2", "tiny"}, LONG[DS].max())


def test_no_inner_backtest_means_members_averaged_and_said():
    """40 days cannot hold two 28-day windows: ``auto`` cannot choose, so each series
    gets the members' plain average, recorded as ``equal_weights``."""
    df = make_panel(n_series=2, days=40, seed=1)
    model = create("auto", **FAST["auto"]).fit(df, freq="D")
    fc = model.predict(28, level=[80])
    assert model.fallbacks_ == {"sku0": "equal_weights", "sku1": "equal_weights"}
    assert fc.groupby(ID).size().eq(28).all() and not fc.isna().any().any()
