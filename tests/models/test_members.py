"""The members for the kinds of data shops have (issue 10): Theta, intermittent demand
and ridge regression. The shared contract is in test_models_contract.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ShopcastError
from forecasting.models import create, member_models, spec
from forecasting.schema import DS, ID, Y, hi_col, lo_col
from tests.support import make_panel

H = 28
PANEL = make_panel(n_series=3, days=500, seed=2)
CUT = PANEL[DS].max() - pd.Timedelta(days=H)
TRAIN, TEST = PANEL[PANEL[DS] <= CUT], PANEL[PANEL[DS] > CUT]


def _intermittent_panel(seed: int = 0, days: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-02", periods=days, freq="D")
    frames = []
    for s, p in enumerate((0.05, 0.15, 0.3)):
        sales = (rng.random(days) < p) * rng.poisson(2, days) * 1.0
        frames.append(pd.DataFrame({ID: f"slow{s}", DS: ds, Y: sales}))
    return pd.concat(frames, ignore_index=True)


def test_new_members_are_registered_and_only_theta_joins_the_default_members():
    # theta joined with the selection rule chosen on the dev windows (ensemble.WINDOWS...)
    assert "theta" in member_models() and not spec("theta").default
    for name in ("intermittent", "ridge"):
        assert name not in member_models(with_drivers=True), name
        assert not spec(name).default
    assert spec("ridge").uses_drivers and spec("ridge").calendar
    assert not spec("theta").uses_drivers and not spec("intermittent").uses_drivers


def test_theta_has_native_widening_bands():
    fc = create("theta").fit(TRAIN, freq="D").predict(H, level=[80])
    width = (fc[hi_col("theta", 80)] - fc[lo_col("theta", 80)]).to_numpy().reshape(3, H)
    assert (width[:, -1] >= width[:, 0]).all()


def test_intermittent_forecasts_the_demand_rate_of_slow_movers():
    df = _intermittent_panel()
    fc = create("intermittent").fit(df, freq="D").predict(H, level=[80, 95])
    rate = df.groupby(ID)[Y].mean()
    got = fc.groupby(ID)["intermittent"].mean()
    # a flat rate near the long-run mean, ordered like the series' true rates
    assert (fc.groupby(ID)["intermittent"].nunique() == 1).all()
    assert got.sort_values().index.tolist() == rate.sort_values().index.tolist()
    np.testing.assert_allclose(got, rate, rtol=0.6)
    assert (fc[hi_col("intermittent", 95)] > fc["intermittent"]).all()
    assert (fc[lo_col("intermittent", 80)] >= 0).all()


@pytest.mark.parametrize("method", ["imapa", "adida", "tsb", "croston"])
def test_intermittent_methods(method):
    df = _intermittent_panel(seed=1)
    fc = create("intermittent", method=method).fit(df, freq="D").predict(7, level=[])
    assert len(fc) == 21 and (fc["intermittent"] > 0).all()


def test_intermittent_refuses_an_unknown_method():
    with pytest.raises(ShopcastError) as err:
        create("intermittent", method="magic").fit(_intermittent_panel(), freq="D")
    assert err.value.key == "unknown_intermittent_method"


def test_ridge_learns_the_promotion_and_the_week():
    model = create("ridge").fit(TRAIN, freq="D")
    plan = TEST.drop(columns=[Y])
    on = model.predict(H, future=plan.assign(promo=1.0), level=[])["ridge"]
    off = model.predict(H, future=plan.assign(promo=0.0), level=[])["ridge"]
    assert 1.3 < on.sum() / off.sum() < 1.9  # the panel's promotions lift sales by 60%
    fc = model.predict(H, future=plan, level=[80])
    merged = TEST.merge(fc, on=[ID, DS])
    wape = np.abs(merged[Y] - merged["ridge"]).sum() / merged[Y].sum()
    assert wape < 0.12, wape
    coef = model.coefficients()
    assert set(coef["feature"]) == set(model.maker_.feature_names)


def test_ridge_is_deterministic_and_survives_pickle():
    import pickle

    a = create("ridge", seed=1).fit(TRAIN, freq="D")
    b = pickle.loads(pickle.dumps(a))
    pd.testing.assert_frame_equal(a.predict(7, level=[80]), b.predict(7, level=[80]))


def test_ridge_copes_with_a_series_that_never_sold_lately():
    df = TRAIN.copy()
    df.loc[(df[ID] == "sku0") & (df[DS] > CUT - pd.Timedelta(days=60)), Y] = 0.0
    fc = create("ridge", level_window=28).fit(df, freq="D").predict(H, level=[80])
    assert np.isfinite(fc.drop(columns=[ID, DS]).to_numpy()).all()
