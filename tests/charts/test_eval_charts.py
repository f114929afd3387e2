"""Backtest chart builders: traces, columns used, cut-off markers, bilingual titles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.charts import evaluation as E
from forecasting.evaluation.metrics import evaluate, festival_evaluate, horizon_errors, leaderboard
from forecasting.schema import hi_col, lo_col


@pytest.fixture()
def cv() -> pd.DataFrame:
    """Two series, 3 windows of 5 days, models a (with 80% band) and b."""
    rng = np.random.default_rng(1)
    rows = []
    for cut in pd.date_range("2024-10-01", periods=3, freq="5D"):
        for uid, level in (("sku1", 100.0), ("total", 400.0)):
            for k in range(1, 6):
                y = level + rng.normal(0, 5)
                rows.append(
                    {
                        "unique_id": uid,
                        "ds": cut + pd.Timedelta(days=k),
                        "cutoff": cut,
                        "y": y,
                        "a": level + k,
                        "b": level - 3 * k,
                    }
                )
    df = pd.DataFrame(rows)
    df[lo_col("a", 80)] = df["a"] - 10
    df[hi_col("a", 80)] = df["a"] + 10
    return df


def test_horizon_figure_one_line_per_model(cv):
    errs = horizon_errors(cv)
    fig = E.horizon_figure(errs, "en", "mae")
    assert [tr.meta["model"] for tr in fig.data] == ["a", "b"]
    b = errs[errs.model == "b"].sort_values("step")
    assert list(fig.data[1].x) == b["step"].tolist()
    np.testing.assert_allclose(fig.data[1].y, b["mae"])
    assert "MAE" in fig.layout.title.text and fig.layout.xaxis.title.text == "Step ahead"
    zh = E.horizon_figure(errs, "zh", "wape", models=["b"])
    assert len(zh.data) == 1 and "预测" in zh.layout.xaxis.title.text
    assert zh.layout.yaxis.tickformat == ".0%"


def test_backtest_figure_windows_bands_and_cutoffs(cv):
    fig = E.backtest_figure(cv, "sku1", ["a", "b", "unknown"], "en", level=80)
    roles = [tr.meta["role"] for tr in fig.data]
    assert roles[0] == "actual"
    assert roles.count("forecast") == 2 * 3 and roles.count("band") == 3  # only a has a band
    bands = [tr for tr in fig.data if tr.meta["role"] == "band"]
    assert {(tr.meta["lo"], tr.meta["hi"]) for tr in bands} == {("a-lo-80", "a-hi-80")}
    legend = [tr.name for tr in fig.data if tr.meta["role"] == "forecast" and tr.showlegend]
    assert len(legend) == 2  # one legend entry per model, not per window
    cuts = [s for s in fig.layout.shapes if s.name == "cutoff"]
    assert len(cuts) == 3 and [a.text for a in fig.layout.annotations] == [
        "cut-off 1",
        "cut-off 2",
        "cut-off 3",
    ]
    first = [
        tr for tr in fig.data if tr.meta.get("model") == "b" and tr.meta["role"] == "forecast"
    ][0]
    w = cv[(cv.unique_id == "sku1") & (cv.cutoff == cv.cutoff.min())]
    np.testing.assert_allclose(first.y, w["b"])
    assert "sku1" in fig.layout.title.text and "3 windows" in fig.layout.title.text
    zh = E.backtest_figure(cv, "total", None, "zh", level=None)
    assert "全部" in zh.layout.title.text and "截止 1" == zh.layout.annotations[0].text
    assert not any(tr.meta["role"] == "band" for tr in zh.data)


def test_backtest_figure_history_context(cv):
    hist_ds = pd.date_range("2024-09-01", "2024-10-16", freq="D")
    history = pd.DataFrame({"unique_id": "sku1", "ds": hist_ds, "y": 1.0})
    fig = E.backtest_figure(cv, "sku1", ["a"], "en", history=history, context=10)
    x = pd.to_datetime(pd.Series(fig.data[0].x))
    assert x.min() == pd.Timestamp("2024-10-01") - pd.Timedelta(days=9)
    assert x.max() == cv["ds"].max()


def test_leaderboard_figure_best_on_top(cv):
    board = leaderboard(evaluate(cv), "wape")
    fig = E.leaderboard_figure(board, "wape", "en")
    bar = fig.data[0]
    assert bar.meta["models"][-1] == board["model"].iloc[0]  # plotly draws the last bar on top
    assert list(bar.y)[-1] == board["model"].iloc[0]  # untranslated aliases keep their name
    assert "WAPE" in fig.layout.title.text and bar.text[-1].endswith("%")
    cov = E.leaderboard_figure(board, "coverage_80", "zh")
    assert any(s.x0 == pytest.approx(0.8) for s in cov.layout.shapes)
    assert "覆盖率" in cov.layout.title.text


def test_festival_figure_groups(cv):
    shift = pd.Timedelta(days=30)  # 31 Oct - 15 Nov: Double-11 window and ordinary days
    cv2 = cv.assign(ds=cv["ds"] + shift, cutoff=cv["cutoff"] + shift)
    fest = festival_evaluate(cv2, "D")
    fig = E.festival_figure(fest, "wape", "zh")
    assert [tr.meta["model"] for tr in fig.data] == ["a", "b"]
    assert "双十一" in list(fig.data[0].x) and "平常日子" in list(fig.data[0].x)
    en = E.festival_figure(fest, "wape", "en")
    assert "Double 11" in list(en.data[0].x) and "festival" in en.layout.title.text


def test_metric_labels():
    assert E.metric_label("coverage_95", "en") == "95% coverage"
    assert E.metric_label("wape", "zh").startswith("WAPE")
    assert E.metric_label("made_up", "en") == "MADE_UP"
    assert E.is_percent("coverage_80") and not E.is_percent("mase")
