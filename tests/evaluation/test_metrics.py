from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation import metrics as M


def test_point_metrics_known_values():
    y, f = np.array([10.0, 0.0, 20.0]), np.array([12.0, 1.0, 17.0])
    assert M.mae(y, f) == pytest.approx(2.0)
    assert M.rmse(y, f) == pytest.approx(np.sqrt((4 + 1 + 9) / 3))
    assert M.wape(y, f) == pytest.approx(6 / 30)
    assert M.mape(y, f) == pytest.approx((0.2 + 0.15) / 2)  # the zero is skipped
    assert M.bias(y, f) == pytest.approx(0.0)
    assert M.r2(y, y) == 1.0
    assert M.coverage(y, y - 1, y + 1) == 1.0
    assert M.pinball(np.array([1.0]), np.array([0.0]), 0.9) == pytest.approx(0.9)


def test_evaluate_is_tidy_with_intervals():
    df = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "ds": list(pd.date_range("2024-01-01", periods=4)) * 2,
            "y": [1, 2, 3, 4, 10, 10, 10, 10.0],
            "m": [1, 2, 3, 5, 9, 11, 10, 10.0],
            "m-lo-80": [0, 1, 2, 3, 8, 10, 9, 9.0],
            "m-hi-80": [2, 3, 4, 6, 9.5, 12, 11, 11.0],
        }
    )
    train = df[["unique_id", "ds", "y"]]
    out = M.evaluate(df, train=train, season=1)
    assert list(out.columns) == ["unique_id", "metric", "m"]
    pooled = out[out.unique_id == "all"].set_index("metric")["m"]
    assert pooled["coverage_80"] == pytest.approx(7 / 8)
    assert pooled["mae"] == pytest.approx(3 / 8)
    assert set(out.unique_id) == {"all", "a", "b"}


# ------------------------------------------------------------------ helpers
def _cv(h: int = 3, cuts=("2024-01-10", "2024-01-13"), series=("a", "b")) -> pd.DataFrame:
    """A backtest frame whose model ``m`` misses by exactly ``step`` units."""
    rows = []
    for cut in pd.to_datetime(list(cuts)):
        for uid in series:
            for k in range(1, h + 1):
                y = 10.0 if uid == "a" else 30.0
                rows.append(
                    {
                        "unique_id": uid,
                        "ds": cut + pd.Timedelta(days=k),
                        "cutoff": cut,
                        "y": y,
                        "m": y + k,
                        "n": y,
                    }
                )
    return pd.DataFrame(rows)


def test_evaluate_mask_scores_only_selected_rows():
    cv = _cv()
    full = M.evaluate(cv, ["m"])
    masked = M.evaluate(cv, ["m"], mask=(cv["unique_id"] == "a").to_numpy())
    pooled = masked[masked.unique_id == "all"].set_index("metric")["m"]
    only_a = full[full.unique_id == "a"].set_index("metric")["m"]
    assert pooled["mae"] == pytest.approx(only_a["mae"])
    assert pooled["wape"] == pytest.approx(2.0 / 10.0)  # mean miss 2 over level 10
    assert set(masked.unique_id) == {"all", "a"}


def test_mase_scaled_at_each_cutoff_uses_only_the_past():
    ds = pd.date_range("2024-01-01", periods=20, freq="D")
    # Calm until 10 Jan (step 1 per day), wild afterwards: a full-history scale would be inflated.
    y = np.where(np.arange(20) < 10, np.arange(20.0), np.arange(20.0) * 10)
    train = pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})
    cut = pd.Timestamp("2024-01-10")
    cv = pd.DataFrame(
        {"unique_id": "a", "ds": ds[10:13], "cutoff": cut, "y": y[10:13], "m": y[10:13] + 2.0}
    )
    at_cut = M.evaluate(cv, ["m"], train=train, season=1, scale_at_cutoff=True)
    whole = M.evaluate(cv, ["m"], train=train, season=1)
    get = lambda t, uid: t[(t.unique_id == uid) & (t.metric == "mase")]["m"].iloc[0]  # noqa: E731
    assert get(at_cut, "a") == pytest.approx(2.0 / 1.0)  # up to the cut-off y grows by 1 a day
    assert get(at_cut, "all") == pytest.approx(2.0)
    assert get(whole, "a") < 1.0  # the wild future inflates the scale


def test_model_without_any_forecast_keeps_a_nan_column():
    cv = _cv().assign(dead=np.nan)
    out = M.evaluate(cv, ["m", "dead"])
    assert "dead" in out.columns and out["dead"].isna().all()


def test_horizon_errors_grow_with_the_step():
    cv = _cv(h=4)
    cv.loc[cv.index[:2], "n"] = np.nan  # a model with a gap is still scored where it exists
    out = M.horizon_errors(cv, ["m", "n"])
    assert list(out.columns) == ["step", "model", "mae", "wape", "n"]
    m = out[out.model == "m"].set_index("step")
    assert list(m.index) == [1, 2, 3, 4]
    assert m["mae"].tolist() == pytest.approx([1, 2, 3, 4])
    # each step pools 2 series x 2 windows: |err| sum 4k over |y| sum 80
    assert m["wape"].tolist() == pytest.approx([4 * k / 80 for k in range(1, 5)])
    assert m["n"].tolist() == [4, 4, 4, 4]
    n = out[out.model == "n"].set_index("step")
    assert n["mae"].eq(0).all() and n.loc[1, "n"] == 3


def test_festival_masks_daily_and_weekly():
    days = pd.date_range("2024-10-15", "2024-11-20", freq="D")
    masks = M.festival_masks(days, "D")
    d11 = pd.Series(masks["double11"], index=days)
    assert d11[pd.Timestamp("2024-11-11")] and d11[pd.Timestamp("2024-10-22")]
    assert not d11[pd.Timestamp("2024-11-20")] and not d11[pd.Timestamp("2024-10-20")]
    assert (masks["any"] ^ masks["none"]).all()  # a partition of the dates
    assert "618" not in masks  # absent festivals are left out
    weeks = pd.date_range("2024-10-07", "2024-11-25", freq="W-MON")
    wk = pd.Series(M.festival_masks(weeks, "W-MON")["double11"], index=weeks)
    assert wk[pd.Timestamp("2024-11-11")] and not wk[pd.Timestamp("2024-11-25")]


def test_festival_evaluate_groups_by_window():
    ds = pd.date_range("2024-10-25", "2024-11-24", freq="D")
    inside = (ds >= "2024-10-22") & (ds <= "2024-11-12")
    cv = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": ds,
            "cutoff": pd.Timestamp("2024-10-24"),
            "y": 100.0,
            "m": np.where(inside, 100.0, 150.0),
        }
    )
    out = M.festival_evaluate(cv, "D")
    assert list(out.columns) == ["festival", "unique_id", "metric", "m"]
    get = lambda f, k: out[(out.festival == f) & (out.metric == k)]["m"].iloc[0]  # noqa: E731
    assert get("double11", "wape") == pytest.approx(0.0)
    assert get("any", "wape") == pytest.approx(0.0)
    assert get("none", "wape") == pytest.approx(0.5)
    assert get("double11", "n_points") == inside.sum()
    assert get("none", "n_points") == (~inside).sum()


def _table(values: dict[str, dict[str, float]]) -> pd.DataFrame:
    metrics = sorted({k for v in values.values() for k in v})
    rows = [
        {"unique_id": "all", "metric": k, **{m: v.get(k, np.nan) for m, v in values.items()}}
        for k in metrics
    ]
    rows.append({"unique_id": "x", "metric": "wape", **{m: 0.0 for m in values}})  # ignored
    return pd.DataFrame(rows)


def test_leaderboard_ranks_each_metric_the_right_way():
    table = _table(
        {
            "a": {"wape": 0.30, "r2": 0.9, "bias": -0.01, "coverage_80": 0.95},
            "b": {"wape": 0.20, "r2": 0.5, "bias": 0.20, "coverage_80": 0.79},
            "c": {"wape": np.nan, "r2": np.nan, "bias": np.nan, "coverage_80": np.nan},
        }
    )
    board = M.leaderboard(table)
    assert board["model"].tolist() == ["b", "a", "c"] and board["rank"].tolist() == [1, 2, 3]
    assert board.loc[board.model == "a", "wape"].iloc[0] == pytest.approx(0.30)  # 'all' rows only
    assert M.leaderboard(table, "r2")["model"].tolist()[:2] == ["a", "b"]
    assert M.leaderboard(table, "bias")["model"].tolist()[:2] == ["a", "b"]
    assert M.leaderboard(table, "coverage_80")["model"].tolist()[:2] == ["b", "a"]
    assert M.leaderboard(table, "nope").attrs["sort_by"] == "wape"  # unknown metric: fallback
    assert list(board.columns[:3]) == ["rank", "model", "wape"]


def test_leaderboard_from_a_real_evaluate_table():
    cv = _cv()
    board = M.leaderboard(M.evaluate(cv, ["m", "n"]), "mae")
    assert board["model"].tolist() == ["n", "m"]
    with pytest.raises(ValueError):
        M.leaderboard(M.festival_evaluate(cv.assign(ds=cv["ds"] + pd.Timedelta(days=300)), "D"))
