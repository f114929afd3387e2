"""Coherent forecasts of a file's levels: forecast each level, reconcile, measure the gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.data import load_frame
from forecasting.engine.forecast import TrainConfig
from forecasting.engine.forecast import forecast as engine_forecast
from forecasting.engine.hierarchy import (
    CHOICES,
    FALLBACK,
    NONE,
    check_levels,
    check_method,
    forecast_coherent,
    hierarchy_of,
    run_table,
)
from forecasting.engine.reconcile import METHODS
from forecasting.errors import ShopcastError
from forecasting.models.base import Forecaster
from forecasting.schema import ID, Y, hi_col, lo_col

TOY, FAILS_ON_TOTAL = "toy_median", "toy_not_total"
CATS = {"护肤": ["精华", "面霜", "洁面"], "彩妆": ["口红", "粉底"]}


class MedianModel(Forecaster):
    """The median of the last 21 periods: not additive, so the levels do not add up."""

    name = TOY
    min_seasons = 1.0

    def _fit(self, df: pd.DataFrame, progress) -> None:
        self.median_ = df.groupby(ID, observed=True)[Y].apply(lambda s: float(s.tail(21).median()))

    def _predict(self, h: int, future: pd.DataFrame, levels: list) -> pd.DataFrame:
        out = future[[ID, "ds"]].copy()
        out[self.alias] = out[ID].map(self.median_).astype(float)
        return out


class NotTotalModel(MedianModel):
    """Refuses the total (a model failing at one level only)."""

    name = FAILS_ON_TOTAL

    def _fit(self, df: pd.DataFrame, progress) -> None:
        if (df[ID] == "total").any():
            raise ShopcastError("model_failed", model=self.name, detail="no total")
        super()._fit(df, progress)


@pytest.fixture(autouse=True)
def toy_models(monkeypatch):
    from forecasting.models import REGISTRY, ModelSpec

    for name, cls in ((TOY, "MedianModel"), (FAILS_ON_TOTAL, "NotTotalModel")):
        monkeypatch.setitem(REGISTRY, name, ModelSpec(name, __name__, cls, "pandas"))


@pytest.fixture(scope="module")
def shop():
    """5 SKUs in 2 categories, 120 days, skewed noise (medians do not add up)."""
    rng = np.random.default_rng(7)
    ds = pd.date_range("2025-01-01", periods=120, freq="D")
    rows = []
    for cat, skus in CATS.items():
        for k, sku in enumerate(skus):
            y = np.round(rng.gamma(2.0, 10.0 * (k + 1), len(ds)))
            rows.append(pd.DataFrame({"日期": ds, "品类": cat, "商品": sku, "销量": y}))
    raw = pd.concat(rows, ignore_index=True)
    return load_frame(raw, name="shop", date="日期", target="销量", ids=["品类", "商品"])


def _config(*models: str, levels=(80,)) -> TrainConfig:
    return TrainConfig(models=list(models), horizon=7, levels=list(levels))


def _gaps(fc: pd.DataFrame, model: str) -> float:
    """The largest |aggregate - sum of its children| over dates, SKU->category->total."""
    cat_of = {sku: cat for cat, skus in CATS.items() for sku in skus}
    wide = fc.pivot_table(index="ds", columns=ID, values=model)
    worst = 0.0
    for cat, skus in CATS.items():
        worst = max(worst, float((wide[cat] - wide[skus].sum(axis=1)).abs().max()))
    worst = max(worst, float((wide["total"] - wide[list(CATS)].sum(axis=1)).abs().max()))
    assert set(cat_of) <= set(wide.columns)
    return worst


@pytest.mark.parametrize("method", METHODS)
def test_every_method_makes_every_level_add_up(shop, method):
    out = forecast_coherent(shop, _config(TOY), method, shop.freq)
    fc = out.forecast
    assert out.method == method and out.requested == method and out.fallback is None
    assert list(fc.columns[:3]) == ["unique_id", "ds", "level"]
    assert fc["unique_id"].iloc[0] == "total"  # total first, then categories, then SKUs
    assert fc.groupby("level").size().to_dict() == {"total": 7, "品类": 14, "商品": 35}
    assert _gaps(fc, TOY) < 1e-6
    assert _gaps(out.base, TOY) > 1.0  # the medians did not add up
    assert out.before[TOY].relative > 0.01 and out.after[TOY].relative < 1e-9
    assert (fc[lo_col(TOY, 80)] <= fc[TOY] + 1e-9).all()
    assert (fc[TOY] <= fc[hi_col(TOY, 80)] + 1e-9).all()
    assert list(run_table(out)["level"]) == ["total", "品类", "商品"]
    assert (method == "mint_shrink") == bool(out.shrinkage)


def test_bottom_up_keeps_the_sku_forecasts(shop):
    out = forecast_coherent(shop, _config(TOY), "bottom_up", shop.freq)
    skus = out.forecast[out.forecast["level"] == "商品"].reset_index(drop=True)
    base = out.base[out.base["level"] == "商品"].reset_index(drop=True)
    pd.testing.assert_series_equal(skus[TOY], base[TOY])


def test_mint_falls_back_to_wls_when_the_history_is_too_short(shop):
    out = forecast_coherent(shop, _config(TOY), "mint_shrink", shop.freq, windows=50)
    assert out.requested == "mint_shrink" and out.method == FALLBACK
    assert out.fallback is not None and out.fallback.key == "backtest_too_long"
    assert _gaps(out.forecast, TOY) < 1e-6 and not out.shrinkage


def test_a_model_failing_at_one_level_is_left_out(shop):
    out = forecast_coherent(shop, _config(TOY, FAILS_ON_TOTAL), "ols", shop.freq)
    assert out.left_out == {FAILS_ON_TOTAL: "total"}
    assert out.models == [TOY] and FAILS_ON_TOTAL not in out.forecast.columns
    with pytest.raises(ShopcastError) as e:
        forecast_coherent(shop, _config(FAILS_ON_TOTAL), "ols", shop.freq)
    assert e.value.key == "model_failed"


def test_a_coarser_bottom_level_and_the_runner_and_plans_per_level(shop):
    calls = []

    def runner(history, freq, config, future=None, progress=None, store=None):
        calls.append((history.attrs["level"], None if future is None else future.attrs["for"]))
        return engine_forecast(history, freq, config, progress=progress)  # plans recorded only

    plans = {}
    for lv in ("total", "品类"):
        plans[lv] = pd.DataFrame(columns=["unique_id", "ds"])
        plans[lv].attrs["for"] = lv
    seen = []
    out = forecast_coherent(
        shop,
        _config(TOY),
        "wls_struct",
        shop.freq,
        bottom="品类",
        futures=plans,
        runner=runner,
        progress=lambda f, label: seen.append(f),
    )
    assert calls == [("total", "total"), ("品类", "品类")]
    assert set(out.forecast["level"]) == {"total", "品类"}
    assert seen and max(seen) <= 1.0 and seen == sorted(seen)


def test_hierarchy_of_the_data(shop):
    hier = hierarchy_of(shop)
    assert hier.level_names() == ["total", "品类", "商品"]
    assert hier.n_bottom == 5 and len(hier.nodes) == 8
    assert hierarchy_of(shop, keep=()).level_names() == ["total", "商品"]
    assert hierarchy_of(shop, "品类").nodes == ("total", "彩妆", "护肤")
    with pytest.raises(ShopcastError) as e:
        hierarchy_of(shop, "total")
    assert e.value.key == "reconcile_one_level"
    ds = pd.date_range("2025-01-01", periods=30, freq="D")
    one = load_frame(pd.DataFrame({"日期": ds, "销量": 1.0}), name="one")
    with pytest.raises(ShopcastError) as e:
        hierarchy_of(one)
    assert e.value.key == "reconcile_one_series"


def test_methods_are_checked_before_any_work(shop):
    assert CHOICES[0] == NONE and set(CHOICES[1:]) == set(METHODS)
    assert check_method("ols") == "ols"
    for bad in ("top_down", "", "NONE"):
        with pytest.raises(ShopcastError) as e:
            check_method(bad)
        assert e.value.key == "reconcile_method"
    with pytest.raises(ShopcastError) as e:
        forecast_coherent(shop, _config(TOY), NONE, shop.freq)
    assert e.value.key == "reconcile_method"


# ------------------------------------------------------------ forecasts already made
def _level_forecasts() -> dict[str, pd.DataFrame]:
    """total 40 (own), categories 护肤 20 + 彩妆 12, SKUs adding up to 30 on one day."""
    day = pd.Timestamp("2025-05-01")
    values = {
        "total": {"total": 40.0},
        "品类": {"护肤": 20.0, "彩妆": 12.0},
        "商品": {"精华": 6.0, "面霜": 5.0, "洁面": 4.0, "口红": 10.0, "粉底": 5.0},
    }
    return {
        lv: pd.DataFrame({"unique_id": list(v), "ds": day, "m": list(v.values())})
        for lv, v in values.items()
    }


def test_check_levels_compares_and_reconciles_without_training(shop):
    fcs = _level_forecasts()
    hier = hierarchy_of(shop)
    check = check_levels(fcs, hier, "m")
    table = check.table.set_index("level")
    assert list(table.index) == ["total", "品类", "商品"]
    assert table["own"].tolist() == [40.0, 32.0, 30.0]
    assert table["bottom_up"].tolist() == [30.0, 30.0, 30.0]
    assert table["reconciled"].isna().all() and check.reconciled is None
    # the worst relative gap: total 40 vs 30 (25%); 护肤 20 vs 15 is 25% too, total first
    assert check.before.relative == pytest.approx(0.25)
    assert check.before.node in ("total", "护肤")
    ols = check_levels(fcs, hier, "m", "ols").table
    sums = ols["reconciled"].to_numpy()
    assert np.allclose(sums, sums[0]) and 30.0 < sums[0] < 40.0
    # only the SKUs and the total known: a two-level tree
    two = hierarchy_of(shop, keep=("total",))
    partial = {k: fcs[k] for k in ("total", "商品")}
    assert check_levels(partial, two, "m", "bottom_up").table["reconciled"].tolist() == [30.0, 30.0]


def test_check_levels_needs_the_bottom_and_every_level_for_ols(shop):
    fcs = _level_forecasts()
    hier = hierarchy_of(shop)
    with pytest.raises(ShopcastError) as e:
        check_levels({"total": fcs["total"]}, hier, "m")
    assert e.value.key == "reconcile_missing_series"
    bottom_only = {"商品": fcs["商品"]}
    check = check_levels(bottom_only, hier, "m", "bottom_up")
    assert np.isnan(check.before.relative)  # nothing to compare
    assert check.table["reconciled"].tolist() == [30.0, 30.0, 30.0]
    with pytest.raises(ShopcastError) as e:
        check_levels(bottom_only, hier, "m", "ols")
    assert e.value.key == "reconcile_missing_series"
