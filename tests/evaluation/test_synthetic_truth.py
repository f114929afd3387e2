"""The generated benchmark sets' known truth (``benchmarks/synthetic.py``, ``truth=True``):
the same draws as the benchmark uses, and a mean and median that are what they say."""

from __future__ import annotations

import pytest

from benchmarks.synthetic import GENERATED, intermittent
from forecasting.schema import DS, ID, Y


@pytest.fixture(scope="module", params=sorted(GENERATED))
def generated(request):
    kind = request.param
    plain = GENERATED[kind]()[0]
    known = GENERATED[kind](truth=True)[0]
    return kind, plain, known


def test_truth_does_not_change_the_sales(generated):
    _, plain, known = generated
    assert list(plain.columns) == [ID, DS, Y]
    assert known[[ID, DS, Y]].equals(plain)


def test_the_true_mean_is_the_mean(generated):
    kind, _, known = generated
    # tens of thousands of draws: the sum of the sales within 1% of the sum of the means
    ratio = known[Y].sum() / known["mean"].sum()
    assert abs(ratio - 1) < 0.01, (kind, ratio)
    # and within each series (a mean of the wrong series would balance out in the total)
    by = known.groupby(ID)[[Y, "mean"]].sum()
    assert ((by[Y] / by["mean"] - 1).abs() < 0.25).all(), kind


def test_the_true_median_splits_the_sales(generated):
    kind, _, known = generated
    y, median = known[Y].to_numpy(), known["median"].to_numpy()
    assert (y <= median).mean() >= 0.49, kind
    assert (y < median).mean() <= 0.51, kind


def test_intermittent_median_is_zero_while_most_days_do_not_sell():
    known = intermittent(truth=True)[0]
    assert (known["mean"] > 0).all()  # every day has some chance of a sale
    # sales on fewer than half the days: the median day sells nothing
    zero = known["median"] == 0
    assert zero.mean() > 0.5
    assert (known.loc[~zero, "median"] >= 1).all()
    # on days with median 0 at least half the draws are 0; on the others fewer than half
    assert (known.loc[zero, Y] == 0).mean() >= 0.5
    assert (known.loc[~zero, Y] == 0).mean() < 0.5
