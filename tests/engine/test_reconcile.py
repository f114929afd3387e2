"""Hierarchical reconciliation: coherence, bands, hand-computed cases, MinT's gain, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.engine.reconcile import (
    METHODS,
    build_hierarchy,
    describe,
    reconcile,
    residuals_from_backtest,
    shrunk_covariance,
)
from forecasting.errors import ShopcastError
from forecasting.schema import hi_col, lo_col

DAY = pd.Timestamp("2025-01-01")


def _two_bottoms() -> pd.DataFrame:
    """total 36 (half-width 1), a 10 (3), b 20 (4): incoherent by 6."""
    base = pd.DataFrame({"unique_id": ["total", "a", "b"], "ds": DAY, "m": [36.0, 10.0, 20.0]})
    half = np.array([1.0, 3.0, 4.0])
    base[lo_col("m", 80)] = base["m"] - half
    base[hi_col("m", 80)] = base["m"] + half
    return base


def _row(rec, uid: str) -> pd.Series:
    return rec.forecast.set_index("unique_id").loc[uid]


def test_hand_example_points():
    hier = pd.DataFrame({"unique_id": ["a", "b"]})
    base = _two_bottoms()
    bu = reconcile(base, hier, "bottom_up")
    assert [_row(bu, u)["m"] for u in ("total", "a", "b")] == [30.0, 10.0, 20.0]
    # OLS spreads the gap of 6 equally over the three nodes: total -2, a +2, b +2.
    ols = reconcile(base, hier, "ols")
    assert [_row(ols, u)["m"] for u in ("total", "a", "b")] == pytest.approx([34, 12, 22])
    # WLS with W = diag(2, 1, 1): the correction is W U (U'WU)^-1 * 6 = (2, -1, -1) * 6 / 4.
    wls = reconcile(base, hier, "wls_struct")
    assert [_row(wls, u)["m"] for u in ("total", "a", "b")] == pytest.approx([33, 11.5, 21.5])


def test_hand_example_bands():
    hier = pd.DataFrame({"unique_id": ["a", "b"]})
    base = _two_bottoms()
    lo, hi = lo_col("m", 80), hi_col("m", 80)
    bu = _row(reconcile(base, hier, "bottom_up"), "total")
    # independent errors: half-widths 3 and 4 add up to 5, not to 7 (the sum of bounds)
    assert (bu[lo], bu[hi]) == pytest.approx((25.0, 35.0))
    # an assumed correlation of 1 gives the plain sum of the bounds
    assert _row(reconcile(base, hier, "bottom_up", rho=1.0), "total")[hi] == pytest.approx(37)
    # OLS without residuals: each band moves with its point, widths kept
    ols = reconcile(base, hier, "ols")
    assert (_row(ols, "total")[lo], _row(ols, "total")[hi]) == pytest.approx((33, 35))
    assert (_row(ols, "a")[lo], _row(ols, "a")[hi]) == pytest.approx((9, 15))
    # with residuals whose covariance is exactly diag(1, 9, 16) (orthogonal columns):
    # A = I - U U'/3, so the total's variance becomes (4*1 + 9 + 16)/9 = 29/9 of its
    # base 1 and a's (1 + 4*9 + 16)/9 = 53/9 of its base 9
    e = {"total": [1, 1, 1, 1], "a": [3, -3, 3, -3], "b": [4, 4, -4, -4]}
    days = pd.date_range("2024-01-01", periods=4)
    res = pd.concat(
        [pd.DataFrame({"unique_id": u, "ds": days, "m": np.array(v, float)}) for u, v in e.items()]
    )
    ols = reconcile(base, hier, "ols", residuals=res)
    assert _row(ols, "total")[hi] - 34 == pytest.approx(math.sqrt(29) / 3)
    assert 12 - _row(ols, "a")[lo] == pytest.approx(3 * math.sqrt(53 / 9 / 9))
    # MinT with that covariance: the total (variance 1) barely moves, a and b take the gap
    mint = reconcile(base, hier, "mint_shrink", residuals=res)
    assert mint.shrinkage["m"] == 1.0  # no correlation to keep
    w = np.array([1.0, 9.0, 16.0])  # correction = W U (U'WU)^-1 * 6, U' = (1, -1, -1)
    fixed = np.array([36.0, 10.0, 20.0]) - w * np.array([1, -1, -1]) * 6 / w.sum()
    got = [_row(mint, u)["m"] for u in ("total", "a", "b")]
    assert got == pytest.approx(list(fixed)) and got[0] == pytest.approx(35.769, abs=1e-3)


def test_bottom_up_bands_use_the_error_correlation():
    hier = pd.DataFrame({"unique_id": ["a", "b"]})
    base = _two_bottoms()
    rng = np.random.default_rng(0)
    e = rng.normal(size=40)
    cutoff = np.repeat(pd.date_range("2024-01-01", periods=4, freq="10D"), 10)
    ds = cutoff + pd.to_timedelta(np.tile(np.arange(1, 11), 4), unit="D")
    res = pd.concat(
        [
            pd.DataFrame({"unique_id": u, "ds": ds, "cutoff": cutoff, "m": e * k})
            for u, k in (("a", 1.0), ("b", 2.0), ("total", 3.0))
        ]
    )
    # perfectly correlated errors: nothing cancels, half-widths nearly add up (3 + 4 = 7,
    # less the correlation's shrinkage toward 0, estimated from 40 points)
    total = _row(reconcile(base, hier, "bottom_up", residuals=res), "total")
    lam = shrunk_covariance(np.column_stack([e, 2 * e]))[1]
    assert 0 < lam < 0.1
    assert total[hi_col("m", 80)] - 30 == pytest.approx(math.sqrt(9 + 16 + 2 * 12 * (1 - lam)))
    assert total[hi_col("m", 80)] - 30 > 6.5  # independence would give 5


def _panel(seed: int = 0, h: int = 14):
    """3 categories x 4 SKUs, base forecasts at every level (incoherent), 2 models, 2 bands,
    and backtest-like residuals for every node."""
    rng = np.random.default_rng(seed)
    skus = [f"s{i:02d}" for i in range(12)]
    cats = [f"c{i % 3}" for i in range(12)]
    hier = pd.DataFrame({"unique_id": skus, "cat": cats})
    nodes = ["total", "c0", "c1", "c2", *skus]
    ds = pd.date_range("2025-01-01", periods=h, freq="D")
    base = pd.DataFrame({"unique_id": np.repeat(nodes, h), "ds": np.tile(ds, len(nodes))})
    scale = np.repeat([120.0, 40, 40, 40] + [10.0] * 12, h)
    for m in ("ets", "naive"):
        base[m] = scale * rng.uniform(0.8, 1.2, len(base))
        spread = rng.uniform(0.5, 1.5, len(base))
        for lv, k in ((80, 1.0), (95, 1.6)):
            base[lo_col(m, lv)] = base[m] - k * 0.2 * scale * spread
            base[hi_col(m, lv)] = base[m] + k * 0.25 * scale
    cut = np.repeat(pd.date_range("2024-06-01", periods=3, freq="30D"), 10)
    rds = cut + pd.to_timedelta(np.tile(np.arange(1, 11), 3), unit="D")
    res = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": u,
                    "ds": rds,
                    "cutoff": cut,
                    "ets": rng.normal(0, 1, 30) * s,
                    "naive": rng.normal(0, 1, 30) * s,
                }
            )
            for u, s in zip(nodes, [12.0, 5, 5, 5] + [2.0] * 12, strict=True)
        ]
    )
    return base, hier, res


@pytest.mark.parametrize("method", METHODS)
def test_every_method_is_coherent_with_bands_around_the_point(method):
    base, hier, res = _panel()
    rec = reconcile(base, hier, method, residuals=res)
    fc = rec.forecast
    assert list(rec.nodes["level"].unique()) == ["total", "cat", "unique_id"]
    assert len(fc) == len(base) and set(fc.columns) == set(base.columns)
    cat_of = dict(zip(hier["unique_id"], hier["cat"], strict=True))
    for m in ("ets", "naive"):
        wide = fc.pivot(index="ds", columns="unique_id", values=m)
        sku_sum = wide[list(cat_of)].T.groupby(pd.Series(cat_of)).sum().T
        assert np.abs(sku_sum - wide[["c0", "c1", "c2"]]).to_numpy().max() < 1e-6
        assert np.abs(wide[["c0", "c1", "c2"]].sum(axis=1) - wide["total"]).max() < 1e-6
        for lv in (80, 95):
            assert (fc[lo_col(m, lv)] <= fc[m] + 1e-9).all()
            assert (fc[m] <= fc[hi_col(m, lv)] + 1e-9).all()
        assert (fc[lo_col(m, 95)] <= fc[lo_col(m, 80)] + 1e-9).all()
        assert (fc[hi_col(m, 80)] <= fc[hi_col(m, 95)] + 1e-9).all()
    if method == "bottom_up":  # the bottom series are left as they were
        merged = fc.merge(base, on=["unique_id", "ds"], suffixes=("", "_base"))
        skus = merged[merged["unique_id"].str.startswith("s")]
        assert np.allclose(skus["ets"], skus["ets_base"])
    else:  # the aggregates' own forecasts count: the SKUs move
        assert not np.allclose(
            fc[fc["unique_id"] == "s00"]["ets"], base[base["unique_id"] == "s00"]["ets"]
        )
    assert (0 <= rec.shrinkage.get("ets", 0) <= 1) and rec.method == method


def test_bottom_up_needs_only_the_bottom_level():
    base, hier, _ = _panel()
    bottoms = base[base["unique_id"].str.startswith("s")]
    rec = reconcile(bottoms, hier, "bottom_up")
    total = rec.at_level("total")
    assert np.allclose(total["ets"], bottoms.groupby("ds")["ets"].sum())
    # an aggregate band is narrower than the sum of its SKUs' bounds (quantiles do not add)
    sum_hi = bottoms.groupby("ds")[hi_col("ets", 80)].sum().to_numpy()
    assert (total[hi_col("ets", 80)].to_numpy() < sum_hi).all()
    with pytest.raises(ShopcastError) as e:
        reconcile(bottoms, hier, "ols")
    assert e.value.key == "reconcile_missing_series"


def test_mint_beats_bottom_up_when_the_total_is_easier_to_forecast():
    """Noisy SKU forecasts, an accurate total: MinT borrows the total's accuracy."""
    rng = np.random.default_rng(7)
    m, n_dates, n_res = 4, 300, 80
    hier = pd.DataFrame({"unique_id": [f"s{i}" for i in range(m)]})
    nodes = ["total", *hier["unique_id"]]
    sd = np.array([1.0] + [10.0] * m)  # total error sd 1, each SKU's 10, independent

    def errors(n: int) -> np.ndarray:
        return rng.normal(size=(n, m + 1)) * sd

    truth_b = rng.uniform(50, 150, size=(n_dates, m))
    truth = np.column_stack([truth_b.sum(axis=1), truth_b])
    base_vals = truth + errors(n_dates)
    ds = pd.date_range("2025-01-01", periods=n_dates, freq="D")
    base = pd.DataFrame(
        {"unique_id": np.repeat(nodes, n_dates), "ds": np.tile(ds, m + 1), "f": base_vals.T.ravel()}
    )
    res = pd.DataFrame(
        {
            "unique_id": np.repeat(nodes, n_res),
            "ds": np.tile(pd.date_range("2024-01-01", periods=n_res), m + 1),
            "f": errors(n_res).T.ravel(),
        }
    )
    actual = pd.DataFrame(
        {"unique_id": np.repeat(nodes, n_dates), "ds": np.tile(ds, m + 1), "y": truth.T.ravel()}
    )

    def mse(rec, level_ids) -> float:
        df = rec.forecast.merge(actual, on=["unique_id", "ds"])
        df = df[df["unique_id"].isin(level_ids)]
        return float(np.mean((df["f"] - df["y"]) ** 2))

    bu = reconcile(base, hier, "bottom_up")
    mint = reconcile(base, hier, "mint_shrink", residuals=res)
    # bottom-up's total error variance is 4 * 100 = 400; MinT keeps it near the total's 1
    assert mse(mint, ["total"]) < 0.05 * mse(bu, ["total"])
    assert mse(mint, list(hier["unique_id"])) < 0.9 * mse(bu, list(hier["unique_id"]))
    # errors drawn independently: the shrinkage leans to the diagonal
    assert mint.shrinkage["f"] > 0.5


def test_shrunk_covariance():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(500, 1))
    correlated = z + 0.3 * rng.normal(size=(500, 3))
    w, lam = shrunk_covariance(correlated)
    assert lam < 0.05  # strong, well-estimated correlation: little shrinkage
    assert np.allclose(np.diag(w), np.mean(correlated**2, axis=0))
    w, lam = shrunk_covariance(rng.normal(size=(20, 6)))
    assert 0.5 < lam <= 1.0  # no real correlation, few samples: mostly diagonal
    assert np.allclose(w, w.T)


def test_hierarchy_from_levels_and_names():
    frame = pd.DataFrame(
        {"unique_id": ["x1", "x2", "y1"], "shop": ["S", "S", "S"], "cat": ["x", "x", "y"]}
    )
    frame["sku"] = frame["unique_id"]
    hier = build_hierarchy(frame)
    assert hier.nodes == ("total", "S", "x", "y", "x1", "x2", "y1")
    assert hier.level_names() == ["total", "shop", "cat", "sku"]
    assert hier.frame()["series"].tolist() == [3, 3, 2, 1, 1, 1, 1]
    assert build_hierarchy(frame, levels=["cat"]).nodes == ("total", "x", "y", "x1", "x2", "y1")


@pytest.mark.parametrize(
    ("frame", "key"),
    [
        (pd.DataFrame({"unique_id": ["a", "b"], "cat": ["a", "c"]}), "reconcile_duplicate_ids"),
        (pd.DataFrame({"unique_id": ["a"], "cat": ["c"]}), "reconcile_one_series"),
        (
            pd.DataFrame(
                {"unique_id": ["a", "b", "c"], "shop": ["S", "T", "T"], "cat": ["x", "x", "y"]}
            ),
            "reconcile_not_nested",
        ),
    ],
)
def test_bad_hierarchies_are_refused_with_a_reason(frame, key):
    with pytest.raises(ShopcastError) as e:
        build_hierarchy(frame)
    assert e.value.key == key
    assert "{" not in e.value.message("zh") and "{" not in e.value.message("en")


def test_bad_calls_are_refused_with_a_reason():
    hier = pd.DataFrame({"unique_id": ["a", "b"]})
    base = _two_bottoms()
    cases = {
        "reconcile_method": lambda: reconcile(base, hier, "top_down"),
        "reconcile_needs_residuals": lambda: reconcile(base, hier, "mint_shrink"),
        "reconcile_unknown_series": lambda: reconcile(
            pd.concat([base, base.assign(unique_id="zzz")]), hier
        ),
        "reconcile_no_residuals": lambda: reconcile(
            base, hier, "mint_shrink", residuals=base[["unique_id", "ds"]].assign(other=1.0)
        ),
        "reconcile_few_residuals": lambda: reconcile(
            base, hier, "mint_shrink", residuals=base[["unique_id", "ds", "m"]]
        ),
    }
    for key, call in cases.items():
        with pytest.raises(ShopcastError) as e:
            call()
        assert e.value.key == key
        assert "{" not in e.value.message("zh") and "{" not in e.value.message("en")


def test_missing_points_are_filled_and_counted():
    base = _two_bottoms()
    base.loc[base["unique_id"] == "b", "m"] = np.nan
    rec = reconcile(base, pd.DataFrame({"unique_id": ["a", "b"]}), "bottom_up")
    assert rec.filled == 1 and _row(rec, "total")["m"] == 10.0


def test_residuals_from_backtest():
    cv = pd.DataFrame(
        {
            "unique_id": ["a", "a"],
            "ds": pd.date_range("2025-01-01", periods=2),
            "cutoff": DAY,
            "y": [10.0, 12.0],
            "ets": [9.0, 15.0],
            lo_col("ets", 80): [1.0, 2.0],
            hi_col("ets", 80): [20.0, 30.0],
        }
    )
    res = residuals_from_backtest(cv)
    assert list(res.columns) == ["unique_id", "ds", "cutoff", "ets"]
    assert res["ets"].tolist() == [1.0, -3.0]


def test_real_histories_seasonal_naive_is_already_coherent():
    """SalesData levels + hierarchy_from_data + the engine's forecast at each level.

    Seasonal naive is linear in the history, so the SKUs' forecasts already sum to the
    categories' and the total's: every method must leave the points unchanged.
    """
    from forecasting.data import load_frame
    from forecasting.data.sample import generate_shop
    from forecasting.engine.forecast import TrainConfig, forecast
    from forecasting.planning.scenarios import hierarchy_from_data

    data = load_frame(generate_shop(n_skus=8, start="2025-01-01", end="2025-06-30"), name="s")
    config = TrainConfig(models=["seasonal_naive"], horizon=14, levels=[80])
    per_level = [
        forecast(data.history(level), data.freq, config).forecast for level in data.levels()
    ]
    base = pd.concat(per_level, ignore_index=True)
    hier = hierarchy_from_data(data)
    for method in ("bottom_up", "wls_struct"):
        rec = reconcile(base, hier, method)
        assert rec.nodes["level"].unique().tolist() == data.levels()
        merged = rec.forecast.merge(base, on=["unique_id", "ds"], suffixes=("", "_b"))
        assert len(merged) == len(base)
        assert np.allclose(merged["seasonal_naive"], merged["seasonal_naive_b"])


def test_missing_residuals_count_pairwise_and_a_series_without_any_is_named():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(30, 3))
    holey = e.copy()
    holey[:10, 2] = np.nan  # the third node's backtest failed on its first window
    w, _ = shrunk_covariance(holey)
    assert w[2, 2] == pytest.approx(np.mean(e[10:, 2] ** 2))
    assert w[0, 0] == pytest.approx(np.mean(e[:, 0] ** 2))  # the others keep every point
    base, hier, res = _panel()
    res.loc[(res["unique_id"] == "s03") & (res["cutoff"] == res["cutoff"].min()), "ets"] = np.nan
    rec = reconcile(base, hier, "mint_shrink", residuals=res)
    assert np.isfinite(rec.forecast["ets"]).all()
    res.loc[res["unique_id"] == "s05", "ets"] = np.nan
    with pytest.raises(ShopcastError) as e_info:
        reconcile(base, hier, "mint_shrink", residuals=res)
    assert e_info.value.key == "reconcile_few_residuals"
    assert e_info.value.params["series"] == "s05" and "s05" in e_info.value.message("zh")


def test_the_choice_is_described_in_both_languages():
    base, hier, res = _panel()
    mint = reconcile(base, hier, "mint_shrink", residuals=res)
    for lang in ("zh", "en"):
        text = describe(mint, lang)
        assert "MinT" in text and f"ets {mint.shrinkage['ets']:.2f}" in text and "{" not in text
    bu = describe(reconcile(base, hier, "bottom_up"), "en")
    assert bu.startswith("Forecasts reconciled (Bottom-up") and "λ" not in bu


def test_incoherence_names_the_worst_node_and_date_and_is_zero_after():
    from forecasting.engine.reconcile import incoherence

    hier = build_hierarchy(pd.DataFrame({"unique_id": ["a", "b"]}))
    base = pd.concat([_two_bottoms(), _two_bottoms().assign(ds=DAY + pd.Timedelta(days=1))])
    base.loc[(base["unique_id"] == "total") & (base["ds"] > DAY), "m"] = 45.0
    gap = incoherence(base, hier, "m")
    # day 2: total 45 against 10 + 20 = 30 (day 1: 36 against 30)
    assert (gap.node, gap.ds, gap.gap) == ("total", DAY + pd.Timedelta(days=1), 15.0)
    assert gap.relative == pytest.approx(15 / 45)
    for method in ("bottom_up", "ols", "wls_struct"):  # mint_shrink: see the tests above
        assert incoherence(reconcile(base, hier, method).forecast, hier, "m").relative < 1e-12
    bottoms_only = incoherence(base[base["unique_id"] != "total"], hier, "m")
    assert math.isnan(bottoms_only.relative) and bottoms_only.node == ""
