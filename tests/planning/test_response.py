"""The fitted response: recovers a known effect, monotone, honest beyond history and
without drivers, and the same numbers from the CLI and from ``compare`` (the page)."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pandas as pd
import pytest

from forecasting.cli.main import main
from forecasting.errors import ShopcastError
from forecasting.planning import scenarios as sc
from forecasting.schema import DS, ID, Y

BETA, PROMO_MULT = 2.0, 1.1


def discount_panel(n_series: int = 6, days: int = 500, seed: int = 0) -> pd.DataFrame:
    """Daily panel: units x exp(BETA x discount) x PROMO_MULT^promo, campaigns 10-30% off."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    frames = []
    for s in range(n_series):
        disc = np.zeros(days)
        promo = np.zeros(days)
        start = rng.choice(days - 7, size=days // 30, replace=False)
        for a in start:
            disc[a : a + 5] = rng.choice([0.1, 0.2, 0.3])
            promo[a : a + 5] = 1.0
        coupon = (rng.random(days) < 0.04) & (disc == 0)
        disc[coupon] = 0.05
        weekly = 1 + 0.2 * np.sin(2 * np.pi * np.arange(days) / 7)
        mu = 40.0 * (s + 1) * weekly * np.exp(BETA * disc) * PROMO_MULT**promo
        y = rng.poisson(mu * rng.gamma(8, 1 / 8, days)).astype(float)
        frames.append(
            pd.DataFrame(
                {ID: f"sku{s}", DS: ds, Y: y, "price": 100.0, "discount": disc, "promo": promo}
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def panel():
    return discount_panel()


@pytest.fixture(scope="module")
def response(panel):
    return sc.fit_response(panel, country=None)


def test_fit_recovers_the_true_discount_effect(response):
    assert response.source == sc.LEARNED
    # campaigns always carry the flag here, so only the combined uplift is identified
    assert 1.5 <= response.coef["discount"] <= 3.0
    assert response.se["discount"] > 0
    mid, lo, hi = response.uplift(0.2, 1.0)
    truth = np.exp(BETA * 0.2) * PROMO_MULT - 1
    assert lo <= mid <= hi
    assert abs(mid / truth - 1) <= 0.25, (mid, truth)
    assert response.max_discount == pytest.approx(0.3)


class ToyModel:
    """The smallest forecaster compare needs: a flat forecast that ignores drivers."""

    alias = "Toy"

    def __init__(self, history: pd.DataFrame) -> None:
        self.train_ = history
        self.freq = "D"
        self.level_ = history.groupby(ID)[Y].median()

    def predict(self, h, future=None, level=()):
        fc = future[[ID, DS]].copy()
        fc[self.alias] = fc[ID].map(self.level_).to_numpy(dtype=float)
        for lv in level or []:
            fc[f"{self.alias}-lo-{lv:g}"] = fc[self.alias] * 0.8
            fc[f"{self.alias}-hi-{lv:g}"] = fc[self.alias] * 1.2
        return fc

    def calibration_state(self):
        return {}


def _window_units(comp: sc.Comparison) -> pd.Series:
    k = comp.kpis[comp.kpis["level"] == "total"].set_index("scenario")
    return k["window_units"]


def _scenarios(values=(0.1, 0.2, 0.25, 0.4, 0.6)) -> list[sc.Scenario]:
    out = [sc.Scenario("none", "2025-05-20", "2025-05-24", discount=0.0, promo=False)]
    out += [
        sc.Scenario(f"{v:.0%}", "2025-05-20", "2025-05-24", discount=v, promo=True) for v in values
    ]
    return out


def test_units_rise_strictly_with_the_discount_even_beyond_history(panel, response):
    model = ToyModel(panel)
    base = sc.base_plan(model, 28)
    comp = sc.compare(model, base, _scenarios(), 28, [80], response=response)
    w = _window_units(comp)
    assert (
        list(w.loc[["none", "10%", "20%", "25%", "40%", "60%"]].diff().dropna() > 0) == [True] * 5
    )
    assert w["40%"] / w["25%"] - 1 >= 0.10
    beyond = [x for x in comp.warnings if x.key == "response_beyond"]
    assert {x.params["name"] for x in beyond} == {"40%", "60%"}
    assert "30%" in beyond[0].message("en") and "30%" in beyond[0].message("zh")
    fc = comp.forecast[comp.forecast["scenario"].isin(["25%", "60%"])]
    inside = fc[fc[DS].between("2025-05-20", "2025-05-24")]
    width = (inside["Toy-hi-80"] / inside["Toy-lo-80"]).groupby(inside["scenario"]).mean()
    assert width["60%"] > width["25%"]  # wider beyond the deepest discount seen


def test_stated_baseline_plan_or_no_promotion(panel, response):
    model = ToyModel(panel)
    plan = sc.base_plan(model, 28)
    on = plan[DS].between("2025-05-20", "2025-05-24")
    plan.loc[on, "discount"], plan.loc[on, "promo"] = 0.2, 1.0  # the plan already promotes
    deeper = [sc.Scenario("40%", "2025-05-20", "2025-05-24", discount=0.4, promo=True)]
    with_plan = sc.compare(model, plan, deeper, 28, [], response=response)
    without = sc.compare(model, plan, deeper, 28, [], response=response, baseline="none")
    k_plan = with_plan.kpis.set_index("scenario")
    k_none = without.kpis.set_index("scenario")
    assert with_plan.baseline == "plan" and without.baseline == "none"
    assert k_plan.loc["40%", "units"] == pytest.approx(k_none.loc["40%", "units"])
    assert k_plan.loc["40%", "window_incr_pct"] > 0  # deeper than the plan: never "+0"
    assert k_none.loc["40%", "window_incr_pct"] > k_plan.loc["40%", "window_incr_pct"]
    with pytest.raises(ShopcastError):
        sc.compare(model, plan, deeper, 28, [], response=response, baseline="other")


def test_each_scenario_is_also_shown_against_the_other_baseline(panel, response):
    """Baseline "plan": every row also says its change vs no promotion, and vice versa."""
    model = ToyModel(panel)
    plan = sc.base_plan(model, 28)
    on = plan[DS].between("2025-05-20", "2025-05-24")
    plan.loc[on, "discount"], plan.loc[on, "promo"] = 0.2, 1.0
    deeper = [sc.Scenario("40%", "2025-05-20", "2025-05-24", discount=0.4, promo=True)]
    with_plan = sc.compare(model, plan, deeper, 28, [], response=response)
    without = sc.compare(model, plan, deeper, 28, [], response=response, baseline="none")
    assert with_plan.alt_baseline == "none" and without.alt_baseline == "plan"
    kp, kn = with_plan.kpis.set_index("scenario"), without.kpis.set_index("scenario")
    # the plan's own promotion, seen from "no promotion"
    plan_gain = kp.loc["baseline", "units"] - kn.loc["baseline", "units"]
    assert plan_gain > 0
    assert kp.loc["baseline", "incr_units_vs_none"] == pytest.approx(plan_gain)
    assert kn.loc["baseline", "incr_units_vs_plan"] == pytest.approx(-plan_gain)
    # the scenario against the other baseline = its increment in the other comparison
    assert kp.loc["40%", "incr_units_vs_none"] == pytest.approx(kn.loc["40%", "incr_units"])
    assert kn.loc["40%", "incr_units_vs_plan"] == pytest.approx(kp.loc["40%", "incr_units"])
    assert kp.loc["40%", "incr_units_pct_vs_none"] > kp.loc["40%", "incr_units_pct"] > 0
    # a plan without any promotion: both baselines are the same, nothing extra is shown
    flat = sc.compare(model, sc.base_plan(model, 28), deeper, 28, [], response=response)
    assert flat.alt_baseline is None and "incr_units_vs_none" not in flat.kpis.columns


def test_without_drivers_nothing_is_learned_and_an_assumption_is_labelled(panel):
    bare = panel[[ID, DS, Y]]
    assert not sc.can_learn(bare)
    assert sc.fit_response(bare).source == sc.UNKNOWN
    assumed = sc.fit_response(bare, assume=0.2)
    assert assumed.source == sc.ASSUMED and assumed.per_10pts == pytest.approx(0.2)
    model = ToyModel(bare)
    s = [sc.Scenario("25%", "2025-05-20", "2025-05-24", discount=0.25)]
    comp = sc.compare(model, sc.base_plan(model, 28), s, 28, [], response=assumed)
    k = comp.kpis.set_index("scenario")
    assert k.loc["25%", "window_incr_pct"] == pytest.approx(100 * (1.2**2.5 - 1), rel=1e-6)
    (w,) = comp.warnings
    assert w.key == "response_assumed" and w.severity == "info"
    assert "+20%" in w.message("en") and "假设" in w.message("zh")
    unknown = sc.compare(model, sc.base_plan(model, 28), s, 28, [], response=sc.fit_response(bare))
    assert [x.key for x in unknown.warnings] == ["response_unknown"]


def test_slider_change_is_a_multiplication_without_any_model_call(panel, response):
    """With the cached neutral forecast, a slider move never calls the model (the page's
    latency is measured in benchmarks/app_latency.py, not here)."""
    model = ToyModel(panel)
    base = sc.base_plan(model, 42)
    on = base[DS].between("2025-05-20", "2025-05-24")
    base.loc[on, "discount"], base.loc[on, "promo"] = 0.2, 1.0  # both baselines computed
    neutral = sc.predict_scenario(model, sc.neutral_plan(base), None, 42, [80, 95])
    calls = []
    model.predict = lambda *a, **k: calls.append(a) or ToyModel.predict(model, *a, **k)
    comp = sc.compare(
        model, base, _scenarios(), 42, [80, 95], response=response, neutral_forecast=neutral
    )
    assert calls == [] and len(comp.scenarios) == len(_scenarios())


def test_a_memo_reuses_unchanged_plans_and_changes_no_number(panel, response, monkeypatch):
    """The page's memo: a second compare with one scenario moved computes that scenario
    only (baselines and the other scenarios come from the memo), with the same numbers
    as a compare without memo, under either baseline."""
    compare_module = importlib.import_module("forecasting.planning.scenarios.compare")
    model = ToyModel(panel)
    base = sc.base_plan(model, 42)
    on = base[DS].between("2025-05-20", "2025-05-24")
    base.loc[on, "discount"], base.loc[on, "promo"] = 0.2, 1.0  # both baselines computed
    neutral = sc.predict_scenario(model, sc.neutral_plan(base), None, 42, [80])
    applied = []
    real = compare_module.apply_response
    monkeypatch.setattr(compare_module, "apply_response", lambda *a: applied.append(1) or real(*a))
    memo: dict = {}
    first, moved = _scenarios((0.1, 0.2)), _scenarios((0.1, 0.3))
    for kind in ("plan", "none"):
        kw = dict(response=response, neutral_forecast=neutral, baseline=kind)
        sc.compare(model, base, first, 42, [80], memo=memo, **kw)
        applied.clear()
        got = sc.compare(model, base, moved, 42, [80], memo=memo, **kw)
        assert len(applied) == 1, kind  # the moved scenario only
        want = sc.compare(model, base, moved, 42, [80], **kw)
        pd.testing.assert_frame_equal(got.kpis, want.kpis)
        pd.testing.assert_frame_equal(got.forecast, want.forecast)
        assert got.alt_baseline == want.alt_baseline


def test_cli_and_compare_show_the_same_numbers(panel, tmp_path, capsys):
    """The same scenario through ``python -m forecasting scenario`` and through ``compare``
    as the Scenarios page calls it (cached neutral forecast + the fitted response)."""
    from forecasting.data import load
    from forecasting.models import create

    csv = tmp_path / "sales.csv"
    names = {
        ID: "商品",
        DS: "日期",
        Y: "销量",
        "price": "价格",
        "discount": "折扣",
        "promo": "促销",
    }
    panel.rename(columns=names).to_csv(csv, index=False)
    scns = _scenarios((0.2, 0.4))
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"scenarios": [s.to_dict() for s in scns]}), "utf-8")
    out = tmp_path / "out.csv"
    argv = ["scenario", str(csv), "-s", str(spec), "-H", "28", "--models", "ridge"]
    code = main([*argv, "--level", "80", "--no-cache", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "基线" in printed  # the baseline is stated
    cli = pd.read_csv(tmp_path / "out_kpis.csv").set_index("scenario")

    history = load(csv).history()
    model = create("ridge").fit(history, freq="D")
    base = sc.base_plan(model, 28)
    response = sc.fit_response(history, assume=sc.DEFAULT_ASSUMED_UPLIFT)
    neutral = sc.predict_scenario(model, sc.neutral_plan(base), None, 28, [80])
    after = sc.fit_after_effects(history)  # the page's dip and cannibalisation, as the CLI's
    page = sc.compare(
        model,
        base,
        scns,
        28,
        [80],
        response=response,
        neutral_forecast=neutral,
        after_effects=after,
    ).kpis.set_index("scenario")
    cols = ("units", "incr_units_pct", "window_units", "window_incr_pct", "pulled_forward_units")
    for col in cols:
        np.testing.assert_allclose(
            cli.loc[page.index, col].to_numpy(dtype=float),
            page[col].to_numpy(dtype=float),
            rtol=1e-6,
            err_msg=col,
        )


def test_stock_follows_the_scenario(panel, response):
    """Bands scale with the level: more expected units, more safety stock."""
    from forecasting.planning.inventory import inventory_plan

    model = ToyModel(panel)
    base = sc.base_plan(model, 28)
    s = [sc.Scenario("30%", "2025-05-15", "2025-05-28", discount=0.3, promo=True)]
    comp = sc.compare(model, base, s, 28, [80, 95], response=response)
    plan = inventory_plan(comp.forecast, "Toy", 7, 0.95, start="2025-05-15")
    safety = plan.groupby("scenario")["safety_stock"].sum()
    demand = plan.groupby("scenario")["demand_mean"].sum()
    assert safety["30%"] > safety["baseline"] * (demand["30%"] / demand["baseline"]) * 0.99
    assert safety["30%"] > 1.5 * safety["baseline"]


def test_cli_without_drivers_labels_the_assumption(panel, tmp_path, capsys):
    csv = tmp_path / "bare.csv"
    panel[[ID, DS, Y]].rename(columns={ID: "商品", DS: "日期", Y: "销量"}).to_csv(csv, index=False)
    spec = tmp_path / "s.json"
    s = sc.Scenario("25%", "2025-05-20", "2025-05-24", discount=0.25)
    spec.write_text(json.dumps([s.to_dict()]), "utf-8")
    argv = ["--lang", "en", "scenario", str(csv), "-s", str(spec), "-H", "14"]
    argv += ["--models", "ridge", "--no-cache", "--baseline", "none", "--assume-uplift", "0.3"]
    assert main([*argv, "--out", str(tmp_path / "o.csv")]) == 0
    out = capsys.readouterr()
    assert "Baseline: no promotion" in out.out
    assert "ASSUMPTION (not learned): +30% units per 10 points of discount" in out.out
    assert "assumption you entered (+30%" in out.err
    k = pd.read_csv(tmp_path / "o_kpis.csv").set_index("scenario")
    assert set(k["response"]) == {"assumed"} and set(k["baseline"]) == {"none"}
    assert k.loc["25%", "window_incr_pct"] == pytest.approx(100 * (1.3**2.5 - 1), rel=1e-4)


def test_a_price_change_the_response_cannot_price_is_said(panel, response):
    model = ToyModel(panel)  # the panel's list price never moves: no price term
    assert "log_price" not in response.coef
    s = [sc.Scenario("+10%", "2025-05-20", "2025-05-24", price_change=0.1)]
    comp = sc.compare(model, sc.base_plan(model, 28), s, 28, [], response=response)
    (w,) = [w for w in comp.warnings if w.key == "response_no_price"]
    assert "GMV" in w.message("zh") and "GMV" in w.message("en")
