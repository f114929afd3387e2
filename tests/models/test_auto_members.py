"""``auto`` leaves the slow member (Prophet) out of its default members,
``ensemble`` keeps it; a fitted ensemble still gives its ``auto`` sibling for free, the
other way round it cannot; Theta inside a combination fits the last year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting.models.ensemble as ens
from forecasting.evaluation.backtest import backtest
from forecasting.models import REGISTRY, ModelSpec, create
from tests import toy_models
from tests.support import make_panel

TOY = toy_models.TOY


@pytest.fixture(autouse=True)
def _auto_chooses(monkeypatch):
    """These panels have 3 series: ``auto`` chooses (and leaves the slow member out) from
    ``select_min`` series on, so it is set to 1 here; fewer series than SELECT_MIN, where
    ``auto`` is the ensemble, slow member included, are ``test_select_min.py``'s."""
    monkeypatch.setattr(ens, "SELECT_MIN", 1)


def _panels() -> tuple[pd.DataFrame, pd.DataFrame]:
    p = make_panel(3, 150, seed=5)
    plain = p[["unique_id", "ds", "y"]]
    varying = plain.assign(promo=(p["ds"].dt.dayofweek == 4).astype(float))
    return plain, varying


def _slow_toy(monkeypatch) -> None:
    """Members: seasonal naive always, the toy as the slow driver member (Prophet's role)."""
    toy_models.register(monkeypatch)
    slow = ModelSpec(TOY, "tests.toy_models", "MeanModel", "pandas", uses_drivers=True, slow=True)
    monkeypatch.setitem(REGISTRY, TOY, slow)
    monkeypatch.setattr(ens, "DEFAULT_MEMBERS", ("seasonal_naive",))
    monkeypatch.setattr(ens, "DRIVER_MEMBERS", (TOY,))


def test_prophet_is_the_slow_member_auto_leaves_out():
    plain, varying = _panels()
    fast = [m for m in ens.DEFAULT_MEMBERS if m != "prophet"]
    assert "prophet" in ens.DEFAULT_MEMBERS
    for df in (plain, varying):  # with or without drivers (stop 17)
        assert ens.default_members(df) == list(ens.DEFAULT_MEMBERS)
        assert ens.default_members(df, slow=False) == fast
        assert ens.AutoSelect().default_members(df) == fast
        assert ens.Ensemble().default_members(df) == list(ens.DEFAULT_MEMBERS)


def test_auto_fits_without_the_slow_member_unless_asked(monkeypatch):
    _slow_toy(monkeypatch)
    _, varying = _panels()
    toy_models.MeanModel.fits = 0
    auto = create("auto").fit(varying, "D")
    assert auto.members == ["seasonal_naive"] and list(auto.models_) == ["seasonal_naive"]
    assert toy_models.MeanModel.fits == 0  # never fitted, not even in the inner backtest
    auto.predict(7, future=_future(varying, 7), level=[80])
    assert toy_models.MeanModel.fits == 0
    assert create("ensemble").fit(varying, "D").members == ["seasonal_naive", TOY]
    asked = create("auto", members=["seasonal_naive", TOY]).fit(varying, "D")
    assert list(asked.models_) == ["seasonal_naive", TOY]


def _future(df: pd.DataFrame, h: int) -> pd.DataFrame:
    last = df["ds"].max()
    days = pd.date_range(last + pd.Timedelta(days=1), periods=h, freq="D")
    ids = df["unique_id"].unique()
    out = pd.DataFrame([(u, d) for u in ids for d in days], columns=["unique_id", "ds"])
    return out.assign(promo=(out["ds"].dt.dayofweek == 4).astype(float)) if "promo" in df else out


def test_auto_from_a_fitted_ensemble_is_the_auto_a_user_would_fit(monkeypatch):
    """Derived from a fitted ensemble, ``auto`` drops the slow member (the ensemble keeps
    it) and forecasts what ``auto`` fitted on its own forecasts; an ensemble cannot be
    derived from an ``auto`` that lacks a member it would have."""
    _slow_toy(monkeypatch)
    plain, varying = _panels()
    fut = _future(varying, 7)
    ensemble = create("ensemble").fit(varying, "D")
    ensemble.predict(7, future=fut, level=[80])
    derived = ensemble.variant(select=True)
    assert derived.members == ["seasonal_naive"] and list(derived.models_) == ["seasonal_naive"]
    assert list(ensemble.models_) == ["seasonal_naive", TOY]  # the ensemble is unchanged
    alone = create("auto").fit(varying, "D")
    pd.testing.assert_frame_equal(
        derived.predict(7, future=fut, level=[80]), alone.predict(7, future=fut, level=[80])
    )
    assert list(derived.selection(7)["weights"].columns) == ["seasonal_naive"]
    assert alone.variant(select=False) is None
    # without varying drivers the two have the same members and derive both ways
    flat = create("auto").fit(plain, "D")
    assert flat.variant(select=False).members == ["seasonal_naive"]


def test_a_backtest_of_both_gives_the_ensemble_its_slow_member_in_any_order(monkeypatch):
    _slow_toy(monkeypatch)
    _, varying = _panels()
    for order in (["auto", "ensemble"], ["ensemble", "auto"]):
        res = backtest(varying, "D", order, h=7, n_windows=2)
        ex = res.explanations
        assert ex.loc[ex.model == "ensemble", f"weight_{TOY}"].notna().all(), order
        auto = ex[ex.model == "auto"]
        assert f"weight_{TOY}" not in auto.dropna(axis=1, how="all").columns, order
        assert res.cv[["auto", "ensemble"]].notna().all().all()


@pytest.mark.parametrize("days", [200, 500])
def test_theta_in_a_combination_fits_the_last_year(days):
    """Inside ``ensemble``/``auto`` Theta sees at most THETA_HISTORY periods; on its own
    it keeps the whole history."""
    p = make_panel(2, days, seed=6)[["unique_id", "ds", "y"]]
    combo = create("auto", members=["seasonal_naive", "theta"]).fit(p, "D")
    theta = combo.models_["theta"]
    assert theta.params["max_history"] == ens.THETA_HISTORY
    alone = create("theta").fit(p, "D")
    assert "max_history" not in alone.params
    # same forecast as a Theta fitted on the last year only
    recent = p.groupby("unique_id").tail(ens.THETA_HISTORY)
    own = create("theta").fit(recent, "D").predict(14, level=[])
    np.testing.assert_allclose(
        theta.predict(14, level=[])["theta"].to_numpy(), own["theta"].to_numpy(), rtol=1e-9
    )
    if days <= ens.THETA_HISTORY:
        np.testing.assert_allclose(
            alone.predict(14, level=[])["theta"].to_numpy(), own["theta"].to_numpy(), rtol=1e-9
        )
