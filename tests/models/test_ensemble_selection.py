"""Selection and combination of ``auto``/``ensemble`` from an inner backtest.

The backtest is given (a seeded table of member errors), so these tests judge the
selection rule alone, not the members.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.models import create
from forecasting.schema import CUTOFF, DS, ID, Y

H = 4
MEMBERS = ["seasonal_naive", "ets"]


def _given_backtest(model, errors: dict[str, list[tuple[float, float]]]):
    """Make ``model`` look fitted with an inner backtest where, per series and window,
    ``seasonal_naive`` and ``ets`` miss the actuals by the given errors."""
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    train = pd.concat(
        [pd.DataFrame({ID: u, DS: days, Y: 10.0 + np.arange(60) % 7}) for u in errors],
        ignore_index=True,
    )
    rows = []
    n_windows = len(next(iter(errors.values())))
    for w in range(n_windows):
        cut = days[-1] - pd.Timedelta(days=H * (n_windows - w))
        for u, errs in errors.items():
            e_naive, e_ets = errs[w]
            for k in range(H):
                rows.append(
                    {
                        ID: u,
                        DS: cut + pd.Timedelta(days=k + 1),
                        CUTOFF: cut,
                        Y: 10.0 + k,
                        "seasonal_naive": 10.0 + k + e_naive * (1 if k % 2 else -1),
                        "ets": 10.0 + k + e_ets * (1 if k % 2 else -1),
                    }
                )
    model.models_ = {n: create(n) for n in MEMBERS}
    model.train_ = train
    model.freq = "D"
    model.fitted_ = True
    model.calibration_ = {("cv", H): pd.DataFrame(rows)}
    return model


# One lucky series: seasonal naive wins its first window by far and loses the second,
# so its two-window mean is a little better than ETS's there; on every other series
# ETS is three times better.
LUCKY = {"lucky": [(1.0, 3.0), (2.5, 1.0)], **{f"s{i}": [(3.0, 1.0), (3.0, 1.0)] for i in range(9)}}


def test_a_lucky_window_does_not_pick_the_member_that_loses_across_the_panel():
    auto = _given_backtest(create("auto", shrink=2.0), LUCKY)
    chosen = auto.explain(H).set_index(ID)["chosen"]
    assert chosen["lucky"] == "ets"
    assert (chosen == "ets").all()


def test_without_shrinkage_each_series_follows_its_own_backtest():
    auto = _given_backtest(create("auto", shrink=0.0), LUCKY)
    chosen = auto.explain(H).set_index(ID)["chosen"]
    assert chosen["lucky"] == "seasonal_naive"


def test_weights_lean_toward_the_pooled_ones_more_with_fewer_windows():
    ens = create("ensemble", shrink=2.0)
    assert ens.shrinkage(1) < ens.shrinkage(2) < ens.shrinkage(8) < 1.0
    assert ens.shrinkage(2) == pytest.approx(0.5)
    assert create("ensemble", shrink=0.0).shrinkage(2) == 1.0

    shrunk = _given_backtest(create("ensemble", shrink=2.0), LUCKY).selection(H)["weights"]
    own = _given_backtest(create("ensemble", shrink=0.0), LUCKY).selection(H)["weights"]
    # on the lucky series its own backtest alone favours seasonal naive; shrunk toward
    # the panel, ETS carries the larger weight
    assert own.loc["lucky", "seasonal_naive"] > own.loc["lucky", "ets"]
    assert shrunk.loc["lucky", "ets"] > shrunk.loc["lucky", "seasonal_naive"]
    np.testing.assert_allclose(shrunk.sum(axis=1), 1.0)


def test_the_anchor_member_stays_unless_clearly_beaten():
    close = {f"s{i}": [(0.95, 1.0), (0.95, 1.0)] for i in range(3)}
    plain = _given_backtest(create("auto"), close).explain(H).set_index(ID)["chosen"]
    anchored = _given_backtest(create("auto", anchor="ets", margin=0.1), close)
    assert (plain == "seasonal_naive").all()
    assert (anchored.explain(H).set_index(ID)["chosen"] == "ets").all()
