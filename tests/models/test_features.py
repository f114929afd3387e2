"""Feature engineering for the global models: panel layout, lags, drivers, recursion."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecasting.models.features import (
    FeatureMaker,
    calendar_features,
    direct_forecast,
    festival_columns,
    forecast_frame,
    lag_spec,
    recursive_forecast,
    relative_price,
    target_scales,
)
from forecasting.schema import DS, ID, Y, make_future_frame
from tests.support import ROOT, make_panel


def _two_series() -> pd.DataFrame:
    """Series a: 60 days ending 1 Mar; series b: 40 days ending 3 Mar, with a gap."""
    a = pd.DataFrame({ID: "a", DS: pd.date_range(end="2024-03-01", periods=60), Y: np.arange(60.0)})
    b = pd.DataFrame({ID: "b", DS: pd.date_range(end="2024-03-03", periods=40), Y: 100.0})
    b = b.drop(index=[30])  # 2024-02-23 missing
    df = pd.concat([a, b], ignore_index=True)
    df["price"] = np.where(df[ID] == "a", 10.0, 50.0)
    df["promo"] = 0.0
    df["note"] = "text"  # not a number: must be ignored
    return df


def test_lag_spec_follows_the_season():
    assert {7, 14, 28} <= set(lag_spec("D").lags)
    assert 52 in lag_spec("W-SUN").lags
    assert 12 in lag_spec("MS").lags


def test_target_scale_is_last_year_mean_with_fallbacks():
    days = pd.date_range("2022-01-01", periods=730)
    df = pd.concat(
        [
            pd.DataFrame({ID: "grow", DS: days, Y: np.r_[np.full(365, 1.0), np.full(365, 9.0)]}),
            pd.DataFrame({ID: "zero", DS: days, Y: 0.0}),
            pd.DataFrame({ID: "neg", DS: days, Y: np.r_[np.full(365, 4.0), np.full(365, -1.0)]}),
        ]
    )
    s = target_scales(df, "D")
    assert s["grow"] == pytest.approx(9.0)  # only the last 365 days count
    assert s["zero"] == 1.0
    assert s["neg"] == pytest.approx(2.5)  # last year nets negative: mean |y|


def test_panel_is_right_aligned_with_gaps_and_future():
    df = _two_series()
    mk = FeatureMaker("D").fit(df)
    assert mk.drivers_ == ["price", "promo"]
    fut = make_future_frame(df, 5, "D")
    fut.loc[(fut[ID] == "b") & (fut[DS] == "2024-03-05"), "promo"] = 1.0
    p = mk.panel(df, fut, h=5)
    a, b = list(p.ids).index("a"), list(p.ids).index("b")
    o = p.origin
    # last observation of each series sits just before the origin, whatever its date
    assert p.dates[a, o - 1] == np.datetime64("2024-03-01")
    assert p.dates[b, o - 1] == np.datetime64("2024-03-03")
    assert p.dates[b, o + 1] == np.datetime64("2024-03-05")
    assert p.y[a, o - 1] * p.scale[a] == pytest.approx(59.0)
    assert np.isnan(p.y[b, : o - 40]).all() and p.first[b] == o - 40
    gap = o - 1 - 9  # 2024-02-23 is 9 days before 3 Mar
    assert not p.observed[b, gap] and p.y[b, gap] == pytest.approx(1.0)  # interpolated
    assert np.isnan(p.y[:, o:]).all()
    promo = p.exog[:, :, mk.exog_names_.index("promo")]
    assert promo[b, o + 1] == 1.0 and promo[b, o] == 0.0 and promo[a, o + 1] == 0.0
    assert "note" not in mk.drivers_


def test_weekly_and_monthly_offsets():
    w = pd.DataFrame({ID: "s", DS: pd.date_range("2020-01-05", periods=80, freq="W-SUN"), Y: 1.0})
    pw = FeatureMaker("W-SUN").fit(w).panel(w, make_future_frame(w, 3, "W-SUN"), h=3)
    assert pd.Timestamp(pw.dates[0, pw.origin]) == w[DS].max() + pd.Timedelta(weeks=1)
    m = pd.DataFrame({ID: "s", DS: pd.date_range("2020-01-01", periods=30, freq="MS"), Y: 1.0})
    pm = FeatureMaker("MS").fit(m).panel(m, make_future_frame(m, 2, "MS"), h=2)
    assert pd.Timestamp(pm.dates[0, pm.origin + 1]) == pd.Timestamp("2022-08-01")
    assert pm.observed[0, pm.origin - 30 : pm.origin].all()


def test_lags_and_rolling_match_pandas():
    df = make_panel(n_series=2, days=120, seed=3)
    mk = FeatureMaker("D").fit(df)
    p = mk.panel(df)
    rows, cols = mk.training_cells(p)
    x = pd.DataFrame(mk.tabular(p, rows, cols), columns=mk.feature_names)
    assert len(x) == 2 * (120 - lag_spec("D").min_context)
    ref = df.copy()
    ref["s"] = ref[Y] / ref[ID].map(mk.scales_)
    g = ref.groupby(ID)["s"]
    ref["lag_7"] = g.shift(7)
    ref["roll_mean_7"] = g.transform(lambda v: v.shift(1).rolling(7).mean())
    ref["roll_std_28"] = g.transform(lambda v: v.shift(1).rolling(28, min_periods=1).std(ddof=0))
    ref = ref.groupby(ID).apply(lambda d: d.iloc[7:], include_groups=False).reset_index(ID)
    ours = x.assign(**{ID: p.ids[rows], DS: p.dates[rows, cols]})
    both = ref.merge(ours, on=[ID, DS], suffixes=("_ref", ""))
    assert len(both) == len(x)
    for col in ("lag_7", "roll_mean_7"):
        np.testing.assert_allclose(both[col], both[f"{col}_ref"], rtol=1e-5)
    ok = both["roll_std_28_ref"].notna()
    np.testing.assert_allclose(
        both.loc[ok, "roll_std_28"], both.loc[ok, "roll_std_28_ref"], rtol=1e-4, atol=1e-6
    )


def test_relative_price_freezes_reference_at_origin():
    price = np.array([[10.0] * 10 + [9.0] * 5])  # 10 history periods, 5 planned at -10%
    rel = relative_price(price, origin=10, width=4)
    np.testing.assert_allclose(rel[0, :10], 1.0)
    np.testing.assert_allclose(rel[0, 10:], 0.9)  # stays 0.9: the cut does not fade
    hist_cut = relative_price(np.array([[10.0] * 6 + [8.0] * 6]), origin=12, width=4)
    assert hist_cut[0, 6] == pytest.approx(0.8) and hist_cut[0, 11] == pytest.approx(1.0)


def test_price_driver_becomes_relative():
    df = make_panel(n_series=1, days=100, seed=0)
    df["price"] = 20.0
    mk = FeatureMaker("D").fit(df)
    fut = make_future_frame(df, 3, "D").assign(price=[20.0, 18.0, 20.0])
    p = mk.panel(df, fut, h=3)
    rel = p.exog[0, p.origin : p.origin + 3, mk.exog_names_.index("price_rel")]
    np.testing.assert_allclose(rel, [1.0, 0.9, 1.0], rtol=1e-6)


def test_calendar_and_festival_features():
    dates = pd.DatetimeIndex(["2024-11-11", "2024-11-12", "2024-06-18"])
    cal = calendar_features(dates, "D")
    assert cal["cal_dow"].tolist() == [0.0, 1.0, 1.0]
    assert cal["cal_month"].tolist() == [11.0, 11.0, 6.0]
    cyc = calendar_features(dates, "D", cyclic=True)
    assert cyc.filter(like="cal_dow_").sum(axis=1).eq(1).all()
    assert "cal_dow" not in cyc and "cal_doy_sin" in cyc
    weekly = calendar_features(dates, "W-SUN")
    assert "cal_dow" not in weekly and "cal_woy" in weekly
    fest = festival_columns(dates, "D")
    assert fest.loc[0, "fest_double11"] == 1.0 and fest.loc[2, "fest_618"] == 1.0
    assert fest.loc[1, "fest_double11"] == 1.0  # day after the peak is inside the window
    assert len(fest) == 3


def test_recursive_forecast_feeds_predictions_back():
    df = pd.DataFrame(
        {
            ID: "s",
            DS: pd.date_range("2024-01-01", periods=70),
            Y: np.tile([1.0, 2, 3, 4, 5, 6, 7], 10),
        }
    )
    mk = FeatureMaker("D").fit(df)
    p = mk.panel(df, make_future_frame(df, 16, "D"), h=16)
    calls = []

    def step(col):  # seasonal naive through the lag feature: y[t] = y[t-7]
        calls.append(col)
        x = mk.tabular(p, np.arange(len(p.ids)), np.full(len(p.ids), col))
        return x[:, mk.feature_names.index("lag_7")]

    values = recursive_forecast(p, step, 16)
    np.testing.assert_allclose(values[0], np.tile([1.0, 2, 3, 4, 5, 6, 7], 3)[:16])
    assert calls == list(range(p.origin, p.origin + 16))  # one vectorised call per step
    out = forecast_frame(p, values, "m")
    assert list(out.columns) == [ID, DS, "m"] and out[DS].iloc[0] == pd.Timestamp("2024-03-11")


def test_recursion_is_vectorised_and_fast():
    import time

    df = make_panel(n_series=30, days=400, seed=2)
    mk = FeatureMaker("D").fit(df)
    p = mk.panel(df, make_future_frame(df, 28, "D"), h=28)
    rows = np.arange(30)
    start = time.perf_counter()
    recursive_forecast(p, lambda c: mk.tabular(p, rows, np.full(30, c))[:, 0], 28, floor=0.0)
    assert time.perf_counter() - start < 2.0


def test_training_cells_need_context_and_skip_gaps():
    df = _two_series()
    mk = FeatureMaker("D").fit(df)
    p = mk.panel(df)
    rows, cols = mk.training_cells(p, context=7)
    assert (cols >= p.first[rows] + 7).all() and (cols < p.origin).all()
    assert p.observed[rows, cols].all()
    assert len(rows) == (60 - 7) + (39 - 7)  # series b has 39 observed days, one is a gap


def test_importing_models_loads_no_heavy_library():
    code = (
        "import sys, forecasting.models.features, forecasting.models.gbm, forecasting.models.neural\n"
        "bad = [m for m in ('lightgbm', 'tensorflow', 'keras', 'streamlit') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_baseline_replaces_promotion_days_with_the_last_regular_value():
    from forecasting.models.features import baseline

    y = np.array([[1.0, 2.0, 9.0, 9.0, 3.0, np.nan], [8.0, 4.0, 5.0, 6.0, 7.0, 7.5]])
    promo = np.array([[0, 0, 1, 1, 0, 1], [1, 0, 1, 0, 0, 0]], dtype=bool)
    out = baseline(y, promo)
    np.testing.assert_array_equal(out[0, :5], [1.0, 2.0, 2.0, 2.0, 3.0])
    assert np.isnan(out[0, 5])  # not yet forecast stays unknown
    assert np.isnan(out[1, 0])  # promotion before any regular day: no baseline
    np.testing.assert_array_equal(out[1, 1:], [4.0, 4.0, 6.0, 7.0, 7.5])


def test_country_changes_the_festival_columns_only():
    panel = make_panel(n_series=2, days=400, seed=3)
    cn = FeatureMaker("D").fit(panel)
    de = FeatureMaker("D", country="DE").fit(panel)
    assert cn.feature_names == FeatureMaker("D", country="CN").fit(panel).feature_names
    assert "fest_double11" in cn.feature_names and "fest_double11" not in de.feature_names
    assert "fest_christmas_day" in de.feature_names
    grid = de.panel(panel)
    col = de.exog_names_.index("fest_christmas_day")
    xmas = grid.dates[0] == np.datetime64("2023-12-25")
    assert grid.exog[0, xmas, col].tolist() == [1.0]


def test_level_window_auto_follows_the_frequency():
    assert FeatureMaker("D", level_window="auto").level_window == 28
    assert FeatureMaker("W-MON", level_window="auto").level_window == 8
    assert FeatureMaker("MS", level_window="auto").level_window == 3
    assert FeatureMaker("D").level_window is None


def test_level_window_turns_lags_into_ratios_of_the_recent_level():
    panel = make_panel(n_series=2, days=200, seed=4)
    plain = FeatureMaker("D", promo_aware_lags=False).fit(panel)
    ratio = FeatureMaker("D", promo_aware_lags=False, level_window=28).fit(panel)
    grid = plain.panel(panel)
    rows, cols = np.array([0, 1]), np.array([150, 160])
    level = ratio.level(grid, rows, cols)
    expect = [np.mean(grid.y[r, c - 28 : c]) for r, c in zip(rows, cols, strict=True)]
    np.testing.assert_allclose(level, expect)
    np.testing.assert_allclose(plain.level(grid, rows, cols), 1.0)  # off: no division
    n_lag = len(plain.lags) + 2 * len(plain.windows)
    a, b = plain.tabular(grid, rows, cols), ratio.tabular(grid, rows, cols)
    np.testing.assert_allclose(b[:, :n_lag], a[:, :n_lag] / level[:, None], rtol=1e-5)
    np.testing.assert_allclose(b[:, n_lag], level, rtol=1e-6)  # the level is a feature too
    assert ratio.feature_names[n_lag] == "level_28" and len(ratio.feature_names) == b.shape[1]
    np.testing.assert_array_equal(b[:, n_lag + 1 :], a[:, n_lag:])  # calendar, drivers unchanged


def test_a_direct_cell_reads_its_lags_at_the_origin():
    """k steps ahead: lag 1 is the last known value, rolling windows and the level end
    there; a weekly lag reads the target's weekday, the latest one known; calendar and
    drivers stay the target date's; ``steps_ahead`` is k."""
    panel = make_panel(n_series=2, days=200, seed=4)
    rec = FeatureMaker("D", promo_aware_lags=False, level_window=28).fit(panel)
    dire = FeatureMaker("D", promo_aware_lags=False, level_window=28, direct=10).fit(panel)
    assert dire.lags == (1, 2, 3, 7, 14, 21, 28)
    grid = dire.panel(panel)
    rows, cols, back = np.array([0, 1, 1]), np.array([150, 160, 170]), np.array([0, 4, 9])
    x = dire.tabular(grid, rows, cols, back)
    level = rec.level(grid, rows, cols - back)
    np.testing.assert_allclose(dire.level(grid, rows, cols, back), level)
    y = grid.y[rows]
    i = np.arange(3)
    origin = cols - back  # the first unknown column of each cell's forecast
    expect = {
        "lag_1": y[i, origin - 1],  # the last known value
        "lag_3": y[i, origin - 3],
        # weekly lags: steps 1, 5, 10 -> 7 / 7 / 14 days before the target, all known
        "lag_7": y[i, cols - np.array([7, 7, 14])],
        "lag_14": y[i, cols - 14],
        "lag_28": y[i, cols - 28],
    }
    names = dire.feature_names
    for name, want in expect.items():
        np.testing.assert_allclose(x[:, names.index(name)], want / level, rtol=1e-5)
    # rolling statistics end at the origin: a recursive cell's at the origin's column
    at_origin = rec.tabular(grid, rows, origin)
    roll = [j for j, n in enumerate(names) if n.startswith(("roll_", "level_"))]
    np.testing.assert_allclose(x[:, roll], at_origin[:, roll], rtol=1e-5)
    ahead = names.index("steps_ahead")
    assert ahead == roll[-1] + 1 and len(names) == x.shape[1]
    np.testing.assert_array_equal(x[:, ahead], back + 1)
    # calendar, festivals and drivers: the target date's (a recursive cell's at ``cols``)
    np.testing.assert_array_equal(x[:, ahead + 1 :], rec.tabular(grid, rows, cols)[:, ahead:])
    assert "steps_ahead" not in rec.feature_names
    assert dire.pad >= max(dire.lags) + 9  # the furthest lag of the furthest step stays inside


def test_direct_training_draws_one_origin_per_cell_within_reach():
    panel = make_panel(n_series=4, days=600, seed=1)
    maker = FeatureMaker("D", direct=14).fit(panel)
    grid = maker.panel(panel)
    rows, cols = maker.training_cells(grid)
    back = maker.training_backs(grid, rows, cols, seed=0)
    assert back.shape == rows.shape and back.min() == 0 and back.max() == 13
    # no origin earlier than min_context periods after the series' first value
    assert (cols - back >= grid.first[rows] + maker.spec.min_context).all()
    # every step ahead is learnt from about as many cells (uniform draw, seeded)
    counts = np.bincount(back[cols - grid.first[rows] >= 14 + maker.spec.min_context])
    assert counts.min() > 0.8 * counts.mean()
    np.testing.assert_array_equal(back, maker.training_backs(grid, rows, cols, seed=0))
    assert FeatureMaker("D").fit(panel).training_backs(grid, rows, cols) is None


def test_direct_forecast_never_reads_its_own_predictions_within_a_block():
    """Each step of a block is predicted from the origin's values only; the next block
    starts from the previous block's forecasts."""
    panel = make_panel(n_series=2, days=200, seed=4)
    maker = FeatureMaker("D", promo_aware_lags=False, direct=5).fit(panel)
    grid = maker.panel(panel, None, 12)
    calls = []

    def cells(rows, cols, back):
        calls.append((cols.copy(), back.copy()))
        # a "model" that returns lag 1: the value at the origin, whatever the step
        return maker.tabular(grid, rows, cols, back)[:, 0]

    values = direct_forecast(grid, cells, 12, 5)
    assert [len(np.unique(c)) for c, _ in calls] == [5, 5, 2]  # blocks of 5, 5 and 2 steps
    last = grid.y[:, grid.origin - 1] * grid.scale
    np.testing.assert_allclose(values, np.repeat(last[:, None], 12, axis=1))
    for cols, back in calls:  # every cell of a block counts back to the block's origin
        assert len(np.unique(cols - back)) == 1


def test_direct_auto_follows_the_frequency():
    """``direct="auto"`` is resolved where ``level_window="auto"`` is (the feature maker),
    so every tabular model (LightGBM, ridge) takes it."""
    assert FeatureMaker("D", direct="auto").direct == 28
    assert FeatureMaker("W-MON", direct="auto").direct == 13
    assert FeatureMaker("MS", direct="auto").direct == 6
    assert FeatureMaker("D").direct is None
