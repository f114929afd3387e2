"""The all-series overview table: totals, equal-span growth, uncertainty, ranks, movers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import ShopcastError
from forecasting.planning.overview import (
    COLUMNS,
    band_level,
    movers,
    overview_table,
    ranked,
    summary,
)
from forecasting.schema import hi_col, lo_col

END = pd.Timestamp("2025-03-31")


def _history(values: dict[str, list[float]]) -> pd.DataFrame:
    """Each series' values, ending on END (daily)."""
    parts = []
    for uid, ys in values.items():
        ds = pd.date_range(end=END, periods=len(ys), freq="D")
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(ys, float)}))
    return pd.concat(parts, ignore_index=True)


def _forecast(points: dict[str, list[float]], half: dict[str, float] | None = None):
    """Each series' point forecast after END, with an 80% band of +-``half``."""
    parts = []
    for uid, ps in points.items():
        ds = pd.date_range(END + pd.Timedelta(days=1), periods=len(ps), freq="D")
        part = pd.DataFrame({"unique_id": uid, "ds": ds, "m": np.asarray(ps, float)})
        if half is not None:
            part[lo_col("m", 80)] = part["m"] - half[uid]
            part[hi_col("m", 80)] = part["m"] + half[uid]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def test_hand_computed_row_values():
    hist = _history({"a": [50, 1, 2, 3], "b": [0, 10, 10, 10]})
    fc = _forecast({"a": [4, 4, 4], "b": [9, 9, 9]}, half={"a": 1.0, "b": 3.0})
    tab = overview_table(hist, fc, "m").set_index("unique_id")
    assert list(tab.reset_index().columns) == list(COLUMNS)
    # a: 12 forecast vs 1+2+3 = 6 over the last 3 days (the 50 is outside the span)
    assert tab.loc["a", ["forecast", "actual", "change"]].tolist() == [12, 6, 6]
    assert tab.loc["a", "growth_pct"] == pytest.approx(100.0)
    assert tab.loc["b", "growth_pct"] == pytest.approx(-10.0)
    # band width 2 per day over 3 days = 6, over a forecast of 12: 50%
    assert tab.loc["a", "uncertainty_pct"] == pytest.approx(50.0)
    assert tab.loc["b", "uncertainty_pct"] == pytest.approx(18 / 27 * 100)
    assert tab.loc["b", "rank"] == 1 and tab.loc["a", "rank"] == 2
    assert tab["share_pct"].sum() == pytest.approx(100.0)
    assert tab.loc["b", "share_pct"] == pytest.approx(27 / 39 * 100)


def test_equal_span_follows_each_series_horizon_and_needs_enough_history():
    hist = _history({"a": [5, 6, 7, 8], "b": [1, 2], "c": [0, 0, 0]})
    # a is forecast over 2 periods only (e.g. it extends to the common end)
    fc = _forecast({"a": [10, 10], "b": [3, 3, 3], "c": [1, 1, 1]})
    tab = overview_table(hist, fc, "m").set_index("unique_id")
    assert tab.loc["a", "actual"] == 15  # 7 + 8: the last 2 periods
    assert np.isnan(tab.loc["b", "actual"]) and np.isnan(tab.loc["b", "growth_pct"])
    assert tab.loc["c", "actual"] == 0 and np.isnan(tab.loc["c", "growth_pct"])
    assert np.isnan(tab.loc["a", "uncertainty_pct"])  # no bands in this forecast
    s = summary(overview_table(hist, fc, "m"))
    assert s["series"] == 3 and s["forecast"] == 32  # 20 + 9 + 3
    # growth over the series with a known actual only: (20 + 3) vs (15 + 0)
    assert s["actual"] == 15 and s["growth_pct"] == pytest.approx((23 - 15) / 15 * 100)


def test_unsorted_history_gives_the_same_table():
    rng = np.random.default_rng(0)
    ids = {f"s{i}": rng.poisson(20, 60).astype(float).tolist() for i in range(15)}
    hist = _history(ids)
    fc = _forecast({k: rng.uniform(5, 30, 7).tolist() for k in ids}, {k: 2.0 for k in ids})
    a = overview_table(hist, fc, "m")
    b = overview_table(hist.sample(frac=1, random_state=1), fc.sample(frac=1, random_state=2), "m")
    pd.testing.assert_frame_equal(a, b)
    expected = {k: sum(v[-7:]) for k, v in ids.items()}
    assert a.set_index("unique_id")["actual"].to_dict() == pytest.approx(expected)


def test_movers_rank_by_units_not_percent():
    hist = _history({"tiny": [1, 1], "big": [1000, 1000], "down": [500, 500], "flat": [5, 5]})
    fc = _forecast({"tiny": [3, 3], "big": [1500, 1500], "down": [400, 400], "flat": [5, 5]})
    rises, falls = movers(overview_table(hist, fc, "m"), n=5)
    assert rises["unique_id"].tolist() == ["big", "tiny"]  # +1000 units before +4 (+200%)
    assert falls["unique_id"].tolist() == ["down"]
    assert (rises["change"] > 0).all() and (falls["change"] < 0).all()
    assert movers(overview_table(hist, fc, "m"), n=1)[0]["unique_id"].tolist() == ["big"]


def test_ranked_sorts_and_puts_unknown_last():
    hist = _history({"a": [1, 1], "b": [10, 10], "c": [2]})
    fc = _forecast({"a": [2, 2], "b": [11, 11], "c": [1, 1]})
    tab = overview_table(hist, fc, "m")
    assert ranked(tab, "volume")["unique_id"].tolist() == ["b", "a", "c"]
    assert ranked(tab, "growth")["unique_id"].tolist() == ["a", "b", "c"]  # c: no actual
    assert ranked(tab, "change", n=1)["unique_id"].tolist() == ["b"]
    with pytest.raises(ShopcastError) as e:
        ranked(tab, "colour")
    assert e.value.key == "overview_unknown_sort" and "{" not in e.value.message("en")
    with pytest.raises(ShopcastError) as e:
        overview_table(hist, fc, "lightgbm")
    assert e.value.key == "overview_unknown_model" and "{" not in e.value.message("zh")


def test_band_level_falls_back_to_the_narrowest():
    fc = _forecast({"a": [10, 10]})
    for lv, k in ((95, 4.0), (90, 3.0)):
        fc[lo_col("m", lv)] = fc["m"] - k
        fc[hi_col("m", lv)] = fc["m"] + k
    assert band_level(fc, "m") == 90
    tab = overview_table(_history({"a": [9, 9]}), fc, "m")
    assert tab.attrs["level"] == 90 and tab["uncertainty_pct"].iloc[0] == pytest.approx(60.0)
    assert band_level(fc, "m", 95) == 95 and band_level(_forecast({"a": [1]}), "m") is None
