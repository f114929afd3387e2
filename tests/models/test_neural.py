"""Keras MLP, LSTM and transformer: accuracy, drivers, determinism, native persistence."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ShopcastError
from forecasting.models import create
from forecasting.models.neural import NATIVE_FILE, LSTMModel, MLPModel, TransformerModel
from forecasting.schema import DS, ID, Y, hi_col, lo_col
from tests.support import make_panel

pytestmark = pytest.mark.slow  # trains real TensorFlow networks

H = 28
PANEL = make_panel(n_series=4, days=500, seed=5)
CUT = PANEL[DS].max() - pd.Timedelta(days=H)
TRAIN, TEST = PANEL[PANEL[DS] <= CUT], PANEL[PANEL[DS] > CUT]
FUTURE = TEST.drop(columns=[Y])
# Small settings: the whole module should stay around a minute on 2 shared cores.
FAST = {"mlp": {"epochs": 25}, "lstm": {"epochs": 8}, "transformer": {"epochs": 8}}
NAMES = ["mlp", "lstm", "transformer"]


def _mae(fc: pd.DataFrame, col: str) -> float:
    merged = TEST.merge(fc, on=[ID, DS])
    assert len(merged) == len(TEST)
    return float(np.abs(merged[Y] - merged[col]).mean())


def _fit(name: str, progress=None):
    return create(name, seed=11, **FAST[name]).fit(TRAIN, freq="D", progress=progress)


@pytest.fixture(scope="module", params=NAMES)
def fitted(request):
    seen: list[tuple[float, str]] = []
    model = _fit(request.param, lambda f, label: seen.append((f, label)))
    fc = model.predict(H, future=FUTURE, level=[80, 95])
    return model, fc, seen


@pytest.fixture(scope="module")
def naive_mae():
    fc = create("seasonal_naive").fit(TRAIN, freq="D").predict(H, level=[])
    return _mae(fc, "seasonal_naive")


# ---------------------------------------------------------------- no TensorFlow needed
def test_declared_capabilities_and_descriptions():
    for cls in (MLPModel, LSTMModel, TransformerModel):
        assert cls.uses_drivers and cls.global_model and not cls.native_intervals
        assert cls.calibration_windows == 1  # refits are costly
        assert cls.__doc__.strip()


def test_params_round_trip_and_unknown_param():
    model = create("lstm", alias="rnn", seed=4, units=8, window=14)
    params = model.get_params()
    assert params["units"] == 8 and params["window"] == 14 and "epochs" in params
    twin = model.clone()
    assert twin.get_params() == params and twin.calibration_windows == 1
    with pytest.raises(ShopcastError) as err:
        create("mlp", unitz=3)
    assert err.value.key == "unknown_model_param" and "unitz" in err.value.message("zh")
    # the band settings every conformal model reads are settings of the networks too
    assert "band_season" in err.value.message("en")
    assert create("mlp", band_season=0.0, band_full_season=False).params["band_season"] == 0.0


def test_explicit_window_raises_the_minimum_history():
    assert create("mlp", window=70).min_length("D") > create("mlp").min_length("D")


# ---------------------------------------------------------------- fitted networks
def test_contract_and_nested_bands(fitted):
    model, fc, _ = fitted
    a = model.alias
    assert fc.groupby(ID).size().eq(H).all() and set(fc[ID]) == set(TRAIN[ID])
    assert fc[DS].min() == CUT + pd.Timedelta(days=1)
    assert (fc[lo_col(a, 95)] <= fc[lo_col(a, 80)]).all()
    assert (fc[lo_col(a, 80)] <= fc[a]).all() and (fc[a] <= fc[hi_col(a, 80)]).all()
    assert (fc[hi_col(a, 80)] <= fc[hi_col(a, 95)]).all()
    assert model.interval_method_ == "conformal"


def test_accuracy_against_seasonal_naive(fitted, naive_mae):
    model, fc, _ = fitted
    mae = _mae(fc, model.alias)
    # both must beat seasonal naive; the LSTM gets only 8 epochs here, so less margin
    bound = 0.8 * naive_mae if model.name == "mlp" else naive_mae
    assert mae < bound, f"{model.name} MAE {mae:.2f} vs seasonal naive {naive_mae:.2f}"


def test_promo_driver_matters(fitted):
    model = fitted[0]
    on = model.predict(H, future=FUTURE.assign(promo=1.0), level=[])[model.alias].sum()
    off = model.predict(H, future=FUTURE.assign(promo=0.0), level=[])[model.alias].sum()
    assert on > 1.2 * off  # the panel's true effect of a promotion on every day is x1.6


def test_progress_is_reported_per_epoch(fitted):
    model, _, seen = fitted
    fractions = [f for f, _ in seen]
    assert len(seen) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(seen) == model.epochs_run_ + 1  # each epoch, then "done"


def test_same_seed_same_output(fitted):
    model, fc, _ = fitted
    again = _fit(model.name).predict(H, future=FUTURE, level=[])
    pd.testing.assert_frame_equal(fc[[ID, DS, model.alias]], again)


def test_native_save_and_pickle_round_trip(fitted, tmp_path):
    model, fc, _ = fitted
    model.save_native(tmp_path)
    assert (tmp_path / NATIVE_FILE).is_file()
    blob = pickle.dumps(model)
    assert model.net_ is not None  # pickling must not strip the live model
    restored = pickle.loads(blob)
    with pytest.raises(ShopcastError) as err:  # network not loaded yet: say so
        restored.predict(H, future=FUTURE, level=[])
    assert err.value.key == "model_network_missing"
    restored.load_native(tmp_path)
    # same calibration and same network: the whole forecast, bands included, is identical
    pd.testing.assert_frame_equal(fc, restored.predict(H, future=FUTURE, level=[80, 95]))


def test_short_weekly_history_scales_the_window_down():
    weekly = make_panel(n_series=3, days=60, seed=2)
    weekly[DS] = pd.Timestamp("2022-01-02") + pd.to_timedelta(
        weekly.groupby(ID).cumcount() * 7, unit="D"
    )
    model = create("mlp", epochs=3).fit(weekly, freq="W-SUN")
    assert model.window_ < 52
    fc = model.predict(6, level=[])
    assert fc.groupby(ID).size().eq(6).all() and np.isfinite(fc["mlp"]).all()
