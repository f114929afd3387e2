"""What drives a forecast: LightGBM contributions and Prophet components add up to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.models.explain import (
    COMPONENTS,
    by_component,
    explain,
    feature_group,
    festival_effects,
    supports,
)
from forecasting.schema import DS, ID


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("bias", "trend"),
        ("lag_7", "trend"),
        ("roll_mean_28", "trend"),
        ("level_28", "trend"),
        ("trend", "trend"),
        ("cal_dow", "weekly"),
        ("weekly", "weekly"),
        ("cal_month", "yearly"),
        ("cal_doy_sin", "yearly"),
        ("yearly", "yearly"),
        ("fest_double11", "festivals"),
        ("fest_618_d", "festivals"),
        ("price_rel", "promo_price"),
        ("价格_rel", "promo_price"),
        ("promo", "promo_price"),
        ("折扣", "promo_price"),
        ("open", "other"),
        ("log_scale", "other"),
        ("cal_dom", "other"),
    ],
)
def test_feature_groups(name, group):
    assert feature_group(name) == group


def _plan(df: pd.DataFrame, h: int) -> pd.DataFrame:
    """Promotions on every third forecast day."""
    last = df[DS].max()
    dates = pd.date_range(last + pd.Timedelta(days=1), periods=h, freq="D")
    rows = [
        pd.DataFrame({ID: u, DS: dates, "promo": (np.arange(h) % 3 == 0).astype(float)})
        for u in df[ID].unique()
    ]
    return pd.concat(rows, ignore_index=True)


def _sums_match(detail: pd.DataFrame, fc: pd.DataFrame, alias: str) -> float:
    sums = detail.groupby([ID, DS])["value"].sum().rename("sum").reset_index()
    both = fc.merge(sums, on=[ID, DS], how="outer")
    assert both["sum"].notna().all() and both[alias].notna().all()
    return float(np.abs(both["sum"] - both[alias]).max())


def test_lightgbm_contributions_add_up_to_the_forecast(make_panel):
    df = make_panel(n_series=3, days=400, seed=2, promo_effect=1.0)
    h = 14
    plan = _plan(df, h)
    m = create("lightgbm", n_estimators=60)
    m.fit(df, freq="D")
    fc = m.predict(h, future=plan, level=[])
    detail = explain(m, h, plan)
    assert supports(m) and set(detail[ID]) == set(df[ID])
    assert _sums_match(detail, fc, "lightgbm") < 1e-6
    # the method on the model gives the same frame, and one series alone matches too
    one = m.components(h, plan, "sku1")
    pd.testing.assert_frame_equal(
        one.reset_index(drop=True), detail[detail[ID] == "sku1"].reset_index(drop=True)
    )
    comps = by_component(detail)
    assert list(comps.columns) == [ID, DS, "component", "value"]
    assert set(comps["component"]) <= set(COMPONENTS)
    # the promotion days get a positive promotions & price contribution, the others less
    promo = comps[comps["component"] == "promo_price"].merge(plan, on=[ID, DS])
    on, off = promo.loc[promo["promo"] == 1, "value"], promo.loc[promo["promo"] == 0, "value"]
    assert on.mean() > 0 and on.mean() > off.mean() + 5


def test_lightgbm_transform_to_units(make_panel):
    """Contributions are ratios to the series' scale: times the scale they are units."""
    df = make_panel(n_series=2, days=300, seed=4)
    m = create("lightgbm", n_estimators=30)
    m.fit(df, freq="D")
    detail = explain(m, 1)
    panel = m.maker_.panel(df, None, 0)
    x = m.maker_.tabular(panel, np.arange(2), np.full(2, panel.origin - 1))
    contrib = m.booster_.predict(x, pred_contrib=True)
    raw = m.booster_.predict(x)
    assert np.allclose(contrib.sum(axis=1), raw)  # LightGBM's own identity
    first = detail.groupby(ID)["value"].sum()
    scale = m.maker_.scales_.reindex(first.index).to_numpy()
    fc = m.predict(1, level=[]).set_index(ID)["lightgbm"].reindex(first.index)
    assert np.allclose(first.to_numpy(), fc.to_numpy())
    bias = detail[detail["feature"] == "bias"].set_index(ID)["value"].reindex(first.index)
    assert np.allclose(bias.to_numpy() / scale, contrib[0, -1])  # expected value x scale


def test_prophet_components_add_up_and_name_the_festival(make_panel):
    # one series ending two days before Double 11: the horizon holds the festival
    df = make_panel(n_series=1, days=419, seed=1, start="2023-09-18")
    assert df[DS].max() == pd.Timestamp("2024-11-09")
    h = 7
    m = create("prophet", uncertainty_samples=0)
    m.fit(df, freq="D")
    fc = m.predict(h, level=[])
    detail = m.components(h)
    assert _sums_match(detail, fc, "prophet") < 1e-6
    comps = set(detail["component"])
    assert {"trend", "weekly", "festivals"} <= comps
    effects = festival_effects(detail)
    assert "double11" in effects.index


def test_models_that_cannot_explain(make_panel):
    df = make_panel(n_series=1, days=120, seed=0)
    m = create("seasonal_naive")
    m.fit(df, freq="D")
    assert not supports(m)
    out = explain(m, 7)
    assert out.empty and list(out.columns) == [ID, DS, "feature", "component", "value"]
    assert not supports(create("lightgbm"))  # unfitted


def test_direct_lightgbm_contributions_add_up_to_the_forecast(make_panel):
    """A direct model's forecast (blocks of steps from one origin) is explained on the
    same rows: the parts sum to it, past the first block too."""
    df = make_panel(n_series=2, days=300, seed=2, promo_effect=1.0)
    h = 12
    plan = _plan(df, h)
    m = create("lightgbm", n_estimators=40, direct=5).fit(df, freq="D")
    fc = m.predict(h, future=plan, level=[])
    detail = explain(m, h, plan)
    assert _sums_match(detail, fc, "lightgbm") < 1e-6
    assert feature_group("steps_ahead") == "trend"
