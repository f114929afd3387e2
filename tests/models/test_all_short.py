"""Every series too short for the model: the fallback chain forecasts them all.

Monthly data with 20 months: ``ets``, ``ensemble`` and ``auto`` need two years of 12
months, ``seasonal_naive`` one. (Weekly data needs one season for them: see
test_long_season.py.) The model is not fitted itself
(``chain_only_``); ``predict`` returns the chain's numbers under the model's columns, to
the common end, and ``fallbacks_`` names the chain's model of each series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.forecast import TrainConfig, data_key, fit_model, forecast, store_key
from forecasting.engine.store import ModelStore
from forecasting.evaluation.backtest import backtest
from forecasting.evaluation.recommend import recommend_from_models
from forecasting.models import create
from forecasting.models.ensemble import FALLBACK_CHAIN
from forecasting.schema import DS, ID, Y, future_dates, hi_col, lo_col

H = 8
FREQ = "MS"
COMBINING = ["ensemble", "auto"]


def _monthly(months: int = 20, n_series: int = 3, seed: int = 0) -> pd.DataFrame:
    """Seeded monthly sales with a yearly wave; ``w1`` stops 5 months before the others."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2010-02-01", periods=months, freq=FREQ)
    t = np.arange(months)
    frames = []
    for s in range(n_series):
        base = 1000.0 * (s + 1)
        y = base * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 0.05 * base, months)
        n = months - 5 if s == 1 else months
        frames.append(pd.DataFrame({ID: f"w{s}", DS: ds[:n], Y: y[:n]}))
    return pd.concat(frames, ignore_index=True)


MONTHLY = _monthly()
END = MONTHLY[DS].max()


def _check(fc: pd.DataFrame, name: str, ids: set) -> None:
    """Every series of ``ids`` on the ``H`` common dates, contract columns, nested bands."""
    cols = [ID, DS, name, lo_col(name, 95), hi_col(name, 95), lo_col(name, 80), hi_col(name, 80)]
    assert list(fc.columns) == cols
    assert set(fc[ID]) == ids
    dates = list(future_dates(END, H, FREQ))
    for uid, g in fc.groupby(ID):
        assert list(g[DS]) == dates, uid
    assert not fc.isna().any().any()
    assert (fc[lo_col(name, 95)] <= fc[lo_col(name, 80)] + 1e-9).all()
    assert (fc[lo_col(name, 80)] <= fc[name] + 1e-9).all()
    assert (fc[name] <= fc[hi_col(name, 80)] + 1e-9).all()
    assert (fc[hi_col(name, 80)] <= fc[hi_col(name, 95)] + 1e-9).all()


@pytest.mark.parametrize("name", ["ets", *COMBINING])
def test_every_series_too_short_is_forecast_by_the_chain(name):
    model = create(name, seed=0).fit(MONTHLY, freq=FREQ)
    assert model.min_length(FREQ) > MONTHLY.groupby(ID).size().max()  # the premise
    assert model.chain_only_
    fc = model.predict(H, level=[80, 95])
    _check(fc, name, {"w0", "w1", "w2"})  # w1, which stops early, reaches the common end
    assert model.fallbacks_ == {
        "w0": "seasonal_naive",
        "w1": "seasonal_naive",
        "w2": "seasonal_naive",
    }
    assert model.skipped_ == []
    # the chain's own numbers: seasonal naive fitted alone on the same data
    alone = create("seasonal_naive").fit(MONTHLY, freq=FREQ).predict(H, level=[80, 95])
    np.testing.assert_allclose(fc[name], alone["seasonal_naive"])
    np.testing.assert_allclose(fc[hi_col(name, 95)], alone[hi_col("seasonal_naive", 95)])


def test_the_chain_goes_on_to_season_mean_for_a_series_under_one_season():
    young = MONTHLY[MONTHLY[ID] == "w0"].tail(8).assign(**{ID: "young"})
    df = pd.concat([MONTHLY, young], ignore_index=True)
    model = create("ets").fit(df, freq=FREQ)
    _check(model.predict(H, level=[80, 95]), "ets", {"w0", "w1", "w2", "young"})
    assert model.fallbacks_["young"] == "season_mean"
    assert {model.fallbacks_[u] for u in ("w0", "w1", "w2")} == {"seasonal_naive"}


@pytest.mark.parametrize("name", ["ets", "ensemble"])
def test_without_fallbacks_all_too_short_is_still_an_error(name):
    model = create(name)
    model.use_fallbacks = False  # an ensemble member, a calibration refit
    with pytest.raises(Exception) as err:
        model.fit(MONTHLY, freq=FREQ)
    assert err.value.key == "history_too_short"


def test_no_rows_is_still_an_error():
    with pytest.raises(Exception) as err:
        create("ets").fit(MONTHLY.head(0), freq=FREQ)
    assert err.value.key == "history_too_short" and err.value.params["have"] == 0


@pytest.mark.parametrize("name", COMBINING)
def test_a_chain_only_combination_answers_every_reader(name):
    """What the engine, backtests and recommendations read off a fitted combination."""
    model = create(name).fit(MONTHLY, freq=FREQ)
    sel = model.selection(H)
    assert sel["note"] == FALLBACK_CHAIN and sel["weights"].shape[1] == 0
    assert model.calibrate(H)["note"] == FALLBACK_CHAIN
    assert model.member_backtest(H).empty and model.inner_backtest(H) is None
    assert model.calibration_state() == frozenset()  # nothing to save again
    ex = model.explain(H)
    assert list(ex[ID]) == ["w0", "w1", "w2"] and set(ex["chosen"]) == {"seasonal_naive"}
    assert recommend_from_models({name: model}, H) is None
    other = model.variant(select=name == "ensemble")
    _check(other.predict(H, level=[80, 95]), other.alias, {"w0", "w1", "w2"})
    assert model.clone().fit(MONTHLY, freq=FREQ).chain_only_


def test_engine_forecasts_and_stores_a_chain_only_model(tmp_path):
    cfg = TrainConfig(models=["auto", "ets"], horizon=H, levels=[80, 95])
    res = forecast(MONTHLY, FREQ, cfg)
    assert res.errors == {} and res.models == ["auto", "ets"]
    for name in ("auto", "ets"):
        assert set(res.runs[name].fallbacks.values()) == {"seasonal_naive"}
        assert len(res.runs[name].fallbacks) == 3
    assert res.forecast.groupby(ID).size().eq(H).all() and not res.forecast.isna().any().any()
    # saved and loaded back, it forecasts the same
    store = ModelStore(tmp_path)
    model, _ = fit_model(MONTHLY, FREQ, "auto", cfg, store=store)
    loaded = store.load(store_key(data_key(MONTHLY, FREQ), "auto", cfg))
    pd.testing.assert_frame_equal(loaded.predict(H), model.predict(H))


def test_backtest_of_a_chain_only_window_is_scored_and_explained():
    res = backtest(MONTHLY, FREQ, COMBINING, h=4, n_windows=2, levels=[80])
    assert res.failures == []
    assert res.cv[COMBINING].notna().all().all()
    assert set(res.explanations["chosen"]) == {"seasonal_naive"}
