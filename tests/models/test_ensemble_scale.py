"""A combination on a big catalogue (``ensemble.SCALE``): the inner backtest on a seeded
sample of series, the other series weighted by the sample's pooled scores, slow members
left out, theta on the recent history, and all of it said in the run's notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.forecast import TrainConfig, forecast
from forecasting.models import create
from forecasting.models.ensemble import EQUAL_WEIGHTS, default_members
from forecasting.schema import ID
from forecasting.ui.views.backtest import why_text
from tests.support import make_panel

H = 14
FAST = {"member_params": {"lightgbm": {"n_estimators": 40, "learning_rate": 0.1}}}


def _panel(n: int, days: int = 150) -> pd.DataFrame:
    return make_panel(n_series=n, days=days, seed=21)


def _sampled(n_series: int = 12, sample: int = 5, select: bool = False):
    name = "auto" if select else "ensemble"
    # guard=None: the weights the sample's scores give, not a member taking the panel
    members = {"members": ["seasonal_naive", "ets"], "guard": None}
    model = create(name, seed=3, big=8, backtest_series=sample, **members)
    return model.fit(_panel(n_series), freq="D")


def test_a_big_catalogue_backtests_a_seeded_sample_of_series():
    model = _sampled()
    fc = model.predict(H, level=[80])
    assert fc[ID].nunique() == 12 and fc["ensemble"].notna().all()  # every series forecast
    assert fc["ensemble-lo-80"].notna().all()
    sample = model.backtest_sample_
    assert len(sample) == 5 and sample == sorted(sample)
    inner = model.inner_backtest(H)
    assert set(inner[ID]) == set(sample)  # members refitted on the sample only
    # the same seed draws the same sample
    again = _sampled()
    again.selection(H)
    assert again.backtest_sample_ == sample
    assert ("ensemble.note.sampled", {"n": 5, "of": 12}) in model.notes_


def test_series_outside_the_sample_get_the_pooled_weights_not_equal_weights():
    model = _sampled()
    model.predict(H)
    sel = model.selection(H)
    w = sel["weights"]
    outside = [u for u in w.index if u not in model.backtest_sample_]
    assert len(outside) == 7 and set(outside) == set(sel["pooled"])
    rows = w.loc[outside].to_numpy()
    assert np.allclose(rows, rows[0])  # one weighting for the group
    assert not np.allclose(rows[0], 0.5)  # the sample's scores, not equal weights
    assert not any(v == EQUAL_WEIGHTS for v in model.fallbacks_.values())
    table = model.explain(H).set_index(ID)
    assert (
        table.loc[outside, "pooled"].all() and not table.loc[model.backtest_sample_, "pooled"].any()
    )
    why = why_text(table.loc[outside[0]], ["seasonal_naive", "ets"], "ensemble", "en")
    assert why.startswith("not in the inner backtest's sample")


def test_auto_on_a_big_catalogue_picks_one_member_for_the_series_outside_the_sample():
    model = _sampled(select=True)
    model.predict(H)
    w = model.selection(H)["weights"]
    outside = [u for u in w.index if u not in model.backtest_sample_]
    picks = w.loc[outside].idxmax(axis=1)
    assert picks.nunique() == 1 and (w.loc[outside].max(axis=1) == 1.0).all()


def test_a_catalogue_at_the_threshold_is_backtested_in_full():
    model = create("ensemble", seed=3, big=12, backtest_series=5, members=["seasonal_naive", "ets"])
    model.fit(_panel(12), freq="D").predict(H)
    assert model.backtest_sample_ is None
    assert not [n for n in model.notes_ if n[0] != "ensemble.note.panel"]  # no big-catalogue note
    assert model.inner_backtest(H)[ID].nunique() == 12


def test_a_big_catalogue_leaves_prophet_out_and_fits_theta_on_the_recent_year():
    df = _panel(4, days=420)
    assert "prophet" in default_members(df)  # the promotions vary: prophet would join
    config = TrainConfig(
        models=["ensemble"],
        horizon=H,
        levels=[80],
        model_params={"ensemble": {"big": 3, "backtest_series": 2, **FAST}},
    )
    result = forecast(df, "D", config)
    run = result.runs["ensemble"]
    assert run.error is None and result.forecast[ID].nunique() == 4
    keys = [k for k, _ in run.notes]
    assert keys == ["ensemble.note.left_out", "ensemble.note.theta_recent", "ensemble.note.sampled"]
    assert run.notes[0][1] == {"models": "prophet"} and run.notes[1][1] == {"periods": 365}


def test_the_train_page_says_what_a_big_catalogue_changed(monkeypatch):
    from forecasting.ui.training import RunInfo
    from forecasting.ui.views import train

    note = ("ensemble.note.left_out", {"models": "prophet"})
    panel = ("ensemble.note.panel", {"model": "seasonal_naive"})
    runs = {"ensemble": RunInfo("ensemble", "trained", 1.0, 0.5, notes=(note, panel))}
    monkeypatch.setattr(train.state, "get", lambda key: runs if key == "train_runs" else None)
    for lang, words, name in (
        ("zh", "未纳入成员", "季节性朴素"),
        ("en", "left out of the members", "Seasonal naive"),
    ):
        cells = " ".join(map(str, train.runs_table(lang).iloc[0]))
        assert "prophet" in cells and words in cells
        assert name in cells and "seasonal_naive" not in cells  # the member's display name
