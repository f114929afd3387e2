"""A combination's inner backtest refits ETS and Theta with the choice each made on the
whole history (``Forecaster.backtest_clone``; ``ensemble.PIN``), not a new search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.parallel import ENV
from forecasting.models import create
from forecasting.models.stats import chosen_forms, chosen_variants
from forecasting.schema import DS, ID, Y
from tests.support import make_panel

H = 14


def _panel() -> pd.DataFrame:
    df = make_panel(n_series=6, days=150, seed=5)
    df[Y] = df[Y] + 5.0
    return df[[ID, DS, Y]]


PANEL = _panel()
PAST = PANEL[PANEL[DS] <= PANEL[DS].max() - pd.Timedelta(days=H)]


def _variants(model) -> dict:
    return {u: v for sf in model.sfs_ for u, v in chosen_variants(sf).items()}


@pytest.fixture(autouse=True)
def _one_process(monkeypatch):
    monkeypatch.setenv(ENV, "1")


def test_ets_backtest_clone_keeps_each_series_form_and_refits_its_parameters():
    full = create("ets").fit(PANEL, freq="D")
    forms = {u: f for sf in full.sfs_ for u, f in chosen_forms(sf).items()}
    assert set(forms) == set(PANEL[ID].unique())
    clone = full.backtest_clone()
    assert clone.params["series_forms"] == forms
    assert not getattr(clone, "fitted_", False)  # unfitted: nothing of the full fit is reused
    window = clone.fit(PAST, freq="D")
    assert {u: f for sf in window.sfs_ for u, f in chosen_forms(sf).items()} == forms
    # the parameters are the window's own: statsforecast's AutoETS given only that form
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    uid, form = next(iter(forms.items()))
    alone = StatsForecast(
        models=[AutoETS(season_length=7, model=form[:3], damped=form[3] == "D", alias="ets")],
        freq="D",
    )
    expected = alone.fit(PAST[PAST[ID] == uid]).predict(h=H)["ets"].to_numpy()
    got = window.predict(H)
    np.testing.assert_allclose(got[got[ID] == uid]["ets"].to_numpy(), expected, rtol=1e-6)
    # a series the clone has no form for (new in the window) gets the full search
    extra = PAST[PAST[ID] == uid].assign(**{ID: "new"})
    mixed = full.backtest_clone().fit(pd.concat([PAST, extra]), freq="D")
    assert set(mixed.predict(H)[ID]) == {*forms, "new"}


def test_theta_backtest_clone_keeps_each_series_variant():
    full = create("theta").fit(PANEL, freq="D")
    chosen = _variants(full)
    clone = full.backtest_clone()
    assert clone.params["series_variants"] == chosen
    window = clone.fit(PAST, freq="D")
    assert _variants(window) == chosen
    assert len(window.predict(H)) == H * PANEL[ID].nunique()


def test_a_model_without_a_search_clones_plainly():
    naive = create("seasonal_naive").fit(PANEL, freq="D")
    assert naive.backtest_clone().get_params() == naive.clone().get_params()


@pytest.mark.parametrize("pin", [True, False])
def test_the_inner_backtest_uses_the_pinned_clones_unless_told_not_to(pin, monkeypatch):
    from forecasting.models.base import Forecaster
    from forecasting.models.stats import ETS

    calls = []

    def spy(cls):
        original = cls.backtest_clone

        def clone(self):
            calls.append(self.alias)
            return original(self)

        monkeypatch.setattr(cls, "backtest_clone", clone)

    spy(Forecaster)
    spy(ETS)
    ens = create("ensemble", members=["seasonal_naive", "ets"], pin=pin).fit(PANEL, freq="D")
    fc = ens.predict(H)
    assert fc["ensemble"].notna().all()
    windows = ens.member_backtest(H)["cutoff"].nunique()
    assert windows >= 2
    assert sorted(calls) == (sorted(["ets", "seasonal_naive"] * windows) if pin else [])
