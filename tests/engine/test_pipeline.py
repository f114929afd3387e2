from __future__ import annotations

import pandas as pd

from forecasting.engine.forecast import TrainConfig, data_key, forecast, run_summary
from forecasting.engine.store import ModelStore
from forecasting.schema import DS, ID
from tests.support import make_panel


def test_forecast_merges_models_and_reports_progress(panel, tmp_path):
    seen = []
    cfg = TrainConfig(models=["seasonal_naive", "ets"], horizon=14, levels=[80])
    res = forecast(
        panel, "D", cfg, progress=lambda f, label: seen.append(f), store=ModelStore(tmp_path)
    )
    assert res.models == ["seasonal_naive", "ets"]
    assert {"seasonal_naive", "ets", "ets-lo-80", "seasonal_naive-hi-80"} <= set(
        res.forecast.columns
    )
    assert len(res.forecast) == 14 * panel[ID].nunique()
    assert seen[-1] == 1.0 and seen == sorted(seen)
    summary = run_summary(res)
    assert set(summary["source"]) == {"trained"}
    # ordinary data: every series long enough, nothing skipped, no fallback
    assert summary["skipped_series"].eq(0).all() and summary["fallback_series"].eq(0).all()


def test_same_data_and_settings_never_retrain(panel, tmp_path):
    store = ModelStore(tmp_path)
    cfg = TrainConfig(models=["ets"], horizon=7)
    first = forecast(panel, "D", cfg, store=store)
    second = forecast(panel, "D", cfg, store=store)
    assert second.runs["ets"].source == "disk"
    pd.testing.assert_frame_equal(first.forecast, second.forecast)
    # Other settings or other data -> trained again.
    other = forecast(panel, "D", TrainConfig(models=["ets"], horizon=7, seed=1), store=store)
    assert other.runs["ets"].source == "trained"
    changed = panel.assign(y=panel["y"] + 1)
    assert forecast(changed, "D", cfg, store=store).runs["ets"].source == "trained"


def test_data_key_depends_on_content():
    a = make_panel(n_series=1, days=60)
    assert data_key(a, "D") == data_key(a.copy(), "D")
    assert data_key(a, "D") != data_key(a.assign(y=a["y"] * 2), "D")
    assert data_key(a, "D") != data_key(a, "W-MON")


def test_too_short_for_a_model_goes_down_its_fallback_chain(panel):
    short = panel[panel[DS] < panel[DS].min() + pd.Timedelta(days=10)]
    res = forecast(short, "D", TrainConfig(models=["seasonal_naive", "ets"], horizon=7))
    assert set(res.models) == {"seasonal_naive", "ets"} and not res.errors
    assert set(res.runs["ets"].fallbacks.values()) == {"seasonal_naive"}
    assert res.forecast["ets"].notna().all()


def test_model_failure_is_reported_not_raised(panel, monkeypatch):
    from forecasting.models.base import Forecaster

    monkeypatch.setattr(Forecaster, "fallback_chain", lambda self: [])  # nothing to fall to
    short = panel[panel[DS] < panel[DS].min() + pd.Timedelta(days=10)]
    res = forecast(short, "D", TrainConfig(models=["seasonal_naive", "ets"], horizon=7))
    assert "seasonal_naive" in res.models
    assert res.errors["ets"].key == "history_too_short"
    assert "ets" not in res.forecast.columns


def test_calibration_is_stored_with_the_model(tmp_path):
    """Conformal refits happen once: a second process loads them from disk."""
    from forecasting.engine.forecast import fit_model, predict_model, store_key

    p = make_panel(n_series=2, days=200)
    store = ModelStore(tmp_path)
    cfg = TrainConfig(
        models=["lightgbm"], horizon=7, model_params={"lightgbm": {"n_estimators": 30}}
    )
    model, _ = fit_model(p, "D", "lightgbm", cfg, store=store)
    key = store_key(data_key(p, "D"), "lightgbm", cfg)
    assert store.load(key).calibration_state() == frozenset()
    first = predict_model(model, cfg, store=store, key=key)
    reloaded = store.load(key)
    assert 7 in reloaded.calibration_state()
    pd.testing.assert_frame_equal(predict_model(reloaded, cfg), first)


def test_the_bar_moves_through_the_band_calibration_too(tmp_path):
    """LightGBM's conformal refit runs as its own phase of the bar, not inside a still
    forecast; the forecast then reuses it (one calibration, saved with the model)."""
    from forecasting.engine.forecast import run_models, store_key

    p = make_panel(n_series=3, days=200)
    cfg = TrainConfig(
        models=["lightgbm"], horizon=7, levels=[80], model_params={"lightgbm": {"n_estimators": 40}}
    )
    steps = []
    store = ModelStore(tmp_path)
    runs = run_models(p, "D", cfg, store=store, on_step=steps.append)
    assert runs["lightgbm"].error is None and runs["lightgbm"].interval_method == "conformal"
    phases = [s.phase for s in steps]
    fit = [s.fraction for s in steps if s.phase == "fit"]
    bands = [s for s in steps if s.phase == "bands"]
    assert phases.index("bands") > max(i for i, ph in enumerate(phases) if ph == "fit")
    assert max(fit) == 0.5 and len(bands) >= 5  # one refit (shared scheme): half the bar
    assert [s.fraction for s in bands] == sorted(s.fraction for s in bands)
    assert bands[-1].fraction == 1.0 and bands[-1].label == "± 40/40"
    key = store_key(data_key(p, "D"), "lightgbm", cfg)
    assert 7 in store.load(key).calibration_state()
    steps.clear()  # again: loaded with its bands, nothing to calibrate
    run_models(p, "D", cfg, store=store, on_step=steps.append)
    assert "bands" not in [s.phase for s in steps]


def test_a_model_with_its_own_bands_has_no_calibration_phase(panel):
    from forecasting.engine.forecast import run_models

    steps = []
    cfg = TrainConfig(models=["seasonal_naive"], horizon=7, levels=[80])
    run_models(panel, "D", cfg, on_step=steps.append)
    assert "bands" not in [s.phase for s in steps]
    assert max(s.fraction for s in steps if s.phase == "fit") == 1.0
