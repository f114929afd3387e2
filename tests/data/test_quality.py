"""Data-quality findings: each check fires on the problem it names and stays quiet otherwise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.data import load, quality


def clean_panel(n_series: int = 3, days: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days)
    parts = []
    for s in range(n_series):
        y = 50 + 10 * np.sin(2 * np.pi * np.arange(days) / 7) + rng.normal(0, 3, days)
        parts.append(pd.DataFrame({"unique_id": f"s{s}", "ds": ds, "y": y, "promo": 0.0}))
    return pd.concat(parts, ignore_index=True)


def keys(findings: list[quality.Finding]) -> dict[str, quality.Finding]:
    return {f.key: f for f in findings}


def test_clean_data_only_gets_a_summary():
    found = quality.check_history(clean_panel(), "D", horizon=14)
    assert [f.key for f in found] == ["summary"]
    s = found[0].params
    assert s["n_series"] == 3 and s["n_periods"] == 120 and s["start"] == "2024-01-01"


def test_summary():
    h = clean_panel(n_series=2, days=10)
    s = quality.summary(h, "D")
    assert s["n_series"] == 2 and s["n_periods"] == 10 and s["n_rows"] == 20
    assert s["start"] == pd.Timestamp("2024-01-01") and s["end"] == pd.Timestamp("2024-01-10")
    assert s["total_y"] == pytest.approx(h["y"].sum()) and s["freq"] == "D"
    assert quality.summary(h.iloc[:0], "D")["n_series"] == 0


def test_gaps_filled_reported_from_history_attrs():
    raw = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=30), "units": 5.0})
    raw = raw.drop(index=range(10, 15))
    h = load(raw.to_csv(index=False).encode(), name="g.csv").history()
    f = keys(quality.check_history(h, "D"))
    assert f["gaps_filled"].params["count"] == 5 and f["gaps_filled"].severity == "warning"
    assert "gaps_unfilled" not in f


def test_gaps_and_blanks_found_without_attrs():
    h = clean_panel(days=60)
    h = h.drop(index=[10, 11, 12]).reset_index(drop=True)
    h.loc[20, "y"] = np.nan
    f = keys(quality.check_history(h, "D"))
    assert f["gaps_unfilled"].params["count"] == 3
    assert f["missing_values"].params["count"] == 1


def test_weekly_gaps_counted_in_weeks():
    ds = pd.date_range("2024-01-05", periods=20, freq="W-FRI").delete([4, 5])
    h = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    assert keys(quality.check_history(h, "W-FRI"))["gaps_unfilled"].params["count"] == 2


def test_negative_values():
    h = clean_panel()
    h.loc[7, "y"] = -12.0
    f = keys(quality.check_history(h, "D"))["negative_values"]
    assert f.params["count"] == 1 and f.params["series"] == "s0"
    assert f.params["date"] == "2024-01-08"


def test_zero_runs_inside_series_only():
    h = clean_panel(n_series=2)
    h.loc[30:44, "y"] = 0.0  # s0: a 15-day stock-out between sales
    h.loc[120:130, "y"] = 0.0  # s1: starts at zero (a launch), not a stock-out
    f = keys(quality.check_history(h, "D"))
    runs = f["zero_runs"].params
    assert runs["count"] == 1 and runs["series"] == "s0" and runs["length"] == 15
    assert runs["date"] == "2024-01-31"
    assert "many_zeros" not in f


def test_many_zeros():
    h = clean_panel()
    h.loc[h.index % 2 == 0, "y"] = 0.0
    f = keys(quality.check_history(h, "D"))
    assert f["many_zeros"].params["share"] == "50%"


def test_outliers_and_promo_spikes():
    h = clean_panel()
    h.loc[50, "y"] = 500.0  # a typo-sized spike
    h.loc[200, ["y", "promo"]] = [400.0, 1.0]  # a promotion spike is expected
    f = keys(quality.check_history(h, "D"))["outliers"]
    assert f.params["count"] == 1 and f.params["explained"] == 1
    assert f.params["series"] == "s0" and f.params["date"] == "2024-02-20"
    h.loc[50, "y"] = 50.0
    f = keys(quality.check_history(h, "D"))
    assert "outliers" not in f and f["outliers_explained"].params["count"] == 1


def test_too_short_for_season_and_horizon():
    h = clean_panel(days=20)
    f = keys(quality.check_history(h, "D", horizon=7))
    assert "too_short" not in f  # 20 >= max(2 x 7, 2 x 7)
    f = keys(quality.check_history(h, "D", horizon=14))
    assert f["too_short"].params["need"] == 28 and f["too_short"].params["count"] == 3
    found = quality.check_history(h, "D", horizon=30)
    assert found[0].key == "too_short_horizon" and found[0].severity == "error"
    weekly = pd.DataFrame(
        {
            "unique_id": "a",
            "y": 1.0 + np.arange(60),
            "ds": pd.date_range("2024-01-05", periods=60, freq="W-FRI"),
        }
    )
    assert keys(quality.check_history(weekly, "W-FRI"))["too_short"].params["need"] == 104


def test_constant_series():
    h = clean_panel()
    h.loc[h["unique_id"] == "s1", "y"] = 0.0
    f = keys(quality.check_history(h, "D"))["constant_series"]
    assert f.params["count"] == 1 and f.params["series"] == "s1" and f.params["zero"] == 1


def test_findings_sorted_by_severity():
    h = clean_panel(days=10)
    h.loc[3, "y"] = -1
    sev = [f.severity for f in quality.check_history(h, "D", horizon=30)]
    order = {"error": 0, "warning": 1, "info": 2}
    assert sev == sorted(sev, key=order.get) and sev[0] == "error"


def test_load_findings_from_notes():
    raw = pd.DataFrame(
        {
            "日期": ["2024-01-01", "2024-01-01", "合计", "2024-01-02", "2024-01-03", "2024-01-04"],
            "销量": ["1", "x", "3", "4", "5", "6"],
            "访客数": 1,
            "备注": "a",
            "折扣": [0.8, 0.9, 1.0, 0.9, 0.9, 0.9],
        }
    )
    data = load(raw.to_csv(index=False).encode(), name="n.csv")
    f = keys(quality.load_findings(data))
    assert f["dates_dropped"].params == {"count": 1, "row": 4, "value": "合计"}
    assert f["target_unparseable"].params["value"] == "x"
    assert f["duplicates_merged"].params["count"] == 1
    assert "discount_rule_paid" in f
    assert f["not_drivers"].params["columns"] == "访客数"
    assert quality.load_findings({}) == []


def test_messages_fill_every_placeholder():
    h = clean_panel(days=20)
    h.loc[3, "y"] = -1.0
    h.loc[5, "y"] = 900.0
    h.loc[h["unique_id"] == "s2", "y"] = 4.0
    found = quality.check_history(h.drop(index=[8]), "D", horizon=14)
    assert len(found) >= 5
    for f in found:
        for lang in ("zh", "en"):
            text = f.message(lang)
            assert "{" not in text and not text.startswith("quality."), (f.key, text)


def test_reader_findings_fill_their_placeholders():
    notes = {
        "target_nonfinite": {"count": 2, "row": 5, "value": "inf"},
        "dates_ambiguous": {"column": "date", "value": "03/04/2024", "read_as": "2024-03-04"},
        "decimal_comma": True,
        "formula_columns": ["备用", "毛利"],
    }
    found = keys(quality.load_findings(notes))
    assert set(found) == {"target_nonfinite", "dates_ambiguous", "decimal_comma", "formula_columns"}
    assert found["formula_columns"].params["columns"] == "备用, 毛利"
    for f in found.values():
        for lang in ("zh", "en"):
            text = f.message(lang)
            assert "{" not in text and not text.startswith("quality."), (f.key, text)


HOSTILE = ["![x](http://host/p.png)", "</title><script>alert(3)</script>", "=HYPERLINK(1)"]


def test_data_derived_params_are_plain_text():
    """Names, cells and headers reach the UI unchanged, as str, in the params it must escape."""
    h = clean_panel(n_series=3, days=40)
    h["unique_id"] = h["unique_id"].map(dict(zip(["s0", "s1", "s2"], HOSTILE, strict=True)))
    h.loc[h["unique_id"] == HOSTILE[2], "y"] = 4.0
    h.loc[3, "y"] = -900.0
    found = quality.check_history(h, "D", horizon=14)
    raw = pd.DataFrame({"日期": ["2024-01-01", "*合计*", "2024-01-02", "2024-01-03", "2024-01-04"]})
    raw["销量"] = ["1", "2", "[x](http://h)", "4", "5"]
    raw["<b>商品</b>"] = ["a", "", "a", "a", "b"]
    found += quality.load_findings(load(raw.to_csv(index=False).encode(), name="h.csv"))
    seen = set()
    for f in found:
        for k, v in f.params.items():
            if k in quality.DATA_PARAMS:
                assert isinstance(v, str), (f.key, k, v)
                seen.add(v)
    assert HOSTILE[0] in seen and HOSTILE[2] in seen
    assert {"*合计*", "[x](http://h)"} <= seen
