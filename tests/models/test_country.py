"""Holidays by country (issue 10): the calendar-aware models take ``country``; the CLI's
``--country`` threads it into their parameters; no country changes nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.cli.common import with_country
from forecasting.errors import ShopcastError
from forecasting.models import REGISTRY, create
from forecasting.schema import DS, Y
from tests.support import make_panel

PANEL = make_panel(n_series=2, days=500, seed=6)
CUT = PANEL[DS].max() - pd.Timedelta(days=14)
TRAIN = PANEL[PANEL[DS] <= CUT]


def test_no_country_or_cn_leaves_the_params_as_they_are():
    params = {"lightgbm": {"n_estimators": 50}}
    assert with_country(params, ["lightgbm", "ensemble"], None) is params
    assert with_country(params, ["lightgbm", "ensemble"], "cn") is params


def test_country_reaches_every_calendar_model_and_ensemble_members():
    out = with_country({"prophet": {"country": "US"}}, ["ets", "lightgbm", "prophet", "auto"], "de")
    assert "ets" not in out  # ETS reads no calendar: its stored model stays valid
    assert out["lightgbm"] == {"country": "DE"}
    assert out["prophet"] == {"country": "US"}  # what the user wrote in --params wins
    members = out["auto"]["member_params"]
    assert set(members) == {n for n, s in REGISTRY.items() if s.calendar}
    assert all(p == {"country": "DE"} for p in members.values())


def test_unknown_country_is_refused_before_training():
    with pytest.raises(ShopcastError) as err:
        with_country({}, ["lightgbm"], "XX")
    assert err.value.key == "unknown_country"


def test_lightgbm_with_german_holidays_learns_from_them():
    model = create("lightgbm", n_estimators=30, country="DE").fit(TRAIN, freq="D")
    names = model.booster_.feature_name()
    assert "fest_christmas_day" in names and "fest_double11" not in names
    fc = model.predict(14, future=PANEL[PANEL[DS] > CUT].drop(columns=[Y]), level=[80])
    assert len(fc) == 28
    default = create("lightgbm", n_estimators=30).fit(TRAIN, freq="D")
    assert "fest_double11" in default.booster_.feature_name()


def test_ensemble_passes_the_country_to_its_members():
    params = with_country({}, ["ensemble"], "GB")["ensemble"]
    model = create("ensemble", members=["seasonal_naive", "ridge"], **params)
    model.fit(TRAIN, freq="D")
    assert model.models_["ridge"].params["country"] == "GB"
    assert "fest_boxing_day" in model.models_["ridge"].maker_.feature_names


@pytest.mark.slow
def test_prophet_uses_the_country_holidays():
    one = TRAIN[TRAIN["unique_id"] == "sku0"]
    model = create("prophet", country="DE", uncertainty_samples=0).fit(one, freq="D")
    holidays = model.models_["sku0"].holidays
    assert "german_unity_day" in set(holidays["holiday"])
    assert "double11" not in set(holidays["holiday"])


@pytest.mark.slow
def test_keras_models_take_the_country_calendar():
    model = create("mlp", country="DE", epochs=1).fit(TRAIN, freq="D")
    assert "fest_christmas_day" in model.maker_.feature_names
    assert "fest_double11" not in model.maker_.feature_names
    assert "fest_double11" in create("mlp", epochs=1).fit(TRAIN, freq="D").maker_.feature_names
