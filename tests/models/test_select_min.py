"""``auto``'s ``select_min``: below that many series it weights its members (Prophet
among them) instead of choosing one per series (SELECT_MIN: 10 since stop 22)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.models import create
from forecasting.schema import DS, ID, Y


def _shops(n: int, days: int = 300) -> pd.DataFrame:
    ds = pd.date_range("2023-01-02", periods=days, freq="D")
    rng = np.random.default_rng(5)
    weekend = np.where(ds.dayofweek >= 5, 1.5, 1.0)
    trend = np.linspace(1.0, 1.3, days)
    return pd.concat(
        [
            pd.DataFrame(
                {ID: f"s{i}", DS: ds, Y: 40 * (i + 1) * weekend * trend * rng.gamma(8, 1 / 8, days)}
            )
            for i in range(n)
        ],
        ignore_index=True,
    )


MEMBERS = ["ets", "theta"]


def _weights(model, h: int) -> pd.DataFrame:
    ex = model.explain(h).set_index(ID)
    return ex[[f"weight_{m}" for m in MEMBERS]]


def test_a_single_series_gets_the_ensembles_weights_below_select_min():
    df, h = _shops(1), 14
    picked = create("auto", members=MEMBERS, select_min=1).fit(df, freq="D")
    mixed = create("auto", members=MEMBERS, select_min=2).fit(df, freq="D")
    ens = create("ensemble", members=MEMBERS).fit(df, freq="D")
    w_pick, w_mix, w_ens = (_weights(m, h) for m in (picked, mixed, ens))
    assert sorted(w_pick.iloc[0].tolist()) == [0.0, 1.0]  # one member chosen
    # the run summary says why: too few series to choose per series
    assert [k for k, _ in mixed.notes_] == ["ensemble.note.weighted"]
    assert mixed.notes_[0][1] == {"n": 1, "min": 2, "members": "ets, theta"}
    assert not [k for k, _ in picked.notes_ if k == "ensemble.note.weighted"]
    assert (w_mix.iloc[0] > 0).all()  # both members weighted ...
    pd.testing.assert_frame_equal(w_mix, w_ens)  # ... exactly as the ensemble does
    assert mixed.explain(h)["weighted"].all() and not picked.explain(h)["weighted"].any()
    assert not ens.explain(h)["weighted"].any()
    fc_mix, fc_ens = mixed.predict(h), ens.predict(h)
    np.testing.assert_allclose(fc_mix["auto"], fc_ens["ensemble"])


def test_a_panel_at_select_min_still_chooses_per_series():
    df, h = _shops(2), 14
    model = create("auto", members=MEMBERS, select_min=2).fit(df, freq="D")
    w = _weights(model, h)
    assert ((w == 0) | (w == 1)).all().all() and (w.sum(axis=1) == 1).all()


def test_below_select_min_auto_keeps_the_slow_members_as_the_ensemble_does():
    """Below ``select_min`` ``auto`` is the ensemble, Prophet among its default members;
    from it on it leaves the slow members out (a choice per series rarely needs them)."""
    small, panel = _shops(2, days=60), _shops(3, days=60)
    ens = create("ensemble").default_members(small)
    auto = create("auto", select_min=3)
    assert "prophet" in ens
    assert auto.default_members(small) == ens
    assert "prophet" not in auto.default_members(panel)
    assert "prophet" not in create("auto", select_min=1).default_members(small)
    assert "prophet" in create("auto").default_members(small)  # SELECT_MIN: 10
