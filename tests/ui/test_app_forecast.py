"""Forecast page: chart traces and band columns, pickers, table, downloads, language."""

from __future__ import annotations

import json

import pandas as pd

from forecasting.i18n import t
from tests.ui.apptest import (
    alerts,
    charts,
    new_app,
    no_exceptions,
    open_page,
    quickstart,
    result_of,
    texts,
)


def _roles(fig: dict) -> list[tuple]:
    return [
        (tr["meta"]["role"], tr["meta"].get("model"), tr["meta"].get("level")) for tr in fig["data"]
    ]


def test_forecast_page_without_a_result_links_home():
    at = open_page(new_app(), "forecast")
    no_exceptions(at)
    assert t("forecast.none", "zh") in texts(at)
    assert not at.get("plotly_chart")


def test_chart_follows_model_band_and_festival_choices():
    at = quickstart(new_app())
    no_exceptions(at)
    (fig,) = charts(at)
    bands = [tr for tr in fig["data"] if tr["meta"]["role"] == "band"]
    assert {(b["meta"]["lo"], b["meta"]["hi"]) for b in bands if b["meta"]["model"] == "ets"} == {
        ("ets-lo-80", "ets-hi-80"),
        ("ets-lo-95", "ets-hi-95"),
    }
    assert _roles(fig)[-1][0] == "festival"  # Double-11 falls inside the forecast

    at.multiselect(key="_w_fc_models").set_value(["ets"]).run()
    at.multiselect(key="_w_fc_levels").set_value([80]).run()
    at.toggle(key="_w_fc_festivals").set_value(False).run()
    no_exceptions(at)
    (fig,) = charts(at)
    assert _roles(fig) == [
        ("history", None, None),
        ("last_year", None, None),  # the sample has three years: last year's line is drawn
        ("band", "ets", 80),
        ("forecast", "ets", None),
    ]
    # the choices stick when the user comes back to the page
    open_page(at, "home")
    open_page(at, "forecast")
    assert _roles(charts(at)[0]) == _roles(fig)


def test_table_downloads_and_english_labels():
    at = quickstart(new_app())
    table = at.dataframe[0].value
    assert list(table.columns[:3]) == ["序列", "日期", "季节性朴素"]
    assert "指数平滑 ETS 上限 95%" in table.columns
    assert len(table) == result_of(at).config.horizon
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        t(k, "zh")
        for k in (
            "forecast.download_csv",
            "forecast.download_excel",
            "forecast.download_html",
            "report.ui.download_html",
            "report.ui.download_pdf",
        )
    ]
    at.radio(key="_w_lang").set_value("en").run()
    no_exceptions(at)
    (fig,) = charts(at)
    first = result_of(at).series[0]  # per SKU by default: the biggest SKU first
    assert fig["layout"]["title"]["text"] == t("chart.forecast_title", "en", series=first)
    assert at.dataframe[0].value.columns[0] == "Series"
    assert at.title[0].value == t("page.forecast.title", "en")


def test_series_picker_for_a_category_level_forecast():
    at = open_page(new_app(), "data")
    at.button(key="data_sample").click().run()
    at.selectbox(key="_w_data_level").set_value("品类").run()
    open_page(at, "train")
    at.multiselect(key="_w_train_models").set_value(["seasonal_naive"]).run()
    at.button(key="train_start").click().run()
    open_page(at, "forecast")
    no_exceptions(at)
    picker = at.selectbox(key="_w_fc_series")
    assert sorted(picker.options) == ["个护", "家居", "彩妆", "护肤"]
    assert not picker.disabled
    other = next(s for s in picker.options if s != picker.value)
    picker.set_value(other).run()
    (fig,) = charts(at)
    assert fig["layout"]["title"]["text"] == t("chart.forecast_title", "zh", series=other)
    assert set(at.dataframe[0].value["序列"]) == {other}


def test_chart_in_the_ui_language_keeps_the_zoom_and_shows_the_whole_horizon():
    at = quickstart(new_app())
    result = result_of(at)
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["locale"] == "zh-CN"
    assert config["locales"]["zh-CN"]["format"]["shortMonths"][:2] == ["1月", "2月"]
    (fig,) = charts(at)
    layout = fig["layout"]
    assert layout["legend"]["y"] < 0  # below the chart: never over the title on a phone
    # the default view: three horizons of history, then the whole forecast
    x0, x1 = (pd.Timestamp(v) for v in layout["xaxis"]["range"])
    assert x1 == result.forecast["ds"].max()
    h = result.config.horizon
    assert (result.history["ds"].max() - x0).days == 3 * h - 1
    # zoom survives a rerun that changes what is drawn (same uirevision) ...
    revision = layout["uirevision"]
    at.multiselect(key="_w_fc_levels").set_value([80]).run()
    assert charts(at)[0]["layout"]["uirevision"] == revision
    # ... and another series starts from its own default view
    picker = at.selectbox(key="_w_fc_series")
    picker.set_value(picker.options[1]).run()
    assert charts(at)[0]["layout"]["uirevision"] != revision
    at.radio(key="_w_lang").set_value("en").run()
    assert "locale" not in json.loads(at.get("plotly_chart")[0].proto.config)


def test_overview_says_whether_the_levels_add_up_and_reconciles_them():
    """Total forecast once, then per SKU: the overview compares the SKUs' sum with the
    total's own forecast, and a reconciliation method makes them add up (no training)."""
    at = open_page(new_app(), "data")
    at.button(key="data_sample").click().run()
    for chosen in ("total", "商品"):
        open_page(at, "data")
        at.selectbox(key="_w_data_level").set_value(chosen).run()
        open_page(at, "train")
        at.multiselect(key="_w_train_models").set_value(["ridge"]).run()
        at.button(key="train_start").click().run()
        open_page(at, "forecast")
        no_exceptions(at)
    at.toggle(key="fc_overview_on").set_value(True).run()
    no_exceptions(at)
    assert t("reconcile.view.title", "zh") in texts(at)
    gaps = [w for w in alerts(at, "warning") if "不一致" in w]
    assert len(gaps) == 1 and t("reconcile.view.total", "zh") in gaps[0], alerts(at, "warning")
    at.segmented_control(key="_w_ov_reconcile").set_value("bottom_up").run()
    no_exceptions(at)
    table = next(
        d.value for d in at.dataframe if t("reconcile.view.col.reconciled", "zh") in d.value
    )
    sums = table[t("reconcile.view.col.reconciled", "zh")]
    assert sums.nunique() == 1  # every level now sums to the same total
