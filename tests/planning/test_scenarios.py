"""What-if scenarios: definitions and files, applying them, predicting, KPIs, warnings, CLI."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ShopcastError
from forecasting.models.base import Forecaster
from forecasting.planning import scenarios as sc
from forecasting.schema import DS, ID, SCENARIO, hi_col, lo_col
from tests.support import ROOT

BETA, PROMO_MULT = 2.0, 1.1


class DriverToy(Forecaster):
    """A model whose response is known exactly: mean x exp(2 x discount) x 1.1 ** promo.

    Bands are +-20% / +-40% of the point forecast, so multipliers must scale them too.
    """

    name = "toy"
    uses_drivers = True
    native_intervals = True
    min_seasons = 0.5

    def _fit(self, df, progress):
        self.level_ = df.groupby(ID)["y"].mean()
        self.calls = 0

    def _predict(self, h, future, levels):
        self.calls += 1
        disc = future["discount"].to_numpy(float) if "discount" in future else 0.0
        promo = future["promo"].to_numpy(float) if "promo" in future else 0.0
        mean = future[ID].map(self.level_).to_numpy(float) * np.exp(BETA * disc) * PROMO_MULT**promo
        out = future[[ID, DS]].copy()
        out[self.alias] = mean
        for lv in levels:
            w = 0.2 if lv <= 80 else 0.4
            out[lo_col(self.alias, lv)] = mean * (1 - w)
            out[hi_col(self.alias, lv)] = mean * (1 + w)
        return out


def toy_history(days: int = 120) -> pd.DataFrame:
    """Three SKUs in two categories; promotions (10-30% off, flag on) and 5% coupons (flag off)."""
    rng = np.random.default_rng(1)
    ds = pd.date_range("2026-01-01", periods=days, freq="D")
    parts = []
    for k, uid in enumerate(["a1", "a2", "b1"]):
        disc = np.zeros(days)
        promo = np.zeros(days)
        for start in (20, 60, 100):  # three 5-day campaigns
            disc[start : start + 5] = [0.1, 0.2, 0.3][k]
            promo[start : start + 5] = 1
        disc[[10, 40]] = 0.05  # coupons
        y = (10 + 5 * k) * np.exp(BETA * disc) * PROMO_MULT**promo * rng.gamma(50, 1 / 50, days)
        parts.append(
            pd.DataFrame(
                {ID: uid, DS: ds, "y": y, "price": 100.0 + 10 * k, "discount": disc, "promo": promo}
            )
        )
    return pd.concat(parts, ignore_index=True)


HIER = pd.DataFrame(
    {ID: ["a1", "a2", "b1"], "品类": ["护肤", "护肤", "家居"], "商品": ["a1", "a2", "b1"]}
)


@pytest.fixture(scope="module")
def toy():
    model = DriverToy().fit(toy_history(), freq="D")
    base = sc.base_plan(model, 28)
    return model, base


def s(name="S", start="2026-05-05", end="2026-05-09", **kw) -> sc.Scenario:
    return sc.Scenario(name=name, start=start, end=end, **kw)


# ------------------------------------------------------------------ definition and files
def test_roundtrip_json_keeps_every_field():
    items = [
        s(
            "双11 8折",
            level="品类",
            series=["护肤"],
            discount=0.2,
            promo=True,
            presale_days=3,
            price_change=0.05,
            traffic_multiplier=1.2,
            manual_adjustment=-0.1,
            note="备注",
        ),
        s("all", discount=None, promo=False),
    ]
    text = sc.save_scenarios(items)
    assert "双11 8折" in text  # Chinese kept readable, not \\u escapes
    back = sc.load_scenarios(text)
    assert back == items
    assert back[0].start == date(2026, 5, 5) and back[0].promo_start == pd.Timestamp("2026-05-02")
    assert sc.load_scenarios(text.encode("utf-8-sig"))[0].name == "双11 8折"  # bytes, BOM


def test_modules_are_light():
    code = (
        "import sys, forecasting.planning.scenarios, forecasting.planning.inventory; "
        "print([m for m in ('streamlit', 'lightgbm', 'prophet', 'tensorflow', 'openpyxl', "
        "'xlsxwriter') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_key_is_stable_and_replace_revalidates():
    from dataclasses import replace

    a = s("A", discount=0.2, promo=True)
    assert a.key == s("A", discount=0.2, promo=True).key != s("A", discount=0.3).key
    assert replace(a, discount=0.35).discount == 0.35
    with pytest.raises(ShopcastError):
        replace(a, end="2026-01-01")


def test_load_from_path_and_bare_list(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(
        json.dumps([{"name": "x", "window": {"start": "2026-11-01", "end": "2026/11/11"}}]), "utf-8"
    )
    (one,) = sc.load_scenarios(p)
    assert one.end == date(2026, 11, 11) and one.series is None and one.discount is None
    assert sc.load_scenarios(str(p))[0] == one


def _key(text_or_items, **kw) -> ShopcastError:
    if not isinstance(text_or_items, str):
        text_or_items = json.dumps(text_or_items)
    with pytest.raises(ShopcastError) as info:
        sc.load_scenarios(text_or_items, name="plan.json", **kw)
    return info.value


GOOD = {"name": "x", "target": "all", "window": {"start": "2026-11-01", "end": "2026-11-11"}}


@pytest.mark.parametrize(
    "patch, key, field",
    [
        (
            {"window": {"start": "2026-11-11", "end": "2026-11-01"}},
            "scenario_end_before_start",
            None,
        ),
        ({"discount": 25}, "scenario_discount_percent", None),
        ({"discount": -0.1}, "scenario_out_of_range", "discount"),
        ({"discount": "0.2"}, "scenario_expected_number", "discount"),
        ({"promo": "yes"}, "scenario_expected_flag", "promo"),
        ({"presale_days": 2.5}, "scenario_expected_whole", "presale_days"),
        ({"presale_days": None}, "scenario_expected_number", "presale_days"),
        ({"traffic_multiplier": 0}, "scenario_out_of_range", "traffic_multiplier"),
        ({"dicsount": 0.2}, "scenario_unknown_field", "dicsount"),
        (
            {"target": {"level": "品类", "serie": ["护肤"]}},
            "scenario_unknown_field",
            "target.serie",
        ),
        ({"target": {"series": []}}, "scenario_expected_list", "target.series"),
        ({"target": 5}, "scenario_expected_target", "target"),
        ({"window": "2026-11-11"}, "scenario_expected_window", "window"),
        ({"window": {"start": "11/11"}}, "scenario_missing_field", "window.end"),
        ({"window": {"start": "soon", "end": "2026-11-11"}}, "scenario_bad_date", "window.start"),
        ({"name": "Baseline"}, "scenario_reserved_name", None),
        ({"name": "  "}, "scenario_empty_name", None),
        ({"name": 7}, "scenario_expected_text", "name"),
    ],
)
def test_bad_fields_have_clear_errors(patch, key, field):
    err = _key([{**GOOD, **patch}])
    assert err.key == key
    assert "plan.json #1" in err.params["where"]
    if field:
        assert err.params["field"] == field
    for lang in ("zh", "en"):
        msg = err.message(lang)
        assert "plan.json #1" in msg and not re.search(r"\{\w+\}", msg)


def test_file_level_errors():
    assert _key('{"scenarios": [ {"name": "x",, } ]}').key == "scenario_bad_json"
    bad = _key('[\n {"name": "x"\n  "window": {}}]')
    assert bad.key == "scenario_bad_json" and bad.params["line"] == 3
    assert _key([]).key == "scenario_empty"
    assert _key({"scenarios": GOOD}).key == "scenario_bad_root"
    assert _key({"format": "other", "scenarios": [GOOD]}).key == "scenario_bad_root"
    assert _key({"version": 9, "scenarios": [GOOD]}).key == "scenario_bad_version"
    assert _key({"scenarios": [GOOD], "extra": 1}).key == "scenario_unknown_field"
    assert _key([GOOD, GOOD]).key == "scenario_duplicate_name"
    assert _key(["x"]).key == "scenario_not_object"
    with pytest.raises(ShopcastError) as info:
        sc.load_scenarios("missing_file.json")
    assert info.value.key == "file_not_found"


def test_table_roundtrip_for_data_editor():
    items = [s("A", level="品类", series=["护肤", "家居"], discount=0.2, promo=True), s("B")]
    table = sc.scenarios_to_frame(items)
    assert table.loc[0, "series"] == "护肤, 家居"
    empty = pd.DataFrame([{c: "" for c in table.columns}])  # a row the editor added, left blank
    table = pd.concat([table, empty], ignore_index=True)
    assert sc.scenarios_from_frame(table) == items
    table.loc[1, "discount"] = 40
    with pytest.raises(ShopcastError) as info:
        sc.scenarios_from_frame(table)
    assert info.value.key == "scenario_discount_percent"


# ------------------------------------------------------------------ presets
def test_presets_follow_the_festival_calendar():
    from forecasting.data.festivals import festival_calendar

    ps = sc.presets(2026, lang="en")
    assert [p.note.split(":")[1] for p in ps] == ["618", "double11", "double12"]
    cal = festival_calendar([2026], festivals=["618", "double11", "double12"]).set_index("holiday")
    for p in ps:
        f = p.note.split(":")[1]
        peak, lo, up = cal.loc[f, "ds"], cal.loc[f, "lower_window"], cal.loc[f, "upper_window"]
        assert p.window == (peak + pd.Timedelta(days=int(lo)), peak + pd.Timedelta(days=int(up)))
        assert p.promo is True and p.discount == sc.PRESET_DISCOUNT[f]
    assert ps[1].name == "Double 11 · 25% off" and ps[1].presale_days == 17
    zh = sc.presets(2026, lang="zh", discount=0.35)
    assert zh[1].name == "双十一 · 6.5折" and all(p.discount == 0.35 for p in zh)
    # a forecast horizon only gets the festivals it overlaps
    horizon = pd.date_range("2026-11-01", periods=42, freq="D")
    assert [p.note.split(":")[1] for p in sc.presets(horizon)] == ["double11", "double12"]


# ------------------------------------------------------------------ applying
def test_apply_changes_only_target_rows(toy):
    model, base = toy
    scn = s(
        level="品类", series=["护肤"], discount=0.25, promo=True, presale_days=2, price_change=0.1
    )
    out = sc.apply_scenario(base, scn, HIER)
    assert out.shape == base.shape and list(out.columns) == list(base.columns)
    changed = (out != base).any(axis=1).to_numpy()
    inside = (
        base[ID].isin(["a1", "a2"]) & (base[DS] >= "2026-05-03") & (base[DS] <= "2026-05-09")
    ).to_numpy()
    assert (changed == inside).all() and inside.sum() == 14
    assert (out.loc[inside, "discount"] == 0.25).all() and (out.loc[inside, "promo"] == 1).all()
    np.testing.assert_allclose(out.loc[inside, "price"], base.loc[inside, "price"] * 1.1)
    assert base["discount"].eq(0).all()  # the input is not modified


def test_apply_targets_and_errors(toy):
    _, base = toy
    by_id = sc.apply_scenario(base, s(series=["b1"], discount=0.1))
    assert set(by_id.loc[by_id["discount"] > 0, ID]) == {"b1"}
    with pytest.raises(ShopcastError) as info:
        sc.apply_scenario(base, s(level="品类", series=["服装"], discount=0.1), HIER)
    assert info.value.key == "scenario_unknown_series" and "护肤" in info.value.params["examples"]
    with pytest.raises(ShopcastError) as info:
        sc.apply_scenario(base, s(level="品类", series=["护肤"]))
    assert info.value.key == "scenario_no_hierarchy"
    with pytest.raises(ShopcastError) as info:
        sc.apply_scenario(base, s(level="brand", series=["x"]), HIER)
    assert info.value.key == "scenario_unknown_level"
    bare = base[[ID, DS]]
    out = sc.apply_scenario(bare, s(discount=0.2, promo=True))
    assert {"discount", "promo"} <= set(out.columns) and out["discount"].max() == 0.2


# ------------------------------------------------------------------ predicting
def test_run_scenarios_predicts_changed_plans(toy):
    model, base = toy
    scns = [
        s("deal", level="品类", series=["护肤"], discount=0.2, promo=True),
        s("ads", traffic_multiplier=1.5, manual_adjustment=0.1),
    ]
    fc = sc.run_scenarios(model, base, scns, 28, hierarchy=HIER)
    assert list(fc.columns[:3]) == [ID, DS, SCENARIO]
    assert list(fc[SCENARIO].unique()) == ["baseline", "deal", "ads"]
    assert fc.groupby(SCENARIO).size().eq(3 * 28).all()
    pivot = fc.pivot_table(index=[ID, DS], columns=SCENARIO, values="toy")
    base_fc = model.predict(28, future=base).set_index([ID, DS])["toy"]
    np.testing.assert_allclose(pivot["baseline"], base_fc.reindex(pivot.index))
    ratio = pivot["deal"] / pivot["baseline"]
    idx = ratio.index.to_frame(index=False)
    inside = (idx[ID].isin(["a1", "a2"]) & idx[DS].between("2026-05-05", "2026-05-09")).to_numpy()
    np.testing.assert_allclose(ratio[inside], math.exp(BETA * 0.2) * PROMO_MULT)
    np.testing.assert_allclose(ratio[~inside], 1.0)
    # assumptions multiply the forecast and its bands inside the window only
    ads = fc[fc[SCENARIO] == "ads"].reset_index(drop=True)
    bl = fc[fc[SCENARIO] == "baseline"].reset_index(drop=True)
    win = ads[DS].between("2026-05-05", "2026-05-09").to_numpy()
    for col in ("toy", lo_col("toy", 95), hi_col("toy", 80)):
        np.testing.assert_allclose(ads.loc[win, col], bl.loc[win, col] * 1.65)
        np.testing.assert_allclose(ads.loc[~win, col], bl.loc[~win, col])
    assert (fc[lo_col("toy", 95)] <= fc["toy"]).all() and (fc["toy"] <= fc[hi_col("toy", 95)]).all()


def test_assumption_only_scenario_reuses_the_baseline(toy):
    model, base = toy
    baseline = sc.predict_scenario(model, base, None, 28)
    before = model.calls
    sc.run_scenarios(model, base, [s("ads", traffic_multiplier=1.2)], 28, baseline=baseline)
    assert model.calls == before  # nothing re-predicted
    sc.run_scenarios(model, base, [s("deal", discount=0.1)], 28, baseline=baseline)
    assert model.calls == before + 1


def test_run_scenarios_rejects_duplicates(toy):
    model, base = toy
    with pytest.raises(ShopcastError):
        sc.run_scenarios(model, base, [s("x"), s("x")], 28)


def test_compare_is_run_scenarios_kpis_and_warnings(toy):
    model, base = toy
    scns = [
        s("deal", level="品类", series=["护肤"], discount=0.2, promo=True),
        s("bad", level="品类", series=["服装"], discount=0.1),
        s("ads", traffic_multiplier=1.5),
    ]
    comp = sc.compare(model, base, scns, 28, [80, 95], HIER, by="品类")
    ok = [scns[0], scns[2]]
    fc = sc.run_scenarios(model, base, ok, 28, [80, 95], HIER)
    pd.testing.assert_frame_equal(comp.forecast, fc)
    futures = sc.scenario_futures(base, ok, HIER)
    pd.testing.assert_frame_equal(
        comp.kpis, sc.kpis(fc, futures, "toy", ok, by="品类", hierarchy=HIER)
    )
    assert [x.name for x in comp.scenarios] == ["deal", "ads"] and comp.by == "品类"
    assert [(name, key) for name, key, _ in comp.errors] == [("bad", "scenario_unknown_series")]
    expected = [w for x in scns for w in sc.range_warnings(model.train_, x, base, HIER, model)]
    assert comp.warnings == expected
    with pytest.raises(ShopcastError):  # strict, as the CLI wants it
        sc.compare(model, base, scns, 28, [80, 95], HIER, skip_failed=False)
    two = sc.compare([model], base, ok, 28, [80], HIER, model_column=True)
    assert list(two.kpis.columns[:2]) == ["model", "scenario"] and set(two.kpis["model"]) == {"toy"}


def test_compare_uses_the_callers_predict_and_warn(toy):
    model, base = toy
    calls = []

    def predict(scenario, baseline):
        calls.append(None if scenario is None else scenario.name)
        return sc.predict_scenario(model, base, scenario, 28, [80], None, baseline)

    comp = sc.compare(
        model, base, [s("deal", discount=0.1)], 28, [80], predict=predict, warn=lambda m, x: []
    )
    assert calls == [None, "deal"] and comp.warnings == []


# ------------------------------------------------------------------ KPIs
def _kpi_case():
    """Two series, 10 days; the scenario doubles a1 on days 3-4 and dips 50% on days 5-6."""
    ds = pd.date_range("2026-11-01", periods=10, freq="D")
    rows = []
    for scn in ("baseline", "deal"):
        for uid in ("a1", "b1"):
            units = np.full(10, 10.0 if uid == "a1" else 4.0)
            if scn == "deal" and uid == "a1":
                units[2:4] = 20.0
                units[4:6] = 5.0
            rows.append(pd.DataFrame({ID: uid, DS: ds, SCENARIO: scn, "m": units}))
    fc = pd.concat(rows, ignore_index=True)
    plan = pd.DataFrame(
        {ID: np.repeat(["a1", "b1"], 10), DS: np.tile(ds, 2), "price": 100.0, "discount": 0.0}
    )
    deal = s("deal", start="2026-11-03", end="2026-11-04", series=["a1"], discount=0.5)
    futures = sc.scenario_futures(plan, [deal])
    return fc, futures, deal


def test_kpis_by_hand():
    fc, futures, deal = _kpi_case()
    k = sc.kpis(fc, futures, "m", [deal], post_days=2)
    tot = k[(k["level"] == "total")].set_index("scenario")
    assert tot.loc["baseline", "units"] == 140 and tot.loc["baseline", "gmv"] == 14000
    d = tot.loc["deal"]
    assert d["units"] == 140 + 20 - 10  # +20 in the window, -10 in the dip
    assert d["incr_units"] == 10 and d["incr_units_pct"] == pytest.approx(100 * 10 / 140)
    # GMV: window days sold at half price
    assert d["gmv"] == pytest.approx(
        14000 - 2 * 10 * 100 + 2 * 20 * 50 - 2 * 10 * 100 + 2 * 5 * 100
    )
    assert d["window_incr_units"] == 20 and d["window_incr_pct"] == pytest.approx(100 * 20 / 28)
    assert d["post_incr_units"] == -10 and d["post_incr_pct"] == pytest.approx(-100 * 10 / 28)
    assert d["peak_day"] == pd.Timestamp("2026-11-03") and d["peak_units"] == 24
    assert tot.loc["baseline", "incr_units"] == 0


def test_kpis_by_group_and_series():
    fc, futures, deal = _kpi_case()
    by_cat = sc.kpis(fc, futures, "m", [deal], by="品类", hierarchy=HIER)
    cats = by_cat[by_cat["level"] == "品类"].set_index(["scenario", "group"])
    assert cats.loc[("deal", "家居"), "incr_units"] == 0
    assert cats.loc[("deal", "护肤"), "units"] == 100 + 20 - 10
    assert set(by_cat["level"]) == {"total", "品类"}
    by_sku = sc.kpis(fc, futures, "m", [deal], by="series")
    assert set(by_sku.loc[by_sku["level"] == "series", "group"]) == {"a1", "b1"}
    by_map = sc.kpis(fc, futures, "m", [deal], by={"a1": "x", "b1": "x"})
    x = by_map[(by_map["group"] == "x") & (by_map["scenario"] == "deal")].iloc[0]
    assert x["incr_units"] == 10
    no_price = sc.kpis(fc, None, "m")
    assert no_price["gmv"].isna().all() and no_price["window_units"].isna().all()
    with pytest.raises(ShopcastError):
        sc.kpis(fc, futures, "nope")
    labels = sc.kpi_labels("zh")
    assert labels["gmv"] == "GMV" and labels["incr_units"] == "增量销量"


# ------------------------------------------------------------------ learned response
def test_estimate_response_recovers_a_known_effect(toy):
    model, base = toy
    r = sc.estimate_response(model, base, "discount", [0.1, 0.2, 0.3, 0.6])
    assert list(r["value"]) == [0.1, 0.2, 0.3, 0.6]
    # deep discounts came with the promotion flag in this history: it is linked
    assert r.loc[1, "linked"].startswith("promo=1")
    truth = [math.exp(BETA * v) * PROMO_MULT - 1 for v in r["value"]]
    np.testing.assert_allclose(r["uplift_pct"], 100 * np.array(truth), rtol=1e-9)
    np.testing.assert_allclose(
        r["marginal_per_10pts_pct"].iloc[1:], 100 * (math.exp(BETA * 0.1) - 1), rtol=1e-9
    )
    assert list(r["in_history"]) == [True, True, True, False]
    assert (r["ci_low_pct"] <= r["uplift_pct"] + 1e-9).all()
    assert (r["uplift_pct"] <= r["ci_high_pct"] + 1e-9).all()
    alone = sc.estimate_response(model, base, "discount", [0.2], link=None)
    assert alone.loc[0, "uplift_pct"] == pytest.approx(100 * (math.exp(0.4) - 1))
    promo = sc.estimate_response(model, base, "promo", [1.0])
    assert promo.loc[0, "uplift_pct"] == pytest.approx(10.0)
    with pytest.raises(ShopcastError):
        sc.estimate_response(model, base, "weather", [1.0])


# ------------------------------------------------------------------ warnings
def test_range_warnings(toy):
    model, base = toy
    hist = model.train_
    keys = lambda scn, **kw: [w.key for w in sc.range_warnings(hist, scn, base, **kw)]  # noqa: E731
    assert keys(s(discount=0.2, promo=True)) == []
    assert "discount_above_range" in keys(s(discount=0.6, promo=True))
    assert "combo_unseen" in keys(s(discount=0.2, promo=False))
    assert "longer_than_history" in keys(s(end="2026-05-20", discount=0.2, promo=True))
    assert "window_outside_horizon" in keys(s(start="2027-01-01", end="2027-01-05"))
    assert "window_partly_outside" in keys(s(start="2026-05-25", end="2026-06-05"))
    assert "price_outside_range" in keys(s(price_change=0.5))
    info = sc.range_warnings(hist, s(traffic_multiplier=1.3, manual_adjustment=0.1), base)
    assert [(w.key, w.severity) for w in info] == [
        ("assumption_traffic", "info"),
        ("assumption_manual", "info"),
    ]
    assert "30%" in sc.range_warnings(hist, s(discount=0.6), base)[0].message("en")
    no_disc = hist.drop(columns=["discount"])
    assert [w.key for w in sc.range_warnings(no_disc, s(discount=0.2))][0] == "no_driver"

    class Blind(DriverToy):
        uses_drivers = False

    assert "model_ignores_drivers" in keys(s(discount=0.1), model=Blind())


# ------------------------------------------------------------------ history views
def test_festival_lift_measures_history():
    ds = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    from forecasting.data.festivals import festival_offsets

    inside = festival_offsets(ds, festivals=["618"])["618"].notna().to_numpy()
    y = np.where(inside, 30.0, 10.0)
    lift = sc.festival_lift(pd.DataFrame({ID: "x", DS: ds, "y": y}), festivals=["618"])
    assert set(lift["year"]) == {"2024", "2025", "mean"}
    np.testing.assert_allclose(lift["lift"], 3.0)


def test_hierarchy_from_data(tmp_path):
    from forecasting.data import load

    df = pd.DataFrame(
        {
            "日期": np.repeat(pd.date_range("2026-01-01", periods=60), 3),
            "品类": ["护肤", "护肤", "家居"] * 60,
            "商品": ["面霜", "精华", "抱枕"] * 60,
            "销量": 5.0,
        }
    )
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    hier = sc.hierarchy_from_data(load(path))
    assert hier.set_index(ID)["品类"].to_dict() == {"抱枕": "家居", "精华": "护肤", "面霜": "护肤"}
    data = load(path)
    at = sc.hierarchy_at(data, "品类", ["护肤", "家居"])
    assert at.to_dict("records") == [  # in the order of the finest series (抱枕, 精华)
        {ID: "家居", "品类": "家居"},
        {ID: "护肤", "品类": "护肤"},
    ]
    assert sc.hierarchy_at(data, "品类", ["护肤"]) is None  # one series: nothing to target
    assert sc.hierarchy_at(data, "total", ["a", "b"]) is None
    assert sc.hierarchy_at(data, "商品", ["面霜", "精华", "鞋"]) is None  # data does not match


# ------------------------------------------------------------------ CLI
def _run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "forecasting", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def test_cli_scenario_end_to_end(tmp_path):
    hist = toy_history(days=200)
    cat = {"a1": "护肤", "a2": "护肤", "b1": "家居"}
    raw = pd.DataFrame(
        {
            "日期": hist[DS],
            "品类": hist[ID].map(cat),
            "商品": hist[ID],
            "销量": hist["y"].round(),
            "价格": hist["price"],
            "折扣": hist["discount"],
            "促销": hist["promo"].astype(int),
        }
    )
    data = tmp_path / "shop.csv"
    raw.to_csv(data, index=False, encoding="gbk")
    spec = tmp_path / "s.json"
    spec.write_text(
        sc.save_scenarios(
            [
                s(
                    "护肤 8折",
                    start="2026-07-25",
                    end="2026-07-29",
                    level="品类",
                    series=["护肤"],
                    discount=0.2,
                    promo=True,
                ),
                s("流量", start="2026-07-25", end="2026-07-29", traffic_multiplier=1.2),
            ]
        ),
        "utf-8",
    )
    out = tmp_path / "out" / "s.csv"
    out.parent.mkdir()
    args = [
        "--lang",
        "en",
        "scenario",
        str(data),
        "--scenario",
        str(spec),
        "--horizon",
        "14",
        "--params",
        '{"lightgbm": {"n_estimators": 30}}',
        "--lead-time",
        "5",
        "--out",
        str(out),
    ]
    r = _run_cli(*args)
    assert r.returncode == 0, r.stderr
    fc = pd.read_csv(out, parse_dates=[DS])
    assert list(fc.columns[:4]) == [ID, DS, SCENARIO, "lightgbm"]
    assert {hi_col("lightgbm", 95), lo_col("lightgbm", 80)} <= set(fc.columns)
    assert fc.groupby(SCENARIO).size().to_dict() == {"baseline": 42, "护肤 8折": 42, "流量": 42}
    kpi = pd.read_csv(tmp_path / "out" / "s_kpis.csv", encoding="utf-8-sig")
    assert set(kpi["group"]) == {"total", "护肤", "家居"}  # default breakdown: the level above
    deal = kpi[(kpi["scenario"] == "护肤 8折") & (kpi["group"] == "家居")].iloc[0]
    assert deal["incr_units"] == 0
    assert "Incremental units %" in r.stdout  # KPI table printed with translated headers
    inv = pd.read_csv(tmp_path / "out" / "s_inventory.csv", encoding="utf-8-sig")
    assert len(inv) == 3 * 3 and (inv["demand_q"] >= inv["demand_mean"]).all()
    assert "assumption" in r.stderr  # the traffic multiplier is labelled as an assumption
    again = _run_cli(*args)  # second run: model (and its calibration) from the store
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out, parse_dates=[DS]), fc)


def test_cli_scenario_bad_file_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"scenarios": [{"name": "x", }]}', "utf-8")
    data = tmp_path / "d.csv"
    toy_history().rename(columns={ID: "商品", DS: "日期", "y": "销量"}).to_csv(data, index=False)
    r = _run_cli(
        "--lang",
        "zh",
        "scenario",
        str(data),
        "--scenario",
        str(bad),
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "bad.json" in r.stderr
    assert "JSON" in r.stderr and "Traceback" not in r.stderr
