"""After-effects of a promotion: the pull-forward dip after it and the units it takes
from the other products of its category — estimated from history (recovering known
effects, 0 where the data has none), and shown as separate KPI lines by ``compare``
and the ``scenario`` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from forecasting.cli.main import main
from forecasting.planning import scenarios as sc
from forecasting.planning.scenarios.aftereffects import ALL_GROUPS, CAMPAIGN
from forecasting.schema import DS, ID, Y
from tests.planning.test_response import ToyModel

DIP, GAMMA = math.log(0.8), -0.5  # -20% for 7 days after a campaign; all peers on: -39%


def campaign_panel(days: int = 900, seed: int = 1) -> pd.DataFrame:
    """Two categories of five products; campaigns (20% off + flag) pull 20% of the next
    7 days' units forward, and each promoted peer takes units from the others."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=days, freq="D")
    n = 10
    promo = np.zeros((n, days))
    for i in range(n):
        for a in np.flatnonzero(rng.random(days - 5) < 1 / 40):
            promo[i, a : a + 5] = 1.0
    mult = np.exp(2.0 * 0.2 * promo)
    for i in range(n):
        ends = np.flatnonzero(np.diff(promo[i]) == -1)  # last day of each run
        for b in ends:
            post = np.arange(b + 1, min(b + 8, days))
            mult[i, post] *= np.where(promo[i, post] > 0, 1.0, 0.8)
    cat = np.repeat([0, 1], 5)
    frames = []
    for i in range(n):
        peers = (cat == cat[i]) & (np.arange(n) != i)
        share = promo[peers].mean(axis=0)
        mult_i = mult[i] * np.where(promo[i] > 0, 1.0, np.exp(GAMMA * share))
        mu = 60.0 * (1 + i % 5) * mult_i
        y = rng.poisson(mu * rng.gamma(20, 1 / 20, days)).astype(float)
        frames.append(
            pd.DataFrame(
                {
                    ID: f"c{cat[i]}sku{i}",
                    DS: ds,
                    Y: y,
                    "price": 50.0,
                    "discount": 0.2 * promo[i],
                    "promo": promo[i],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def panel():
    return campaign_panel()


@pytest.fixture(scope="module")
def groups(panel):
    ids = panel[ID].unique()
    return {u: u[:2] for u in ids}


@pytest.fixture(scope="module")
def effects(panel, groups):
    return sc.fit_after_effects(panel, groups, country=None)


def test_known_dip_and_cannibalisation_are_recovered(effects):
    d, se, runs = effects.dip[CAMPAIGN][ALL_GROUPS]
    assert runs >= 50 and se > 0
    assert abs(d - DIP) <= max(2.5 * se, 0.05), (d, se)
    for g in ("c0", "c1"):
        coef, se_g, _ = effects.cannibal[g]
        assert coef < 0 and abs(coef - GAMMA) <= max(2.5 * se_g, 0.15), (g, coef, se_g)


def test_a_scenario_on_part_of_a_category_shows_both_lines(panel, groups, effects):
    model = ToyModel(panel)
    base = sc.base_plan(model, 28)
    first = base[DS].min()
    window = (first + pd.Timedelta(days=3), first + pd.Timedelta(days=7))
    s = [sc.Scenario("two", *window, series=["c0sku0", "c0sku1"], discount=0.2, promo=True)]
    resp = sc.fit_response(panel, groups, country=None)
    comp = sc.compare(model, base, s, 28, [80], response=resp, after_effects=effects, by="series")
    k = comp.kpis.set_index(["level", "group", "scenario"])
    total = k.loc[("total", "total", "two")]
    assert total["pulled_forward_units"] < 0 and total["cannibalised_units"] < 0
    assert total["net_incr_units"] == pytest.approx(total["incr_units"])
    # the other products of the category lose units; the other category is untouched
    other = k.loc[("series", "c0sku3", "two")]
    assert other["incr_units"] < 0
    assert other["cannibalised_units"] == pytest.approx(other["incr_units"], rel=1e-6)
    assert k.loc[("series", "c1sku7", "two"), "incr_units"] == pytest.approx(0.0, abs=1e-6)
    # the promoted products' post-window days are lower than without the dip
    target = k.loc[("series", "c0sku0", "two")]
    assert target["pulled_forward_units"] < 0 and target["post_incr_units"] < 0
    without = sc.compare(model, base, s, 28, [80], response=resp).kpis.set_index("scenario")
    assert np.isnan(without.loc["two", "pulled_forward_units"])
    assert total["units"] < without.loc["two", "units"]


def test_without_promotion_columns_nothing_is_estimated_and_it_is_said(panel):
    bare = panel[[ID, DS, Y]]
    effects = sc.fit_after_effects(bare)
    assert not effects.dip_estimable and not effects.cannibal_estimable
    en, zh = sc.after_summary(effects, "en"), sc.after_summary(effects, "zh")
    assert all("not estimable from this data: assumed 0" in x for x in en)
    assert all("无法估计" in x and "按 0 计" in x for x in zh)
    f = sc.after_factors(effects, sc.base_plan(ToyModel(bare), 14))
    assert (f["dip"] == 1).all() and (f["cannibal"] == 1).all()


# --- the sample shop: a dip after 618 and 双十一, no cannibalisation (README truth) ----


@pytest.fixture(scope="module")
def shop_effects():
    from forecasting.data import load
    from forecasting.data.sample import sample_path

    data = load(sample_path("csv"))
    hier = sc.hierarchy_from_data(data)
    return sc.fit_after_effects(data.history(), sc.response_groups(hier))


def true_dip(festival: str, days: int = 7) -> float:
    """Log of the mean true multiplier over the ``days`` days after the festival window."""
    from forecasting.data.festivals import DEFAULT_WINDOWS
    from forecasting.data.sample import festival_multiplier

    peak = {"618": "2025-06-18", "double11": "2025-11-11"}[festival]
    first = pd.Timestamp(peak) + pd.Timedelta(days=DEFAULT_WINDOWS[festival][1] + 1)
    dates = pd.date_range(first, periods=days, freq="D")
    return float(np.log(festival_multiplier(dates)[festival].mean()))


@pytest.mark.parametrize("festival", ["618", "double11"])
def test_sample_post_festival_dip_matches_the_truth(shop_effects, festival):
    truth = true_dip(festival)  # 618 about -12.5%, 双十一 about -20% (log)
    est, se, runs = shop_effects.dip[festival][ALL_GROUPS]
    assert runs >= 30
    assert abs(est - truth) <= 2 * se, (festival, est, se, truth)
    assert est < 0


def test_sample_has_no_campaign_dip_and_no_cannibalisation(shop_effects):
    est, se, _ = shop_effects.dip[CAMPAIGN][ALL_GROUPS]  # truth: own campaigns pull nothing
    assert abs(est) <= 2 * se
    assert set(shop_effects.cannibal) == {"护肤", "彩妆", "个护", "家居"}
    for coef, se_g, _ in shop_effects.cannibal.values():  # truth: products independent
        assert abs(coef) <= 2 * se_g  # the truth, 0, inside the interval


def test_cli_prints_and_writes_the_after_effect_lines(panel, tmp_path, capsys):
    """CLI and ``compare`` as the page calls it give the same after-effect lines."""
    from forecasting.data import load
    from forecasting.models import create

    csv = tmp_path / "sales.csv"
    names = {ID: "商品", DS: "日期", Y: "销量", "price": "价格", "discount": "折扣"}
    panel.rename(columns={**names, "promo": "促销"}).to_csv(csv, index=False)
    start = pd.Timestamp(panel[DS].max()) + pd.Timedelta(days=4)
    s = sc.Scenario("two", start, start + pd.Timedelta(days=4), series=["c0sku0"], discount=0.2)
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps([s.to_dict()]), "utf-8")
    argv = ["--lang", "en", "scenario", str(csv), "-s", str(spec), "-H", "21"]
    assert main([*argv, "--models", "ridge", "--no-cache", "--out", str(tmp_path / "o.csv")]) == 0
    out = capsys.readouterr().out
    assert "Dip in the 7 days after a promotion" in out
    assert "Pulled forward from after the window" in out
    k = pd.read_csv(tmp_path / "o_kpis.csv").set_index("scenario")
    assert {"pulled_forward_units", "cannibalised_units", "net_incr_units"} <= set(k.columns)
    assert k.loc["two", "pulled_forward_units"].min() < 0

    history = load(csv).history()
    model = create("ridge").fit(history, freq="D")
    base = sc.base_plan(model, 21)
    page = sc.compare(
        model,
        base,
        [s],
        21,
        [80, 95],
        response=sc.fit_response(history, assume=sc.DEFAULT_ASSUMED_UPLIFT),
        after_effects=sc.fit_after_effects(history),
    ).kpis.set_index("scenario")
    for col in ("units", "pulled_forward_units", "cannibalised_units", "net_incr_units"):
        np.testing.assert_allclose(
            float(k.loc["two", col]), float(page.loc["two", col]), rtol=1e-6, err_msg=col
        )
