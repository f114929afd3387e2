"""Scenario accuracy against known truth: the sample shop's true discount effect, and
Rossmann's promotion effect seen in history. One LightGBM fit per data set.

``benchmarks/scenario_accuracy.py`` prints the same measurements for more models
and windows.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from forecasting.data import load
from forecasting.data.sample import TRUE_EFFECTS, sample_path
from forecasting.models import create
from forecasting.planning import scenarios as sc
from tests.support import shared_file

# Non-festival days (the Double-11 dip ends on 22 Nov), a campaign as long as the shop's
# own (3-7 days) at a depth it used (10-30%): a scenario inside the historical range.
WINDOW = ("2026-11-23", "2026-11-27")


def true_uplift(discount: float) -> float:
    """Units with ``discount`` and the promotion flag / units without promotion, minus 1."""
    return (
        math.exp(TRUE_EFFECTS["discount_beta"] * discount) * TRUE_EFFECTS["promo_flag_multiplier"]
        - 1
    )


@pytest.fixture(scope="module")
def shop():
    history = load(sample_path("csv")).history()
    model = create("lightgbm").fit(history, freq="D")
    return model, sc.base_plan(model, 42)  # neutral plan: no promotion anywhere


@pytest.fixture(scope="module")
def shop_response(shop):
    model, base = shop
    return sc.estimate_response(model, base, "discount", [0.1, 0.2, 0.3], window=WINDOW)


def test_learned_discount_response_has_the_right_shape(shop_response):
    r = shop_response
    assert r["in_history"].all() and r["linked"].str.startswith("promo=1").all()
    up = r["uplift_pct"].to_numpy()
    assert 0 < up[0] < up[1] < up[2], up  # deeper discount, more units
    assert (r["ci_low_pct"] <= r["uplift_pct"]).all() and (
        r["uplift_pct"] <= r["ci_high_pct"]
    ).all()


@pytest.mark.xfail(
    strict=True,
    reason=(
        "Known limitation: LightGBM overstates a 5-day 20%-off uplift (+82% vs true +64%, +28%) "
        "even with promotion-aware lags; recursive lags still carry some of the uplift. Prophet "
        "passes the same check (next test). Remove this marker when it passes."
    ),
)
def test_discount_uplift_within_25_percent_of_truth(shop_response):
    row = shop_response.set_index("value").loc[0.2]
    truth = 100 * true_uplift(0.2)  # +64.1%
    error = row["uplift_pct"] / truth - 1
    assert abs(error) <= 0.25, f"estimated {row['uplift_pct']:.1f}% vs true {truth:.1f}%"


def test_prophet_discount_uplift_within_25_percent_of_truth():
    """Prophet (discount and promo as regressors, no feedback of its own forecasts) on 8 SKUs."""
    history = load(sample_path("csv")).history()
    keep = sorted(history["unique_id"].unique())[::4][:8]
    model = create("prophet").fit(history[history["unique_id"].isin(keep)], freq="D")
    r = sc.estimate_response(model, sc.base_plan(model, 42), "discount", [0.2], window=WINDOW)
    truth = 100 * true_uplift(0.2)
    error = r.loc[0, "uplift_pct"] / truth - 1
    assert abs(error) <= 0.25, f"estimated {r.loc[0, 'uplift_pct']:.1f}% vs true {truth:.1f}%"


def test_rossmann_promo_uplift_matches_history():
    """Promotion on every open weekday for 6 weeks vs off, against promo/non-promo in history."""
    history = load(shared_file("rossmann100", "train.csv")).history()
    h = history[(history["open"] == 1) & (history["y"] > 0) & (history["ds"].dt.dayofweek < 5)]
    per_store = h.groupby(["unique_id", "promo"])["y"].mean().unstack()
    hist_uplift = float((per_store[1.0] / per_store[0.0]).mean()) - 1  # about +39%

    model = create("lightgbm", n_estimators=200).fit(history, freq="D")  # half: test time
    base = sc.base_plan(model, 42)
    dow = base["ds"].dt.dayofweek
    recent = history[history["ds"] > history["ds"].max() - pd.Timedelta(days=56)]
    usual = recent.groupby(["unique_id", recent["ds"].dt.dayofweek])["open"].mean().round()
    base["open"] = [usual.get((u, d), 1.0) for u, d in zip(base["unique_id"], dow, strict=True)]
    base["promo"] = 0.0
    on = ((dow < 5) & (base["open"] == 1)).to_numpy()
    r = sc.estimate_response(model, base, "promo", [1.0], rows=on, n_boot=0)
    est = r.loc[0, "uplift_pct"] / 100
    assert hist_uplift > 0.1
    assert hist_uplift / 1.5 <= est <= hist_uplift * 1.5, (est, hist_uplift)
