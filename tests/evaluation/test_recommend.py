"""The recommended forecast: lowest pooled WAPE, ties to the simpler model, combinations
only when not behind their members, and the inner backtest of auto/ensemble."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.evaluation.recommend import (
    BACKTEST,
    INNER,
    expected_error_text,
    horizon_total_error,
    pooled_wape,
    recommend,
    recommend_from_models,
    simplicity,
)
from forecasting.schema import CUTOFF, DS, ID, Y


def _cv(errors: dict[str, float], n_series: int = 2, h: int = 7, windows: int = 3, seed: int = 0):
    """A backtest frame whose model ``m`` misses the actuals by about ``errors[m]`` (relative),
    with a random sign per row (so WAPE ~ the error)."""
    rng = np.random.default_rng(seed)
    rows = []
    for w in range(windows):
        cut = pd.Timestamp("2024-01-01") + pd.Timedelta(days=h * w)
        for s in range(n_series):
            ds = pd.date_range(cut + pd.Timedelta(days=1), periods=h, freq="D")
            rows.append(
                pd.DataFrame(
                    {ID: f"s{s}", DS: ds, CUTOFF: cut, Y: rng.uniform(50, 150, h) * (s + 1)}
                )
            )
    cv = pd.concat(rows, ignore_index=True)
    for m, e in errors.items():
        sign = rng.choice([-1.0, 1.0], len(cv))
        cv[m] = cv[Y] * (1 + sign * e)
    return cv


def test_lowest_pooled_wape_wins_with_its_numbers():
    cv = _cv({"seasonal_naive": 0.30, "ets": 0.20, "lightgbm": 0.10})
    rec = recommend(cv, ["seasonal_naive", "ets", "lightgbm"])
    assert rec.model == "lightgbm" and rec.reason == "best" and rec.source == BACKTEST
    y, f = cv[Y].to_numpy(), cv["lightgbm"].to_numpy()
    assert rec.wape == pytest.approx(np.abs(y - f).sum() / np.abs(y).sum())
    tot = cv.groupby([ID, CUTOFF])[[Y, "lightgbm"]].sum()
    want = (tot["lightgbm"] - tot[Y]).abs().sum() / tot[Y].sum()
    assert rec.total_error == pytest.approx(want)
    assert (rec.windows, rec.series, rec.horizon) == (3, 2, 7)
    assert [m for m, _ in rec.ranking] == ["lightgbm", "ets", "seasonal_naive"]
    assert rec.coverage is None  # no bands in this frame


def test_a_tie_goes_to_the_simpler_model():
    cv = _cv({"seasonal_naive": 0.10, "lightgbm": 0.10})
    cv["lightgbm"] = cv["seasonal_naive"] * 0.999 + cv[Y] * 0.001  # 0.1% better: a tie
    assert pooled_wape(cv[Y], cv["lightgbm"]) < pooled_wape(cv[Y], cv["seasonal_naive"])
    rec = recommend(cv, ["lightgbm", "seasonal_naive"])
    assert rec.model == "seasonal_naive" and rec.reason == "tie"
    assert recommend(cv, ["lightgbm", "seasonal_naive"], tie=0.0).model == "lightgbm"
    assert simplicity("seasonal_naive") < simplicity("lightgbm") < simplicity("auto")


def test_a_combination_only_when_not_behind_its_members():
    members = {"auto": ["ets", "lightgbm"]}
    good = _cv({"ets": 0.30, "lightgbm": 0.20, "auto": 0.10})
    rec = recommend(good, ["ets", "lightgbm", "auto"], members=members)
    assert rec.model == "auto" and rec.passed_over == ()
    # auto behind its member lightgbm, and lightgbm not on screen: auto is still passed over
    bad = _cv({"ets": 0.12, "lightgbm": 0.10, "auto": 0.11})
    rec = recommend(bad, ["ets", "lightgbm", "auto"], members=members, candidates=["ets", "auto"])
    assert rec.model == "ets" and rec.passed_over == ("auto",) and rec.reason == "member"
    # without the member rule auto would have been the pick among the candidates
    assert recommend(bad, ["ets", "auto"], candidates=["ets", "auto"]).model == "auto"


def test_band_coverage_and_rows_all_models_forecast():
    cv = _cv({"ets": 0.2, "lightgbm": 0.1})
    cv["lightgbm-lo-80"] = cv["lightgbm"] * 0.9
    cv["lightgbm-hi-80"] = cv["lightgbm"] * 1.1
    cv.loc[cv.index[:5], "ets"] = np.nan  # ets missed a few rows: both scored on the rest
    rec = recommend(cv, ["ets", "lightgbm"])
    inside = (cv[Y] >= cv["lightgbm-lo-80"]) & (cv[Y] <= cv["lightgbm-hi-80"])
    assert rec.model == "lightgbm" and rec.level == 80
    assert rec.coverage == pytest.approx(inside.mean())
    common = cv.iloc[5:]
    assert dict(rec.ranking)["ets"] == pytest.approx(pooled_wape(common[Y], common["ets"]))
    assert horizon_total_error(cv, "lightgbm") == pytest.approx(rec.total_error)


def test_nothing_to_recommend():
    cv = _cv({"ets": 0.2})
    cv["ets"] = np.nan
    assert recommend(cv, ["ets"]) is None
    assert recommend(_cv({"ets": 0.2}), ["ets"], candidates=["prophet"]) is None


def test_expected_error_in_words_both_languages():
    rec = recommend(_cv({"ets": 0.12}), ["ets"])
    pct = f"±{rec.total_error * 100:.0f}%" if rec.total_error >= 0.1 else None
    en = expected_error_text(rec, 28, "D", "en")
    zh = expected_error_text(rec, 28, "D", "zh")
    assert en.startswith("typically within ±") and en.endswith("over 28 days per series")
    assert "每个序列在 28 天内合计" in zh and "±" in zh
    if pct:
        assert pct in en and pct in zh
    assert expected_error_text(rec, None, "W-SUN", "en").endswith(
        f"over {rec.horizon} weeks per series"
    )
    one = recommend(_cv({"ets": 0.12}, n_series=1), ["ets"])
    assert expected_error_text(one, 28, "D", "en").endswith("over 28 days")


def test_inner_backtest_of_auto(make_panel):
    from forecasting.models import create

    df = make_panel(n_series=2, days=300, seed=3)
    auto = create(
        "auto",
        members=["seasonal_naive", "lightgbm"],
        member_params={"lightgbm": {"n_estimators": 30}},
    )
    auto.fit(df, freq="D")
    assert auto.inner_backtest(14) is None  # not run yet: the accessor never runs it
    assert recommend_from_models({"auto": auto}, 14) is None
    auto.predict(14, level=[80])
    inner = auto.inner_backtest(14)
    assert {"seasonal_naive", "lightgbm", "auto", CUTOFF, Y} <= set(inner.columns)
    from forecasting.models.ensemble import WINDOWS

    assert inner[CUTOFF].nunique() == WINDOWS
    # auto picks one member per series and window: its forecast is one of theirs
    picked = np.isclose(inner["auto"], inner["seasonal_naive"]) | np.isclose(
        inner["auto"], inner["lightgbm"]
    )
    assert picked.all()
    rec = recommend_from_models({"auto": auto}, 14)
    assert rec.source == INNER and rec.windows == WINDOWS and rec.series == 2
    want = {m: pooled_wape(inner[Y], inner[m]) for m in ("seasonal_naive", "lightgbm", "auto")}
    assert dict(rec.ranking) == pytest.approx(want)
    only = recommend_from_models({"auto": auto}, 14, candidates=["seasonal_naive"])
    assert only.model == "seasonal_naive"
