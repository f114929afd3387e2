"""LightGBM global model: accuracy against seasonal naive, drivers, contract, persistence."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.models.gbm import LightGBMModel
from forecasting.schema import DS, ID, Y, hi_col, lo_col
from tests.support import make_panel

H = 28
PANEL = make_panel(n_series=4, days=600, seed=5)
CUT = PANEL[DS].max() - pd.Timedelta(days=H)
TRAIN, TEST = PANEL[PANEL[DS] <= CUT], PANEL[PANEL[DS] > CUT]
FUTURE = TEST.drop(columns=[Y])
FAST = {"n_estimators": 150, "learning_rate": 0.08}


@pytest.fixture(scope="module")
def fitted():
    seen = []
    model = create("lightgbm", seed=3, **FAST)
    model.fit(TRAIN, freq="D", progress=lambda f, label: seen.append((f, label)))
    return model, seen


@pytest.fixture(scope="module")
def forecast(fitted):
    return fitted[0].predict(H, future=FUTURE, level=[80, 95])


def _mae(fc: pd.DataFrame, col: str) -> float:
    merged = TEST.merge(fc, on=[ID, DS])
    assert len(merged) == len(TEST)
    return float(np.abs(merged[Y] - merged[col]).mean())


def test_declared_capabilities():
    assert LightGBMModel.uses_drivers and LightGBMModel.global_model
    assert not LightGBMModel.native_intervals and LightGBMModel.calibration_windows == 2
    assert LightGBMModel.__doc__.strip()


def test_beats_seasonal_naive(forecast):
    naive = create("seasonal_naive").fit(TRAIN, freq="D").predict(H, level=[])
    ours, bench = _mae(forecast, "lightgbm"), _mae(naive, "seasonal_naive")
    assert ours < 0.8 * bench, f"lightgbm MAE {ours:.2f} vs seasonal naive {bench:.2f}"


def test_contract_and_nested_bands(forecast):
    fc = forecast
    assert fc.groupby(ID).size().eq(H).all() and set(fc[ID]) == set(TRAIN[ID])
    assert fc[DS].min() == CUT + pd.Timedelta(days=1)
    lo95, lo80 = fc[lo_col("lightgbm", 95)], fc[lo_col("lightgbm", 80)]
    hi80, hi95 = fc[hi_col("lightgbm", 80)], fc[hi_col("lightgbm", 95)]
    assert (lo95 <= lo80).all() and (lo80 <= fc["lightgbm"]).all()
    assert (fc["lightgbm"] <= hi80).all() and (hi80 <= hi95).all()
    assert ((hi95 - lo95) > 0).all()


def test_promo_driver_raises_the_forecast(fitted):
    model = fitted[0]
    on = model.predict(H, future=FUTURE.assign(promo=1.0), level=[])
    off = model.predict(H, future=FUTURE.assign(promo=0.0), level=[])
    assert on["lightgbm"].sum() > 1.2 * off["lightgbm"].sum()


def test_progress_reaches_one(fitted):
    seen = fitted[1]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 5
    total = FAST["n_estimators"]  # boosting rounds done / rounds, the label of a moving bar
    assert seen[-1][1] == f"{total}/{total}"
    assert all(label.endswith(f"/{total}") for _, label in seen)


def test_same_seed_same_output(forecast):
    again = create("lightgbm", seed=3, **FAST).fit(TRAIN, freq="D")
    pd.testing.assert_frame_equal(forecast, again.predict(H, future=FUTURE, level=[80, 95]))


def test_params_round_trip():
    model = create("lightgbm", alias="gbm", seed=9, num_leaves=15, max_depth=5)
    params = model.get_params()
    assert params["num_leaves"] == 15 and params["max_depth"] == 5 and params["seed"] == 9
    assert "n_estimators" in params  # defaults are explicit, so a manifest shows them
    twin = model.clone()
    assert twin.get_params() == params and not twin.fitted_ and twin.alias == "gbm"


def test_band_settings_stay_out_of_lightgbm(fitted):
    """``band_season`` / ``band_full_season`` set the bands; LightGBM never sees them, and
    the trees are the default's."""
    model = create("lightgbm", seed=3, band_season=0.0, band_full_season=False, **FAST)
    model.fit(TRAIN, freq="D")
    assert not {"band_season", "band_full_season"} & set(model.booster_.params)
    assert model.booster_.model_to_string() == fitted[0].booster_.model_to_string()


def test_calibration_windows_is_a_setting(fitted):
    """``calibration_windows`` sets how many cut-offs calibrate the bands: one error row
    per series and window (the default two), kept by clones."""
    model = create("lightgbm", seed=3, calibration_windows=4, **FAST)
    assert model.calibration_windows == 4 and model.clone().calibration_windows == 4
    model.fit(TRAIN, freq="D")
    n = TRAIN[ID].nunique()
    assert model.calibrate(H)["errors"].shape == (4 * n, H)
    assert fitted[0].calibrate(H)["errors"].shape == (2 * n, H)


def test_small_fits_use_one_thread(monkeypatch):
    """Below ``THREAD_ROWS`` training rows a fit runs on one thread (a second one cost
    more than it saved); from there on every core; an explicit ``num_threads`` wins."""
    from forecasting.engine import parallel
    from forecasting.models.gbm import THREAD_ROWS

    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 4)
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.delenv(parallel.WORKER_ENV, raising=False)
    model = create("lightgbm")
    assert model._threads(THREAD_ROWS - 1) == 1
    assert model._threads(THREAD_ROWS) == 4
    assert create("lightgbm", num_threads=3)._threads(10) == 3


def test_pickle_round_trip_predicts_the_same(fitted):
    model = fitted[0]
    before = model.predict(H, future=FUTURE, level=[])
    after = pickle.loads(pickle.dumps(model)).predict(H, future=FUTURE, level=[])
    pd.testing.assert_frame_equal(before, after)


def test_feature_importance_names_drivers(fitted):
    imp = fitted[0].feature_importance()
    assert {"promo", "lag_7"} <= set(imp["feature"]) and imp["gain"].is_monotonic_decreasing


def test_weekly_and_monthly_data():
    weekly = make_panel(n_series=3, days=150, seed=1)
    weekly[DS] = pd.Timestamp("2021-01-03") + pd.to_timedelta(
        weekly.groupby(ID).cumcount() * 7, unit="D"
    )
    fc = create("lightgbm", n_estimators=40).fit(weekly, freq="W-SUN").predict(8, level=[80])
    assert fc.groupby(ID).size().eq(8).all()
    assert fc[DS].min() == weekly[DS].max() + pd.Timedelta(weeks=1)
    monthly = weekly.copy()
    monthly[DS] = [
        pd.Timestamp("2012-01-01") + pd.DateOffset(months=int(k))
        for k in weekly.groupby(ID).cumcount()
    ]
    fm = create("lightgbm", n_estimators=40).fit(monthly, freq="MS").predict(6, level=[])
    assert fm[DS].min() == pd.Timestamp("2024-07-01") and fm.groupby(ID).size().eq(6).all()


def test_series_ending_on_different_dates():
    """One horizon for everyone (issue 10): a series whose records stop early is still
    forecast on the same ``h`` dates after the data's last date as the others."""
    df = TRAIN[~((TRAIN[ID] == "sku0") & (TRAIN[DS] > CUT - pd.Timedelta(days=10)))]
    fc = create("lightgbm", n_estimators=40).fit(df, freq="D").predict(5, level=[])
    first = fc.groupby(ID)[DS].min()
    assert first["sku0"] == first["sku1"] == CUT + pd.Timedelta(days=1)
    assert fc.groupby(ID).size().eq(5).all()
    assert np.isfinite(fc["lightgbm"]).all()


def test_too_short_history_is_a_clear_error():
    from forecasting.errors import ShopcastError

    short = PANEL.groupby(ID).head(20)
    m = create("lightgbm")
    m.use_fallbacks = False  # on its own (the fallback chain is tested in test_all_short)
    with pytest.raises(ShopcastError) as err:
        m.fit(short, freq="D")
    assert err.value.key == "history_too_short"


def test_real_rossmann_stores_with_gaps_and_promotions():
    """Real daily store sales (some stores have a half-year hole): beat seasonal naive."""
    from tests.support import shared_file

    path = shared_file("rossmann100", "train.csv")
    raw = pd.read_csv(path, usecols=["Store", "Date", "Sales", "Open", "Promo"])
    sizes = raw.groupby("Store").size()
    stores = [*sizes[sizes < sizes.max()].index[:3], *sizes[sizes == sizes.max()].index[:9]]
    raw = raw[raw["Store"].isin(stores)]
    df = pd.DataFrame(
        {
            ID: raw["Store"].astype(str),
            DS: pd.to_datetime(raw["Date"]),
            Y: raw["Sales"].astype(float),
            "promo": raw["Promo"].astype(float),
            "open": raw["Open"].astype(float),
        }
    )
    h = 42  # Kaggle's horizon
    cut = df[DS].max() - pd.Timedelta(days=h)
    train, test = df[df[DS] <= cut], df[df[DS] > cut]
    fc = create("lightgbm", n_estimators=150, learning_rate=0.08).fit(train, freq="D")
    fc = fc.predict(h, future=test.drop(columns=[Y]), level=[])
    naive = create("seasonal_naive").fit(train, freq="D").predict(h, level=[])
    merged = test.merge(fc, on=[ID, DS]).merge(naive, on=[ID, DS])
    assert len(merged) == len(test)
    ours = np.abs(merged[Y] - merged["lightgbm"]).mean()
    bench = np.abs(merged[Y] - merged["seasonal_naive"]).mean()
    assert ours < 0.6 * bench, f"lightgbm MAE {ours:.0f} vs seasonal naive {bench:.0f}"
    # closed days are known in advance: the model must forecast (almost) nothing for them
    closed = merged["open"] == 0
    assert closed.any() and merged.loc[closed, "lightgbm"].mean() < 0.05 * merged[Y].mean()


def test_default_is_unchanged_by_the_new_options(forecast):
    """``country="CN"`` and ``level_window=None`` are today's behaviour, bit for bit."""
    same = create("lightgbm", seed=3, country="CN", level_window=None, **FAST)
    out = same.fit(TRAIN, freq="D").predict(H, future=FUTURE, level=[80, 95])
    pd.testing.assert_frame_equal(forecast, out)


def _falling(days: int = 500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three series falling steadily with a weekly season: (history, last H days)."""
    ds = pd.date_range("2022-01-03", periods=days, freq="D")
    t = np.arange(days)
    rng = np.random.default_rng(0)
    frames = [
        pd.DataFrame(
            {
                ID: f"s{s}",
                DS: ds,
                Y: (100 + 50 * s) * np.exp(-t / 250) * (1 + 0.2 * np.sin(2 * np.pi * t / 7))
                + rng.normal(0, 1, days),
            }
        )
        for s in range(3)
    ]
    df = pd.concat(frames, ignore_index=True)
    cut = ds[-H - 1]
    return df[df[DS] <= cut], df[df[DS] > cut]


def test_level_window_follows_a_level_below_the_training_range():
    """A series that falls steadily: predicting ratios to the recent level keeps the
    forecast near the last weeks instead of the older, higher values."""
    train, test = _falling()
    errors = {}
    for window in (None, 28):
        model = create("lightgbm", seed=0, level_window=window, **FAST).fit(train, freq="D")
        fc = model.predict(H, level=[80])
        merged = test.merge(fc, on=[ID, DS])
        errors[window] = float(np.abs(merged[Y] - merged["lightgbm"]).sum() / merged[Y].sum())
        assert (fc["lightgbm-lo-80"] <= fc["lightgbm"]).all()
    assert errors[28] < errors[None], errors


def test_direct_lightgbm_forecasts_the_whole_horizon_in_blocks():
    """``direct``: one model for 1..H steps from the origin; a longer horizon continues
    H steps at a time; the first block is the same whatever the horizon; bands nest."""
    model = create("lightgbm", seed=3, direct=10, **FAST).fit(TRAIN, freq="D")
    assert "steps_ahead" in model.maker_.feature_names
    long = model.predict(H, future=FUTURE, level=[80])
    assert long.groupby(ID).size().eq(H).all() and long["lightgbm"].notna().all()
    assert (long[lo_col("lightgbm", 80)] <= long["lightgbm"]).all()
    assert (long["lightgbm"] <= long[hi_col("lightgbm", 80)]).all()
    short = model.predict(10, future=FUTURE, level=[])
    head = long.groupby(ID).head(10)[[ID, DS, "lightgbm"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(short[[ID, DS, "lightgbm"]].reset_index(drop=True), head)
    # it learns: better than seasonal naive on the held-out days, like the recursive model
    naive = create("seasonal_naive").fit(TRAIN, freq="D").predict(H, level=[])
    assert _mae(long, "lightgbm") < 0.8 * _mae(naive, "seasonal_naive")
    auto = create("lightgbm", seed=3, direct="auto", **FAST).fit(TRAIN, freq="D")
    assert auto.maker_.direct == 28  # four weeks of days


def test_direct_lightgbm_follows_a_falling_level():
    """Trained on ratios to the origin's level (``level_window``), the direct model
    forecasts a steadily falling series at least as well as the recursive one."""
    train, test = _falling()
    err = {}
    for direct in (None, "auto"):
        fc = create("lightgbm", seed=0, level_window=28, direct=direct, **FAST)
        fc = fc.fit(train, freq="D").predict(H, level=[])
        merged = test.merge(fc, on=[ID, DS])
        err[direct] = float(np.abs(merged[Y] - merged["lightgbm"]).sum() / merged[Y].sum())
    assert err["auto"] < 0.1 and err["auto"] <= err[None] * 1.1, err
