"""One contract, every registered model (STYLE.md habit 5).

Each model is fitted once per module on a seeded panel; the tests check the
forecast contract, nested bands, reproducibility, an accuracy bound, a save/load
round trip through the model store and that the registry's ``uses_drivers`` is
honest. Models whose spec says ``slow`` (Prophet, TensorFlow) are marked ``slow``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.store import ModelStore
from forecasting.models import available, create, get_class, spec
from forecasting.schema import DS, ID, Y, hi_col, lo_col
from tests.support import make_panel

H = 28
LEVELS = [80, 95]
# Small settings so the whole contract runs in about a minute on 2 cores.
FAST = {
    "mlp": {"epochs": 15},
    "lstm": {"epochs": 6},
    "transformer": {"epochs": 6},
    "prophet": {"uncertainty_samples": 200},
}
# Maximum WAPE on the last 28 days of the seeded panel (regression guard, not a target).
MAX_WAPE = {
    "seasonal_naive": 0.25,
    "ets": 0.2,
    "arima": 0.2,
    "prophet": 0.2,
    "lightgbm": 0.15,
    "mlp": 0.25,
    "lstm": 0.3,
    "transformer": 0.3,
    "ensemble": 0.15,
    "auto": 0.15,
    "theta": 0.2,
    "intermittent": 0.3,
    "ridge": 0.15,
}

PANEL = make_panel(n_series=3, days=730, seed=1)
CUT = PANEL[DS].max() - pd.Timedelta(days=H)
TRAIN, TEST = PANEL[PANEL[DS] <= CUT], PANEL[PANEL[DS] > CUT]


def _fit(name: str):
    return create(name, seed=7, **FAST.get(name, {})).fit(TRAIN, freq="D")


def _predict(model, future: pd.DataFrame | None = None, level=LEVELS) -> pd.DataFrame:
    return model.predict(
        H, future=TEST.drop(columns=[Y]) if future is None else future, level=level
    )


def _fit_predict(name: str) -> pd.DataFrame:
    return _predict(_fit(name))


def _param(name: str):
    return pytest.param(name, marks=pytest.mark.slow) if spec(name).slow else name


MODELS = [_param(n) for n in available()]


@pytest.fixture(scope="module", params=MODELS)
def fitted(request):
    """``(name, fitted model, its forecast of TEST)``, once per model and module."""
    model = _fit(request.param)
    return request.param, model, _predict(model)


@pytest.fixture
def result(fitted):
    name, _, fc = fitted
    return name, fc


def test_shape_and_columns(result):
    name, fc = result
    expected = [
        ID,
        DS,
        name,
        lo_col(name, 95),
        hi_col(name, 95),
        lo_col(name, 80),
        hi_col(name, 80),
    ]
    assert list(fc.columns) == expected
    assert fc.groupby(ID).size().eq(H).all()
    assert set(fc[ID]) == set(TRAIN[ID])
    assert fc[DS].min() == CUT + pd.Timedelta(days=1)
    assert not fc[expected[2:]].isna().any().any()


def test_bands_are_ordered_and_nested(result):
    name, fc = result
    lo95, lo80, hi80, hi95 = (
        fc[lo_col(name, 95)],
        fc[lo_col(name, 80)],
        fc[hi_col(name, 80)],
        fc[hi_col(name, 95)],
    )
    assert (lo95 <= lo80 + 1e-9).all() and (lo80 <= fc[name] + 1e-9).all()
    assert (fc[name] <= hi80 + 1e-9).all() and (hi80 <= hi95 + 1e-9).all()
    assert ((hi95 - lo95) > 0).mean() > 0.9, "bands must have real width"
    assert (lo95 >= 0).all(), "sales data is non-negative, so are the bands"


def test_accuracy_bound(result):
    name, fc = result
    merged = TEST.merge(fc, on=[ID, DS])
    wape = np.abs(merged[Y] - merged[name]).sum() / merged[Y].abs().sum()
    assert wape < MAX_WAPE[name], f"{name} WAPE {wape:.3f}"


def test_coverage_is_plausible(result):
    name, fc = result
    merged = TEST.merge(fc, on=[ID, DS])
    inside = (
        (merged[Y] >= merged[lo_col(name, 95)]) & (merged[Y] <= merged[hi_col(name, 95)])
    ).mean()
    assert inside > 0.6, f"{name} 95% band covers only {inside:.0%}"


def test_same_seed_same_output(result):
    name, fc = result
    again = _fit_predict(name)
    pd.testing.assert_frame_equal(fc, again, rtol=1e-6, atol=1e-6)


def test_clone_is_unfitted_with_same_params(result):
    name, _ = result
    m = create(name, seed=3, **FAST.get(name, {}))
    c = m.clone()
    assert c.get_params() == m.get_params() and not c.fitted_


@pytest.mark.parametrize("name", available())
def test_spec_matches_the_class(name):
    cls = get_class(name)
    assert cls.name == name
    assert cls.uses_drivers == spec(name).uses_drivers


def test_store_round_trip_gives_the_same_forecast(fitted, tmp_path):
    name, model, fc = fitted
    store = ModelStore(tmp_path)
    assert store.save("contract", model, {"data_key": "contract"}) is not None, name
    again = store.load("contract")
    assert type(again) is type(model) and again.calibration_state() == model.calibration_state()
    pd.testing.assert_frame_equal(_predict(again), fc)


def test_uses_drivers_is_honest(fitted):
    """Promotions lift sales by 60% in the panel: promo 0 -> 1 over the whole plan must
    move a driver-aware model's forecast, and must not move any other model's."""
    name, model, _ = fitted
    plan = TEST.drop(columns=[Y])
    off = _predict(model, plan.assign(promo=0.0), level=[])
    on = _predict(model, plan.assign(promo=1.0), level=[])
    if spec(name).uses_drivers:
        change = (on[name] - off[name]).abs().mean() / off[name].abs().mean()
        assert change > 0.01, f"{name}: promo 0 -> 1 moved the forecast by {change:.2%}"
    else:
        pd.testing.assert_frame_equal(on, off)


def test_ordinary_data_needs_no_fallback(fitted):
    """Every series of the panel is long enough: no series skipped, none sent down the
    fallback chain (``Forecaster.fallbacks_``), so the forecast is the model's own."""
    name, model, _ = fitted
    assert model.skipped_ == [] and model.fallbacks_ == {}, name
