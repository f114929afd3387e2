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
    # three series: ``select_min=1`` makes ``auto`` choose (below SELECT_MIN it weights)
    plain = _given_backtest(create("auto", select_min=1), close)
    plain = plain.explain(H).set_index(ID)["chosen"]
    anchored = create("auto", anchor="ets", margin=0.1, guard=None, select_min=1)
    anchored = _given_backtest(anchored, close)
    assert (plain == "seasonal_naive").all()
    assert (anchored.explain(H).set_index(ID)["chosen"] == "ets").all()


# ETS misses by 1 and seasonal naive by 1.4 on every series and window: inverse-error
# weights still give seasonal naive 5/12 of each series, so the blend (missing by 1.17)
# loses to ETS alone over the whole panel.
ETS_BETTER = {f"s{i}": [(1.4, 1.0)] * 4 for i in range(6)}


def test_a_member_that_beats_the_combination_over_the_panel_forecasts_it():
    off = _given_backtest(create("ensemble", guard=None), ETS_BETTER)
    on = _given_backtest(create("ensemble", guard=0.0), ETS_BETTER)
    assert off.selection(H)["panel"] is None
    assert off.selection(H)["weights"]["seasonal_naive"].gt(0).all()
    sel = on.selection(H)
    assert sel["panel"] == "ets"
    assert (sel["weights"]["ets"] == 1.0).all() and (sel["weights"]["seasonal_naive"] == 0).all()
    # the combination's own backtest forecasts (and the bands' errors) are now ETS's
    inner = on.inner_backtest(H)
    np.testing.assert_allclose(inner["ensemble"], inner["ets"])
    assert np.nanmax(np.abs(sel["errors"])) < np.nanmax(np.abs(off.selection(H)["errors"]))
    assert ("ensemble.note.panel", {"model": "ets"}) in on.notes_


def test_the_panel_member_must_beat_the_combination_by_the_margin():
    # ETS misses by 1, the blend by 1.17: ETS is 14% better, not 20%
    assert _given_backtest(create("ensemble", guard=0.1), ETS_BETTER).selection(H)["panel"]
    assert _given_backtest(create("ensemble", guard=0.2), ETS_BETTER).selection(H)["panel"] is None


def test_a_member_that_wins_only_one_window_does_not_take_the_panel():
    # ETS far better in the first window, a little worse in the other three
    one_window = {f"s{i}": [(9.0, 1.0), (1.0, 1.2), (1.0, 1.2), (1.0, 1.2)] for i in range(6)}
    params = {"guard": 0.0, "shrink": 0.0, "trim": 10.0}
    pooled = _given_backtest(create("ensemble", **params, guard_share=0.0), one_window)
    assert pooled.selection(H)["panel"] == "ets"
    steady = _given_backtest(create("ensemble", **params), one_window)  # 3 of 4 windows
    assert steady.selection(H)["panel"] is None


def test_the_panel_member_is_the_default_and_explained_per_series():
    from forecasting.ui.views.backtest import why_text

    ens = _given_backtest(create("ensemble"), ETS_BETTER)
    table = ens.explain(H).set_index(ID)
    assert table["panel"].all() and (table["chosen"] == "ets").all()
    for lang in ("zh", "en"):
        text = why_text(table.iloc[0], MEMBERS, "ensemble", lang)
        assert "ETS" in text and ("组合" in text if lang == "zh" else "combination" in text)


def test_power_sharpens_and_top_limits_the_inverse_error_weights():
    # ETS misses by 1, seasonal naive by 1.4: inverse errors give ETS 7/12
    close = {f"s{i}": [(1.4, 1.0)] * 4 for i in range(3)}

    def ets_weight(**params) -> float:
        model = _given_backtest(create("ensemble", shrink=0.0, guard=None, **params), close)
        w = model.selection(H)["weights"]
        np.testing.assert_allclose(w.sum(axis=1), 1.0)
        return float(w["ets"].iloc[0])

    assert ets_weight() == pytest.approx(7 / 12)
    assert ets_weight(power=0) == pytest.approx(0.5)  # equal weights within the trim
    assert ets_weight(power=3) == pytest.approx(1.4**3 / (1 + 1.4**3))
    assert ets_weight(top=1) == pytest.approx(1.0)  # the best member alone
    assert ets_weight(top=2) == pytest.approx(7 / 12)
