"""Chart builders and forecast exports: traces, band columns, titles, fonts, downloads."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from forecasting.charts import forecast as charts
from forecasting.charts import style
from forecasting.i18n import t
from forecasting.schema import hi_col, lo_col
from forecasting.ui import exports


def _history(ids=("total",), days=200, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    parts = []
    for k, uid in enumerate(ids):
        y = 100 * (k + 1) + 10 * np.sin(np.arange(days) * 2 * np.pi / 7) + rng.normal(0, 3, days)
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def _forecast(history: pd.DataFrame, models=("ets", "lightgbm"), levels=(80, 95), h=14):
    """A forecast frame in the contract, bands widening with the level."""
    rows = []
    for uid, g in history.groupby("unique_id"):
        ds = pd.date_range(g["ds"].max() + pd.Timedelta(days=1), periods=h, freq="D")
        part = pd.DataFrame({"unique_id": uid, "ds": ds})
        base = g["y"].tail(7).mean()
        for i, m in enumerate(models):
            part[m] = base + i
            for lv in levels:
                part[lo_col(m, lv)] = part[m] - lv / 10
                part[hi_col(m, lv)] = part[m] + lv / 10
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


@pytest.fixture
def hist():
    return _history()


@pytest.fixture
def fc(hist):
    return _forecast(hist)


def _roles(fig: go.Figure) -> list[str]:
    return [tr.meta["role"] for tr in fig.data]


def test_forecast_figure_traces_and_band_columns(hist, fc):
    fig = charts.forecast_figure(hist, fc, "total", lang="en")
    # history + per model (95 band, 80 band, line)
    assert _roles(fig) == ["history", "band", "band", "forecast", "band", "band", "forecast"]
    bands = [tr for tr in fig.data if tr.meta["role"] == "band"]
    assert [(b.meta["model"], b.meta["level"]) for b in bands] == [
        ("ets", 95),
        ("ets", 80),
        ("lightgbm", 95),
        ("lightgbm", 80),
    ]  # widest first within each model, so the narrow band is drawn on top
    for b in bands:
        m, lv = b.meta["model"], b.meta["level"]
        assert (b.meta["lo"], b.meta["hi"]) == (lo_col(m, lv), hi_col(m, lv))
        # the polygon is the hi column forwards then the lo column backwards
        part = fc[fc["unique_id"] == "total"]
        expected = np.r_[part[hi_col(m, lv)].to_numpy(), part[lo_col(m, lv)].to_numpy()[::-1]]
        np.testing.assert_allclose(np.asarray(b.y, dtype=float), expected)
        assert b.fill == "toself"
    lines = [tr for tr in fig.data if tr.meta["role"] == "forecast"]
    np.testing.assert_allclose(np.asarray(lines[0].y, dtype=float), fc["ets"].to_numpy())
    assert fig.layout.xaxis.rangeslider.visible is True
    assert fig.layout.hovermode == "x unified"


def test_forecast_figure_subsets_models_and_levels(hist, fc):
    fig = charts.forecast_figure(hist, fc, "total", models=["lightgbm", "nope"], levels=[80])
    assert _roles(fig) == ["history", "band", "forecast"]
    assert fig.data[1].meta["hi"] == "lightgbm-hi-80"
    none = charts.forecast_figure(hist, fc, "total", levels=[])
    assert "band" not in _roles(none)
    assert none.layout.title.subtitle.text in ("", None)


def test_forecast_figure_picks_the_series(fc):
    history = _history(ids=("a", "b"))
    forecast = _forecast(history)
    fig = charts.forecast_figure(history, forecast, "b", lang="en")
    assert len(fig.data[0].x) == 200
    assert np.asarray(fig.data[0].y, dtype=float).mean() > 150  # series b is ~200, a ~100
    assert "b" in fig.layout.title.text


def test_titles_and_labels_in_both_languages(hist, fc):
    zh = charts.forecast_figure(hist, fc, "total", lang="zh")
    en = charts.forecast_figure(hist, fc, "total", lang="en")
    assert zh.layout.title.text == t("chart.forecast_title", "zh", series=t("chart.total", "zh"))
    assert en.layout.title.text == t("chart.forecast_title", "en", series=t("chart.total", "en"))
    assert zh.layout.title.text != en.layout.title.text
    assert zh.data[0].name == "历史销量" and en.data[0].name == "History"
    assert zh.layout.yaxis.title.text == "销量"
    assert "80%" in en.layout.title.subtitle.text and "95%" in en.layout.title.subtitle.text
    custom = charts.forecast_figure(hist, fc, "total", title="My title")
    assert custom.layout.title.text == "My title"


def test_chinese_font_first_in_template(hist, fc):
    fig = charts.forecast_figure(hist, fc, "total")
    family = fig.layout.template.layout.font.family
    assert family.index("WenQuanYi Micro Hei") < family.index("sans-serif")
    assert "Microsoft YaHei" in family and "PingFang SC" in family


def test_builtin_template_when_asset_missing(monkeypatch, tmp_path, hist, fc):
    monkeypatch.setattr(style, "_TEMPLATE_FILE", tmp_path / "missing.json")
    style._template_dict.cache_clear()
    try:
        fig = charts.forecast_figure(hist, fc, "total")
        assert fig.layout.template.layout.font.family.startswith('"WenQuanYi Micro Hei"')
    finally:
        style._template_dict.cache_clear()


def test_festival_markers_only_in_range(hist, fc):
    fest = pd.DataFrame(
        {
            "holiday": ["618", "double11", "old"],
            "ds": pd.to_datetime(["2024-06-18", "2024-07-10", "2020-01-01"]),
            "label": ["618", "双十一", "x"],
        }
    )
    fig = charts.forecast_figure(hist, fc, "total", festivals=fest)
    assert _roles(fig)[-1] == "festival"
    marker = fig.data[-1]
    assert list(marker.text) == ["618", "双十一"]  # 2020 is outside the chart
    assert [a.text for a in fig.layout.annotations] == ["618", "双十一"]
    assert sum(s.type == "line" for s in fig.layout.shapes) == 2
    off = charts.forecast_figure(hist, fc, "total", festivals=fest.iloc[[2]])
    assert "festival" not in _roles(off)


def test_initial_view_zooms_on_recent_history(hist, fc):
    fig = charts.forecast_figure(hist, fc, "total", window=30)
    x0, x1 = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert x0 == hist["ds"].iloc[-30] and x1 == fc["ds"].max()
    lo, hi = fig.layout.yaxis.range
    assert hi >= fc["lightgbm-hi-95"].max()
    full = charts.forecast_figure(hist, fc, "total", window=10_000)
    assert full.layout.xaxis.range is None


def test_history_figure_caps_series_and_titles():
    history = _history(ids=tuple(f"s{i}" for i in range(12)))
    fig = charts.history_figure(history, lang="en", max_series=5)
    assert len(fig.data) == 5
    assert [tr.meta["series"] for tr in fig.data] == ["s11", "s10", "s9", "s8", "s7"]  # biggest
    assert "5" in fig.layout.title.text and "12" in fig.layout.title.text
    one = charts.history_figure(_history(), lang="zh")
    assert one.layout.title.text == t("chart.history_title", "zh")
    assert one.data[0].name == t("chart.total", "zh")


def test_fit_time_figure_marks_cached_runs():
    runs = pd.DataFrame(
        {"model": ["ets", "lightgbm"], "fit_seconds": [1.5, 2.25], "source": ["trained", "cache"]}
    )
    fig = charts.fit_time_figure(runs, lang="en")
    bar = fig.data[0]
    assert list(bar.y) == ["LightGBM", "ETS"]  # first model on top
    assert list(bar.x) == [2.25, 1.5]
    assert t("train.source.cache", "en") in bar.text[0] and "2.2" in bar.text[0]
    assert fig.layout.title.text == t("chart.fit_time_title", "en")
    assert charts.fit_time_figure({"ets": 1.0}, lang="zh").layout.title.text == "各模型训练用时"


def test_figure_html_is_self_contained(hist, fc):
    html = charts.figure_html(charts.forecast_figure(hist, fc, "total"), title="销量")
    assert "<title>销量</title>" in html
    assert "plotly" in html.lower() and len(html) > 1_000_000  # plotly.js inlined: works offline


def test_forecast_table_translates_and_filters(fc):
    table = exports.forecast_table(fc, "zh", series=["total"], models=["ets"], levels=[80])
    assert list(table.columns) == [
        "序列",
        "日期",
        "指数平滑 ETS",
        "指数平滑 ETS 下限 80%",
        "指数平滑 ETS 上限 80%",
    ]
    assert len(table) == 14
    en = exports.forecast_table(fc, "en")
    assert "ETS upper 95%" in en.columns and "LightGBM lower 80%" in en.columns


def test_csv_and_excel_downloads(fc):
    back = pd.read_csv(io.BytesIO(exports.to_csv(fc)), encoding="utf-8-sig")
    assert list(back.columns) == list(fc.columns)
    np.testing.assert_allclose(back["ets-hi-95"], fc["ets-hi-95"])
    xlsx = exports.to_excel(fc, "en", {"horizon": 14})
    sheets = pd.read_excel(io.BytesIO(xlsx), sheet_name=None)
    settings = t("export.settings_sheet", "en")
    assert set(sheets) == {"Forecast", settings}
    assert len(sheets["Forecast"]) == len(fc)
    table = sheets[settings].set_index(t("export.setting.key", "en"))
    assert table[t("export.setting.value", "en")].astype(str).to_dict() == {
        t("export.setting.horizon", "en"): "14"
    }
    zh = pd.read_excel(io.BytesIO(exports.to_excel(fc, "zh", {"horizon": 14, "odd": 1})), None)
    assert list(zh[t("export.settings_sheet", "zh")].iloc[:, 0]) == ["预测期数", "odd"]


def test_band_trace_is_one_filled_polygon():
    x = pd.Series(pd.date_range("2024-01-01", periods=3, freq="D"))
    lo, hi = pd.Series([1.0, 2.0, 3.0]), pd.Series([4.0, 5.0, 6.0])
    band = style.band_trace(
        x, lo, hi, color="#2E86AB", alpha=0.1, name="b", group="ets", meta={"role": "band"}
    )
    assert list(band.y) == [4.0, 5.0, 6.0, 3.0, 2.0, 1.0]  # hi forwards, lo backwards
    assert list(pd.to_datetime(band.x)) == [*x, *x[::-1]]
    assert band.fill == "toself" and band.fillcolor == "rgba(46,134,171,0.1)"
    assert band.hoverinfo == "skip" and band.showlegend is False and band.legendgroup == "ets"
    assert style.rgba("#FFFFFF", 0.5) == "rgba(255,255,255,0.5)"
