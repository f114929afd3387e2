"""The stakeholder report page: self-contained, small, inert, Chinese by default."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from forecasting.reports import summary as sm
from forecasting.reports.report import build_report, chart_svg, recommended_model

HOSTILE = "<script>alert(1)</script>"
HOSTILE_2 = "\"><img src=x onerror=alert('x')>"


def _panel(ids=("big", HOSTILE, HOSTILE_2), days=500, h=14, models=("seasonal_naive", "auto")):
    """History of ``days`` days and an ``h``-day forecast per model with 80% bands."""
    ds = pd.date_range("2024-06-01", periods=days, freq="D")
    fd = pd.date_range(ds[-1] + pd.Timedelta(days=1), periods=h, freq="D")
    hist, fc = [], []
    for k, sid in enumerate(ids):
        level = 100.0 / (k + 1)
        hist.append(pd.DataFrame({"unique_id": sid, "ds": ds, "y": level}))
        part = pd.DataFrame({"unique_id": sid, "ds": fd})
        for j, m in enumerate(models):
            part[m] = level * (1.1 + 0.1 * j)
            part[f"{m}-lo-80"], part[f"{m}-hi-80"] = part[m] * 0.9, part[m] * 1.1
        fc.append(part)
    return pd.concat(hist, ignore_index=True), pd.concat(fc, ignore_index=True)


@pytest.fixture(scope="module")
def page():
    hist, fc = _panel()
    return build_report(hist, fc, "D", data_name=f"shop{HOSTILE}.csv", created="2026-01-01")


def test_recommended_model_rule():
    assert recommended_model(["ets", "auto", "lightgbm"]) == "auto"
    assert recommended_model(["ets", "lightgbm"]) == "ets"
    assert recommended_model(["ets", "auto"], "ets") == "ets"
    assert recommended_model(["ets", "lightgbm"], "prophet") == "ets"  # absent: the rule
    with pytest.raises(ValueError):
        recommended_model([])


def test_self_contained_and_small(page):
    assert len(page.encode("utf-8")) < 6 * 1024 * 1024
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<link" not in page.lower() and "@import" not in page and "url(" not in page
    assert "<script" not in page.lower()  # no scripts at all: the chart is static SVG
    assert page.count("<svg") == 1 and "<polygon" in page and page.count("<polyline") >= 3


def test_hostile_names_stay_text(page):
    assert HOSTILE not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the SKU and the file name
    assert "&quot;&gt;&lt;img src=x onerror=alert(&#x27;x&#x27;)&gt;" in page


def test_chinese_by_default_english_on_request(page):
    assert "<html lang='zh-CN'>" in page
    for text in ("销量预测报告", "摘要", "关键指标", "同比", "展示模型的准确度", "季节性"):
        assert text in page, text
    hist, fc = _panel(ids=("a", "b"))
    en = build_report(hist, fc, "D", data_name="s.csv", lang="en")
    assert "<html lang='en'>" in en and "Sales forecast report" in en
    assert not re.search(r"[\u4e00-\u9fff]", en)


def test_sections_follow_the_recommended_model():
    hist, fc = _panel(ids=("a", "b"))
    page = build_report(hist, fc, "D", data_name="s.csv", lang="en")
    auto_total = float(fc["auto"].sum())  # auto is recommended over the first model
    summ = sm.summarize(hist, fc, "auto", "D")
    assert summ.total == pytest.approx(auto_total)
    assert sm.sentences(summ, "en")[0].split(":")[1].split(" units")[0].strip() == (
        f"{auto_total:,.0f}"
    )
    assert f"{auto_total:,.0f}" in page
    # led with, but no backtest recommended it: every part of the page says "shown"
    assert "★ recommended" not in page and "recommended model" not in page
    assert ">shown<" in page and "Accuracy of the model shown" in page
    assert "not a recommendation" in page
    first = build_report(hist, fc, "D", data_name="s.csv", lang="en", recommended="seasonal_naive")
    assert f"{float(fc['seasonal_naive'].sum()):,.0f} units expected" in first
    assert "★ recommended" in first and "Accuracy of the recommended model" in first
    assert ">shown<" not in first and "not a recommendation" not in first


def test_top_series_biggest_first_with_growth():
    hist, fc = _panel(ids=("small", "large", "mid"), models=("m",))
    fc.loc[fc["unique_id"] == "large", "m"] *= 10
    page = build_report(hist, fc, "D", data_name="s.csv", lang="en", series_name="SKU")
    top = page[page.index("Top 3 series") :]
    assert top.index("large") < top.index("small") and "<th>SKU</th>" in top
    assert "+1,000%" in top  # large: 550 a day vs 50 a day last year


def test_one_series_has_no_top_table():
    hist, fc = _panel(ids=("total",), models=("m",))
    page = build_report(hist, fc, "D", data_name="s.csv", lang="en")
    assert "Top " not in page and "Total" in page


def test_accuracy_section_and_note():
    hist, fc = _panel(ids=("a", "b"))
    acc = sm.Accuracy(
        "auto", wape=0.12, total_error=0.05, horizon=14, windows=2, level=80, coverage=0.8
    )
    page = build_report(hist, fc, "D", data_name="s.csv", lang="en", accuracy=acc)
    assert "typically within ±12%" in page and "WAPE" in page and "80%" in page
    none = build_report(hist, fc, "D", data_name="s.csv", lang="en", accuracy_note="skipped <b>")
    assert "skipped &lt;b&gt;" in none and "typically within" not in none


def test_scenario_table_when_given():
    hist, fc = _panel(ids=("a", "b"))
    kpis = pd.DataFrame(
        {
            "scenario": ["baseline", HOSTILE, "deep"],
            "level": ["total"] * 3,
            "group": ["total"] * 3,
            "units": [1000.0, 1200.0, 900.0],
            "gmv": [5e4, 5.5e4, np.nan],
            "incr_units_pct": [0.0, 20.0, -10.0],
            "incr_gmv_pct": [0.0, 10.0, np.nan],
            "peak_day": pd.to_datetime(["2025-11-11"] * 3),
        }
    )
    kpis = pd.concat([kpis, kpis.assign(level="品类", group="x")], ignore_index=True)
    page = build_report(hist, fc, "D", data_name="s.csv", lang="en", scenario_kpis=kpis)
    part = page[page.index("Scenario comparison") :]
    assert part.count("<tr>") == 1 + 3  # header + the total rows only
    assert "Baseline" in part and "+20%" in part and "1,200" in part and HOSTILE not in part
    assert "Scenario comparison" not in build_report(hist, fc, "D", data_name="s.csv", lang="en")


def test_chart_draws_last_year_and_escapes_labels():
    hist, fc = _panel(ids=("a",), models=("m",))
    actual = sm.total_history(hist)
    tot = sm.total_forecast(fc, "m")
    ly = pd.Series(50.0, index=tot["ds"])
    fest = pd.DataFrame({"holiday": ["x"], "ds": [tot["ds"].iloc[3]], "label": [HOSTILE]})
    svg = chart_svg(actual.iloc[-60:], tot, ly, fest, "en", "M<1>", 80)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 3  # last year, history, forecast
    assert svg.count("<circle") == len(tot)  # hoverable forecast points
    assert HOSTILE not in svg and "M&lt;1&gt;" in svg
    without = chart_svg(actual.iloc[-60:], tot[["ds", "mean"]], None, None, "en")
    assert without.count("<polyline") == 2 and "<polygon" not in without


def _view_app():
    """The Forecast page's report pieces on a one-SKU result (run by AppTest)."""
    import pandas as pd

    from forecasting.engine.forecast import TrainConfig
    from forecasting.ui.training import Result
    from forecasting.ui.views import report

    ds = pd.date_range("2024-10-01", "2025-10-31", freq="D")
    hist = pd.DataFrame({"unique_id": "<b>x</b>", "ds": ds, "y": 10.0})
    fd = pd.date_range("2025-11-01", periods=7, freq="D")
    fc = pd.DataFrame({"unique_id": "<b>x</b>", "ds": fd, "seasonal_naive": 12.0})
    res = Result("shop.csv", "商品", "D", TrainConfig(["seasonal_naive"], 7, [80]), hist, fc)
    report.summary(res, "en")
    report.report_buttons(res, "en")


def test_forecast_page_pieces():
    from streamlit.testing.v1 import AppTest

    from tests.ui.apptest import shown

    at = AppTest.from_function(_view_app, default_timeout=60).run()
    assert not at.exception
    body = shown(at.markdown[1].value)
    assert "84 units expected in total" in body  # 7 days x 12
    assert "up 20% on the same period last year" in body  # vs 7 x 10
    keys = [e.key for e in at.main if type(e).__name__ == "DownloadButton"]
    assert keys == ["fc_dl_report_html", "fc_dl_report_pdf"]
