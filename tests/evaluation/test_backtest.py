from __future__ import annotations

import pandas as pd

from forecasting.evaluation.backtest import cross_validation, cutoffs
from tests.support import make_panel


def test_cutoffs_are_spaced_and_end_at_last_window():
    p = make_panel(1, 200)
    cuts = cutoffs(p, 14, 3, "D")
    assert len(cuts) == 3 and cuts[-1] == p["ds"].max() - pd.Timedelta(days=14)
    assert (cuts[1] - cuts[0]).days == 14


def test_backtest_never_sees_the_future(monkeypatch):
    p = make_panel(2, 300)
    seen = []
    import forecasting.models.naive as naive

    orig = naive.SeasonalNaive._fit

    def spy(self, df, progress):
        seen.append(df["ds"].max())
        return orig(self, df, progress)

    monkeypatch.setattr(naive.SeasonalNaive, "_fit", spy)
    cv = cross_validation(p, "D", ["seasonal_naive"], h=7, n_windows=3)
    assert sorted(cv["cutoff"].unique()) == sorted(set(seen))
    assert (cv["ds"] > cv["cutoff"]).all()
    assert len(cv) == 2 * 7 * 3
    assert {"cutoff", "y", "seasonal_naive", "seasonal_naive-lo-95"} <= set(cv.columns)


# --------------------------------------------------------------- added for issue 4
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from forecasting.engine.splits import apply_plan  # noqa: E402
from forecasting.errors import ShopcastError  # noqa: E402
from forecasting.evaluation.backtest import (  # noqa: E402
    BacktestFailed,
    auto_choices,
    backtest,
    check_windows,
    max_windows,
)
from tests import toy_models  # noqa: E402


def test_progress_per_window_and_model(monkeypatch):
    toy_models.register(monkeypatch)
    p = make_panel(2, 120)
    steps, calls = [], []
    cross_validation(
        p,
        "D",
        ["seasonal_naive", "toy_mean"],
        h=7,
        n_windows=3,
        levels=[],
        report=steps.append,
        progress=lambda f, label: calls.append((f, label)),
    )
    starts = [(s.model, s.window) for s in steps if s.model and s.detail == ""]
    assert starts == [(m, w) for w in (1, 2, 3) for m in ("seasonal_naive", "toy_mean")]
    fractions = [s.fraction for s in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions[0] == 0.0
    assert all(s.n_windows == 3 for s in steps)
    cut = str(steps[0].cutoff.date())
    assert calls[0][1] == f"seasonal_naive @ {cut} (1/3)" and calls[-1] == (1.0, "done")


def test_too_long_backtest_says_how_many_windows_fit():
    p = make_panel(1, 100)
    most = max_windows(100, 14, None, min_train=7)
    assert most == (100 - 7 - 14) // 14 + 1
    assert len(check_windows(p, 14, most, "D", min_train=7)) == most
    with pytest.raises(ShopcastError) as err:
        check_windows(p, 14, most + 1, "D", min_train=7)
    assert err.value.key == "backtest_too_long"
    assert err.value.params["most"] == most and err.value.params["n"] == 100
    assert "100" in err.value.message("en") and str(most) in err.value.message("zh")
    for kwargs, key in (
        ({"n_windows": 0}, "bad_windows"),
        ({"h": 0}, "bad_horizon"),
        ({"step": 0}, "bad_step"),
    ):
        args = {"h": 7, "n_windows": 2, "step": None, **kwargs}
        with pytest.raises(ShopcastError) as err:
            check_windows(p, args["h"], args["n_windows"], "D", args["step"])
        assert err.value.key == key


def test_step_controls_the_spacing_and_overlap():
    p = make_panel(1, 200)
    cv = cross_validation(p, "D", ["seasonal_naive"], h=14, n_windows=3, step=7, levels=[])
    cuts = sorted(cv["cutoff"].unique())
    assert [(b - a).days for a, b in zip(cuts, cuts[1:], strict=False)] == [7, 7]
    assert len(cv) == 3 * 14 and cv["ds"].max() == p["ds"].max()


def test_a_failing_model_leaves_nan_and_a_record(monkeypatch):
    import forecasting.models.naive as naive

    p = make_panel(2, 150)
    orig = naive.SeasonalNaive._fit
    first_cut = sorted(cutoffs(p, 7, 3, "D"))[0]

    def flaky(self, df, progress):
        if df["ds"].max() == first_cut:
            raise RuntimeError("boom\nsecond line")
        return orig(self, df, progress)

    monkeypatch.setattr(naive.SeasonalNaive, "_fit", flaky)
    res = backtest(p, "D", ["seasonal_naive"], h=7, n_windows=3, levels=[80])
    cv = res.cv
    assert cv.loc[cv.cutoff == first_cut, "seasonal_naive"].isna().all()
    assert cv.loc[cv.cutoff != first_cut, "seasonal_naive"].notna().all()
    assert len(res.failures) == 1 and res.failures[0]["key"] == "model_failed"
    ((model, k, reason),) = res.failure_summary("en")
    assert (model, k) == ("seasonal_naive", 1) and "RuntimeError: boom" in reason
    assert "second line" not in reason


def test_all_models_failing_is_one_translated_error(monkeypatch):
    import forecasting.models.naive as naive

    monkeypatch.setattr(naive.SeasonalNaive, "fallback_chain", lambda self: [])  # no season_mean
    p = make_panel(1, 10)
    with pytest.raises(BacktestFailed) as err:  # 3 days before the cut-off: a week is needed
        backtest(p, "D", ["seasonal_naive"], h=7, n_windows=1, min_train=1)
    msg_en, msg_zh = err.value.message("en"), err.value.message("zh")
    assert err.value.key == "backtest_all_failed"
    assert "History too short" in msg_en and "历史" in msg_zh
    with pytest.raises(ShopcastError) as err:  # the default minimum refuses it up front
        backtest(p, "D", ["seasonal_naive"], h=7, n_windows=1)
    assert err.value.key == "backtest_too_long"


def test_plan_replaces_recorded_drivers_in_the_window(monkeypatch):
    import forecasting.models.naive as naive

    p = make_panel(1, 100)
    seen = []
    orig = naive.SeasonalNaive.predict

    def spy(self, h, future=None, level=None):
        seen.append(future.copy())
        return orig(self, h, future=future, level=level)

    monkeypatch.setattr(naive.SeasonalNaive, "predict", spy)
    last = p["ds"].max()
    plan = pd.DataFrame(
        {"unique_id": "sku0", "ds": [last, last + pd.Timedelta(days=1)], "promo": [7.0, 7.0]}
    )
    cross_validation(p, "D", ["seasonal_naive"], h=7, n_windows=1, levels=[], future=plan)
    fut = seen[0].set_index("ds")["promo"]
    assert fut[last] == 7.0  # planned value on the covered date
    rest = p.set_index("ds").loc[fut.index[:-1], "promo"]
    assert (fut.iloc[:-1] == rest).all()  # recorded values elsewhere
    # a plan without ids applies to every series
    both = make_panel(2, 30)
    out = apply_plan(
        both[both.ds == both.ds.max()].drop(columns="y"),
        pd.DataFrame({"ds": [both.ds.max()], "promo": [5.0]}),
    )
    assert out["promo"].tolist() == [5.0, 5.0]


def test_auto_and_ensemble_share_one_member_backtest(monkeypatch):
    toy_models.register(monkeypatch)
    p = make_panel(3, 150, seed=4)
    members = {"members": ["seasonal_naive", "toy_mean"], "windows": 2}
    params = {"auto": members, "ensemble": members}
    toy_models.MeanModel.fits = 0
    only = backtest(p, "D", ["auto"], h=7, n_windows=2, model_params=params)
    fits_one = toy_models.MeanModel.fits
    toy_models.MeanModel.fits = 0
    both = backtest(p, "D", ["auto", "ensemble"], h=7, n_windows=2, model_params=params)
    assert toy_models.MeanModel.fits == fits_one > 0
    np.testing.assert_allclose(both.cv["auto"], only.cv["auto"])
    assert both.cv["ensemble"].notna().all()
    ex = both.explanations
    assert set(ex["model"]) == {"auto", "ensemble"}
    assert len(ex) == 2 * 2 * 3  # models x windows x series
    auto = ex[ex.model == "auto"]
    best = auto[["mae_seasonal_naive", "mae_toy_mean"]].idxmin(axis=1).str.removeprefix("mae_")
    assert (auto["chosen"] == best).all()
    # the auto forecast is the chosen member's forecast in every window
    members_cv = cross_validation(
        p, "D", ["seasonal_naive", "toy_mean"], h=7, n_windows=2, levels=[], model_params=params
    )
    merged = both.cv.merge(members_cv, on=["unique_id", "ds", "cutoff", "y"])
    merged = merged.merge(auto[["unique_id", "cutoff", "chosen"]], on=["unique_id", "cutoff"])
    picked = np.where(merged["chosen"] == "toy_mean", merged["toy_mean"], merged["seasonal_naive"])
    np.testing.assert_allclose(merged["auto"], picked)

    ch = auto_choices(ex)
    assert len(ch) == 2 * 3
    latest = ex[ex.cutoff == ex.cutoff.max()].set_index(["model", "unique_id"])["chosen"]
    assert (
        ch.set_index(["model", "unique_id"])["chosen"]
        == latest.loc[ch.set_index(["model", "unique_id"]).index]
    ).all()
    assert all(sum(c.values()) == 2 for c in ch["times_chosen"])


def test_result_tables(monkeypatch):
    toy_models.register(monkeypatch)
    p = make_panel(2, 150)
    res = backtest(p, "D", ["seasonal_naive", "toy_mean"], h=7, n_windows=2)
    assert res.scored_models == ["seasonal_naive", "toy_mean"]
    table = res.metrics(p)
    assert {"all", "sku0", "sku1"} == set(table["unique_id"])
    assert {"mase", "wape", "coverage_80"} <= set(table["metric"])
    hz = res.horizon_errors()
    assert sorted(hz["step"].unique()) == list(range(1, 8))
    assert set(res.festival_metrics(p)["festival"]) >= {"none"}
    assert res.seconds["toy_mean"] > 0
    import pickle  # the dashboard keeps results pickled

    assert pickle.loads(pickle.dumps(res)).cv.equals(res.cv)


def test_default_members_add_driver_members_only_when_drivers_vary(monkeypatch):
    import forecasting.models.ensemble as ens

    p = make_panel(2, 60, seed=2)
    plain = p[["unique_id", "ds", "y"]]
    varying = plain.assign(promo=(p["ds"].dt.dayofweek == 4).astype(float))
    # Prophet is a member with or without drivers (stop 17): no driver-only member is left
    assert ens.DEFAULT_MEMBERS == ("seasonal_naive", "ets", "theta", "prophet", "lightgbm")
    assert ens.DRIVER_MEMBERS == ()
    assert ens.default_members(plain) == ens.default_members(varying) == list(ens.DEFAULT_MEMBERS)
    monkeypatch.setattr(ens, "DRIVER_MEMBERS", ("ridge",))  # the mechanism, for such a member
    assert ens.default_members(plain) == list(ens.DEFAULT_MEMBERS)
    flat = plain.assign(promo=0.0)  # a driver column that never changes carries nothing
    assert ens.default_members(flat) == list(ens.DEFAULT_MEMBERS)
    assert ens.default_members(varying) == [*ens.DEFAULT_MEMBERS, "ridge"]

    # the fitted ensemble reports the members it chose; explicit members win
    toy_models.register(monkeypatch)
    monkeypatch.setattr(ens, "DEFAULT_MEMBERS", ("seasonal_naive",))
    monkeypatch.setattr(ens, "DRIVER_MEMBERS", ("toy_mean",))
    fitted = ens.Ensemble().fit(varying, "D")
    assert fitted.members == ["seasonal_naive", "toy_mean"]
    assert set(fitted.models_) == {"seasonal_naive", "toy_mean"}
    assert ens.Ensemble().fit(plain, "D").members == ["seasonal_naive"]
    assert ens.Ensemble(members=["toy_mean"]).fit(varying, "D").members == ["toy_mean"]


@pytest.mark.parametrize("name", ["ensemble", "auto"])
def test_band_errors_come_from_weights_learned_on_other_windows(monkeypatch, name):
    from forecasting.models import create
    from forecasting.models.conformal import series_scale

    toy_models.register(monkeypatch)
    p = make_panel(1, 150, seed=3)[["unique_id", "ds", "y"]]
    model = create(name, members=["seasonal_naive", "toy_mean"]).fit(p, "D")
    uid, last = p["unique_id"].iloc[0], p["ds"].max()
    rows = []
    # window 1: seasonal_naive exact, toy_mean 10 off; window 2: the other way round
    for w, (a, b) in enumerate([(0.0, 10.0), (10.0, 0.0)]):
        cut = last - pd.Timedelta(days=6 * (2 - w))
        for k in range(1, 4):
            rows.append(
                {
                    "unique_id": uid,
                    "ds": cut + pd.Timedelta(days=k),
                    "cutoff": cut,
                    "y": 100.0 + k,
                    "seasonal_naive": 100.0 + k + a,
                    "toy_mean": 100.0 + k + b,
                }
            )
    planted = pd.DataFrame(rows)
    monkeypatch.setattr(model, "member_backtest", lambda h: planted)
    errors = model.selection(3)["errors"] * series_scale(p, 7).iloc[0]
    # in-sample weights would be equal (same MAE) and show errors of 5; each window
    # combined with the other window's weights (its best member) is 10 off
    np.testing.assert_allclose(np.abs(errors), 10.0)


@pytest.mark.parametrize("name", ["ensemble", "auto"])
def test_a_flat_inner_backtest_hands_the_series_to_the_driver_aware_members(monkeypatch, name):
    """A store closed through the inner backtest: every member "predicted" its zeros
    perfectly, which says nothing about the reopening in the plan."""
    from forecasting.models import create

    toy_models.register(monkeypatch)
    p = make_panel(1, 150, seed=3)
    model = create(name, members=["seasonal_naive", "lightgbm"]).fit(p, "D")
    uid, last = p["unique_id"].iloc[0], p["ds"].max()
    rows = [
        {
            "unique_id": uid,
            "ds": last - pd.Timedelta(days=d),
            "cutoff": last - pd.Timedelta(days=7),
            "y": 0.0,
            "seasonal_naive": 0.0,
            "lightgbm": 3.0,
        }
        for d in range(6, -1, -1)
    ]
    planted = pd.DataFrame(rows)
    monkeypatch.setattr(model, "member_backtest", lambda h: planted)
    sel = model.selection(7)
    assert sel["flat"] == {uid}
    # seasonal naive "won" the backtest with MAE 0, but only LightGBM reads the plan
    assert sel["weights"].loc[uid].to_dict() == {"seasonal_naive": 0.0, "lightgbm": 1.0}
    assert model.explain(7)["flat"].tolist() == [True]
