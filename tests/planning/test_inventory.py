"""Inventory plan from forecast quantiles: lead-time demand, safety stock, risk, reorder, Excel."""

from __future__ import annotations

import io
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ShopcastError
from forecasting.planning import inventory as inv
from forecasting.schema import DS, ID, SCENARIO, hi_col, lo_col

N = NormalDist()


def normal_forecast(mu=(100.0, 40.0), sd=(10.0, 5.0), h=14, levels=(80, 95), alias="m"):
    """Bands that are exact normal quantiles of N(mu, sd) for every period."""
    ds = pd.date_range("2026-11-01", periods=h, freq="D")
    parts = []
    for i, (m, s) in enumerate(zip(mu, sd, strict=True)):
        f = pd.DataFrame({ID: f"s{i}", DS: ds, alias: m})
        for lv in levels:
            z = N.inv_cdf(0.5 + lv / 200)
            f[lo_col(alias, lv)], f[hi_col(alias, lv)] = m - z * s, m + z * s
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def test_period_quantiles_interpolate_between_bands():
    fc = normal_forecast()
    for a in (0.9, 0.95, 0.975, 0.99, 0.5):
        q = inv.period_quantiles(fc, "m", a)
        expect = fc["m"] + N.inv_cdf(a) * np.where(fc[ID] == "s0", 10.0, 5.0)
        np.testing.assert_allclose(q, expect, rtol=1e-9)


def test_asymmetric_bands_use_the_upper_side():
    fc = normal_forecast(mu=(10.0,), sd=(4.0,), h=3)
    fc[lo_col("m", 95)] = 0.0  # clipped at zero, as sales bands often are
    q = inv.period_quantiles(fc, "m", 0.95)
    np.testing.assert_allclose(q, 10 + N.inv_cdf(0.95) * 4.0)


def test_lead_time_quantile_bounds_and_correlation():
    fc = normal_forecast()
    L, z = 7, N.inv_cdf(0.95)
    p = inv.inventory_plan(fc, "m", lead_time=L, service_level=0.95, integer=False).set_index(ID)
    row = p.loc["s0"]
    assert row["demand_mean"] == pytest.approx(700)
    assert row["demand_q_indep"] == pytest.approx(700 + z * 10 * np.sqrt(L))
    assert row["demand_q_sum"] == pytest.approx(L * (100 + z * 10))  # sum of daily quantiles
    sd = np.sqrt(0.5 * L * 100 + 0.5 * (L * 10) ** 2)
    assert row["demand_q"] == pytest.approx(700 + z * sd)
    assert row["demand_q_indep"] < row["demand_q"] < row["demand_q_sum"]
    assert row["safety_stock"] == pytest.approx(row["demand_q"] - 700)
    # Monte Carlo: daily N(100, 10) errors with pairwise correlation 0.5
    rng = np.random.default_rng(0)
    common = rng.standard_normal((200_000, 1))
    own = rng.standard_normal((200_000, L))
    days = 100 + 10 * (np.sqrt(0.5) * common + np.sqrt(0.5) * own)
    assert np.quantile(days.sum(axis=1), 0.95) == pytest.approx(row["demand_q"], rel=0.005)
    ind = inv.inventory_plan(fc, "m", L, 0.95, rho=0.0, integer=False).set_index(ID)
    assert ind.loc["s0", "demand_q"] == pytest.approx(row["demand_q_indep"])


def test_review_period_and_start_extend_the_interval():
    fc = normal_forecast()
    p = inv.inventory_plan(fc, "m", 5, review_period=2, integer=False).set_index(ID)
    assert p.loc["s0", "demand_mean"] == pytest.approx(700)
    later = inv.inventory_plan(fc, "m", 3, start="2026-11-10").set_index(ID)
    assert later.loc["s0", "start"] == pd.Timestamp("2026-11-10")


def test_stock_risk_reorder_and_cover():
    fc = normal_forecast()
    exact = inv.inventory_plan(fc, "m", 7, 0.9, integer=False).set_index(ID)
    stock = {"s0": float(exact.loc["s0", "demand_q"]), "s1": 0.0}
    p = inv.inventory_plan(fc, "m", 7, 0.9, current_stock=stock, integer=False).set_index(ID)
    assert p.loc["s0", "stockout_risk"] == pytest.approx(0.10, abs=1e-9)
    assert p.loc["s0", "reorder_qty"] == pytest.approx(0.0, abs=1e-9)
    assert p.loc["s1", "stockout_risk"] == pytest.approx(1.0, abs=1e-6)
    assert p.loc["s1", "reorder_qty"] == pytest.approx(exact.loc["s1", "demand_q"])
    assert p.loc["s1", "expected_shortfall"] == pytest.approx(280, rel=1e-3)
    one = inv.inventory_plan(fc, "m", 7, current_stock=35.0, on_order=20).set_index(ID)
    assert one.loc["s1", "periods_of_cover"] == pytest.approx(35 / 40)  # on hand only
    assert one.loc["s0", "on_order"] == 20
    assert one.loc["s1", "reorder_qty"] == max(0, one.loc["s1", "demand_q"] - 55)
    assert float(one["reorder_qty"].min()) >= 0 and str(one["reorder_qty"].min()) != "-0.0"
    big = inv.inventory_plan(fc, "m", 7, current_stock=1e6).set_index(ID)
    assert big["stockout_risk"].max() < 1e-9 and big["periods_of_cover"].isna().all()
    assert (big["reorder_qty"] == 0).all()
    none = inv.inventory_plan(fc, "m", 7)
    assert none["stockout_risk"].isna().all() and none["reorder_qty"].isna().all()
    assert (none["demand_q"] == np.ceil(none["demand_q"])).all()  # whole units


def test_scenarios_are_planned_separately_in_order():
    base = normal_forecast()
    deal = base.assign(m=base["m"] * 2, **{c: base[c] * 2 for c in base.columns if "-" in c})
    fc = pd.concat([base.assign(**{SCENARIO: "baseline"}), deal.assign(**{SCENARIO: "a deal"})])
    p = inv.inventory_plan(fc, "m", 7, 0.95, integer=False)
    assert list(p[SCENARIO]) == ["baseline", "baseline", "a deal", "a deal"]
    b = p[p[SCENARIO] == "baseline"].set_index(ID)
    d = p[p[SCENARIO] == "a deal"].set_index(ID)
    np.testing.assert_allclose(d["demand_q"], 2 * b["demand_q"])


def test_errors():
    fc = normal_forecast(h=5)
    cases = [
        (dict(forecast=fc[[ID, DS, "m"]], alias="m", lead_time=3), "inventory_no_bands"),
        (dict(forecast=fc, alias="m", lead_time=6), "inventory_horizon_short"),
        (dict(forecast=fc, alias="m", lead_time=0), "inventory_bad_periods"),
        (dict(forecast=fc, alias="m", lead_time=2.5), "inventory_bad_periods"),
        (dict(forecast=fc, alias="m", lead_time=3, service_level=1.2), "inventory_service_level"),
        (dict(forecast=fc, alias="m", lead_time=3, rho=2), "inventory_rho"),
        (dict(forecast=fc, alias="m", lead_time=3, current_stock=-1), "inventory_bad_stock"),
        (
            dict(forecast=fc, alias="m", lead_time=3, current_stock={"s0": float("nan")}),
            "inventory_bad_stock",
        ),
    ]
    for kwargs, key in cases:
        with pytest.raises(ShopcastError) as info:
            inv.inventory_plan(**kwargs)
        assert info.value.key == key, kwargs
        assert "{" not in info.value.message("zh")


def test_parse_and_read_stock():
    s = inv.parse_stock(pd.DataFrame({"商品": ["面霜", "精华"], "现有库存": ["1,200", 30]}))
    assert s.to_dict() == {"面霜": 1200.0, "精华": 30.0}
    two = inv.parse_stock(pd.DataFrame({"货品": ["a"], "件": [3]}))  # any two columns
    assert two.to_dict() == {"a": 3.0}
    with pytest.raises(ShopcastError) as info:
        inv.parse_stock(pd.DataFrame({"商品": ["a", "b"], "库存": [1, "多"]}), name="s.csv")
    assert info.value.key == "inventory_stock_value" and info.value.params["row"] == 3
    with pytest.raises(ShopcastError) as info:
        inv.parse_stock(pd.DataFrame({"a": [1], "b": [2], "c": [3]}))
    assert info.value.key == "inventory_stock_columns"
    with pytest.raises(ShopcastError) as info:
        inv.parse_stock(pd.DataFrame({"sku": ["a", "a"], "stock": [1, 2]}))
    assert info.value.key == "inventory_stock_duplicate"
    gbk = "商品,库存\n面霜,12\n精华,0\n".encode("gbk")
    assert inv.read_stock(gbk, name="库存.csv").to_dict() == {"面霜": 12.0, "精华": 0.0}
    frame = pd.DataFrame({"sku": ["s0", "s1"], "stock": [700, 0]})
    plan = inv.inventory_plan(normal_forecast(), "m", 7, current_stock=frame).set_index(ID)
    assert plan.loc["s0", "current_stock"] == 700 and plan.loc["s1", "stockout_risk"] > 0.99


def test_error_correlation_from_backtest_errors():
    rng = np.random.default_rng(3)
    common = rng.standard_normal((4000, 1))
    e = 0.6**0.5 * common + 0.4**0.5 * rng.standard_normal((4000, 10))
    assert inv.error_correlation(e) == pytest.approx(0.6, abs=0.03)
    assert inv.error_correlation(rng.standard_normal((4000, 10))) == pytest.approx(0, abs=0.03)
    assert np.isnan(inv.error_correlation(np.ones((3, 4))))


def test_to_excel_roundtrip():
    from openpyxl import load_workbook

    fc = normal_forecast()
    plan = inv.inventory_plan(fc, "m", 7, current_stock=100)
    data = inv.to_excel({"库存计划": plan, "Forecast: all/2026": fc}, lang="zh")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["库存计划", "Forecast_ all_2026"]
    ws = book["库存计划"]
    headers = [c.value for c in ws[1]]
    assert "所需库存" in headers and "安全库存" in headers and "缺货风险" in headers
    assert ws.max_row == len(plan) + 1
    back = pd.read_excel(io.BytesIO(data), sheet_name=0)
    np.testing.assert_allclose(back["所需库存"], plan["demand_q"])
    en = pd.read_excel(io.BytesIO(inv.to_excel({"plan": plan}, lang="en")), sheet_name=0)
    assert "Stock needed" in en.columns
    raw = pd.read_excel(io.BytesIO(inv.to_excel({"p": plan}, translate=False)), sheet_name=0)
    assert list(raw.columns) == list(plan.columns)
