"""Pure chart builders of the insights: forecast components, the caption, last year's line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.charts.explain import (
    component_label,
    component_totals,
    explanation_caption,
    explanation_figure,
)
from forecasting.charts.yoy import last_year_trace, last_year_values
from forecasting.models.explain import by_component
from forecasting.schema import DS, ID, Y


def _detail(series: str = "面霜") -> pd.DataFrame:
    """Seven days: trend 100/day, Double 11 +200 on one day, promotions +40/day on two."""
    ds = pd.date_range("2025-11-08", periods=7, freq="D")
    rows = []
    for i, d in enumerate(ds):
        rows += [
            (series, d, "bias", "trend", 60.0),
            (series, d, "lag_1", "trend", 40.0),
            (series, d, "cal_dow", "weekly", [5.0, -5.0][i % 2]),
            (series, d, "fest_double11", "festivals", 200.0 if i == 3 else 0.0),
            (series, d, "promo", "promo_price", 40.0 if i in (2, 3) else 0.0),
            (series, d, "log_scale", "other", 0.1),
        ]
    return pd.DataFrame(rows, columns=[ID, DS, "feature", "component", "value"])


def test_figure_stacks_each_component_and_draws_the_total():
    detail = _detail()
    comps = by_component(detail)
    before = comps.copy()
    fig = explanation_figure(comps, "面霜", "lightgbm", "en")
    pd.testing.assert_frame_equal(comps, before)  # pure: the input is untouched
    bars = [tr for tr in fig.data if tr.type == "bar"]
    assert [tr.meta["component"] for tr in bars] == [
        "trend",
        "weekly",
        "festivals",
        "promo_price",
        "other",
    ]
    assert [tr.name for tr in bars][:3] == ["Trend & recent level", "Weekly season", "Festivals"]
    line = fig.data[-1]
    assert line.meta == {"role": "forecast"} and len(fig.data) == len(bars) + 1
    want = detail.groupby(DS)["value"].sum().to_numpy()
    assert np.allclose(np.asarray(line.y, dtype=float), want)
    assert fig.layout.barmode == "relative"
    zh = explanation_figure(comps, "面霜", "lightgbm", "zh")
    assert zh.data[0].name == "趋势与近期水平" and "面霜" in zh.layout.title.text
    assert len(explanation_figure(comps, "other-sku", "lightgbm", "en").data[-1].y) == 0


def test_caption_names_the_festival_and_the_promotions():
    detail = _detail()
    en = explanation_caption(detail, "en")
    assert en.startswith("Over the horizon, Double 11 adds about +200 units")
    assert "Promotions & price adds about +80 units" in en
    assert "Other" not in en  # 0.7 units of 900: too small to name
    zh = explanation_caption(detail, "zh")
    assert "双十一" in zh and "+200" in zh and "促销与价格" in zh
    flat = detail.assign(value=np.where(detail["component"] == "trend", detail["value"], 0.0))
    assert "mostly from the trend" in explanation_caption(flat, "en")
    totals = component_totals(by_component(detail))
    assert totals["festivals"] == pytest.approx(200) and totals["trend"] == pytest.approx(700)
    assert component_label("unknown_group", "en") == "unknown_group"


def _history_and_forecast(freq: str, periods: int, h: int):
    ds = pd.date_range("2023-01-02", periods=periods, freq=freq)
    hist = pd.DataFrame({ID: "a", DS: ds, Y: np.arange(periods, dtype=float)})
    step = pd.tseries.frequencies.to_offset(freq)
    fds = pd.date_range(ds[-1] + step, periods=h, freq=freq)
    fc = pd.DataFrame({ID: "a", DS: fds, "ets": 1.0})
    return hist, fc


def test_last_year_is_364_days_back_for_daily_data():
    hist, fc = _history_and_forecast("D", 500, 28)
    trace = last_year_trace(hist, fc, "a", "en")
    assert trace.meta == {"role": "last_year"} and trace.line.dash == "dash"
    assert list(pd.to_datetime(trace.x)) == list(fc[DS])
    back = fc[DS] - pd.Timedelta(days=364)
    want = hist.set_index(DS)[Y].reindex(back).to_numpy()
    assert np.allclose(np.asarray(trace.y, dtype=float), want)
    assert (back.dt.weekday.to_numpy() == fc[DS].dt.weekday.to_numpy()).all()
    assert trace.name == "Same days last year"
    assert last_year_trace(hist, fc, "a", "zh").name == "去年同期"


def test_last_year_weekly_and_missing_history():
    hist, fc = _history_and_forecast("W-MON", 80, 8)
    vals = last_year_values(hist, fc, "a")
    assert (vals[DS] - vals["last_year_ds"] == pd.Timedelta(weeks=52)).all()
    want = hist.set_index(DS)[Y].reindex(vals["last_year_ds"]).to_numpy()
    assert np.allclose(vals[Y].to_numpy(), want)
    short, fc2 = _history_and_forecast("D", 100, 14)  # less than a year of history
    assert last_year_values(short, fc2, "a")[Y].isna().all()
