"""Weekly sales of one to two years (a season longer than ``base.LONG_SEASON``, issue 10).

The combinations need one season of weekly history, not two: a shop with 60-100 weeks of
sales (Walmart's development windows, the short series of a held-out weekly set) gets
the members that can forecast it (seasonal naive, LightGBM) rather than the fallback
chain. ETS, Theta and Prophet still need two years; daily and monthly data two seasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.schema import DS, ID, Y

H = 12
FREQ = "W-FRI"
FAST = {"member_params": {"lightgbm": {"n_estimators": 40}}}


def _weekly(lengths: list[int], seed: int = 0) -> pd.DataFrame:
    """Seeded weekly sales with a yearly wave and a trend, all ending on the same week."""
    rng = np.random.default_rng(seed)
    frames = []
    for s, n in enumerate(lengths):
        ds = pd.date_range(end="2026-06-26", periods=n, freq=FREQ)
        t = np.arange(n)
        y = 500 + 3.0 * t + 80 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 15, n)
        frames.append(pd.DataFrame({ID: f"s{s}", DS: ds, Y: y}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(
    ("name", "weekly", "daily", "monthly"),
    [
        ("ets", 104, 14, 24),
        ("theta", 104, 14, 24),
        ("ensemble", 52, 14, 24),
        ("auto", 52, 14, 24),
        ("seasonal_naive", 52, 7, 12),
        ("prophet", 104, 14, 24),  # yearly seasonality: still two years
        ("arima", 156, 21, 36),
    ],
)
def test_history_needed_by_season_length(name, weekly, daily, monthly):
    model = create(name)
    assert model.min_length("W-FRI") == weekly
    assert model.min_length("D") == daily
    assert model.min_length("MS") == monthly


def test_auto_takes_a_short_weekly_series_beside_long_ones_without_a_fallback():
    """The held-out weekly set's case: 5 of 150 series had 75-86 weeks and went to the
    fallback chain; they are now combined from the members that can forecast them."""
    df = _weekly([130, 130, 130, 130, 75])
    model = create("auto", seed=0, **FAST).fit(df, freq=FREQ)
    fc = model.predict(H, level=[80])
    assert model.fallbacks_ == {} and model.skipped_ == []
    assert fc.groupby(ID).size().eq(H).all() and not fc.isna().any().any()
    # the short series is a member's forecast, scored by the inner backtest
    members = model.models_
    assert "s4" in set(members["lightgbm"].predict(H)[ID])
    assert "s4" not in set(members["ets"].predict(H)[ID])  # ETS needs two years
    ex = model.explain(H).set_index(ID)
    assert ex.loc["s4", [c for c in ex.columns if c.startswith("mae_")]].notna().sum() >= 2
    chosen = ex.loc["s4", "chosen"]
    own = members[chosen].predict(H)
    np.testing.assert_allclose(
        fc.loc[fc[ID] == "s4", "auto"].to_numpy(), own.loc[own[ID] == "s4", chosen].to_numpy()
    )


def test_a_combination_on_weekly_sales_of_one_to_two_years_is_fitted_not_chained():
    df = _weekly([65, 70, 80])
    model = create("ensemble", seed=0, **FAST).fit(df, freq=FREQ)
    assert not model.chain_only_ and model.fallbacks_ == {}
    assert set(model.models_) == {"lightgbm", "seasonal_naive"}
    assert set(model.member_errors_) == {"ets", "theta", "prophet"}  # too short for them
    fc = model.predict(H, level=[80])
    assert fc.groupby(ID).size().eq(H).all() and not fc.isna().any().any()
    assert model.selection(H)["weights"].sum(axis=1).round(9).eq(1).all()


def test_under_one_season_weekly_still_goes_down_the_chain():
    df = _weekly([40, 45])
    model = create("auto").fit(df, freq=FREQ)
    assert model.chain_only_
    assert set(model.fallbacks_.values()) == {"season_mean"}
