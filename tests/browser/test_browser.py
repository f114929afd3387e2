"""End-to-end in a real browser: what a new user does, on a real streamlit server."""

from __future__ import annotations

from pathlib import Path

import pytest
from stpage import epochs_slider, nav, open_app, plot_traces, set_models, shot, wait_idle

from forecasting.i18n import t

ROOT_SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
pytestmark = pytest.mark.browser


def _band_traces(traces: list[dict]) -> list[dict]:
    return [
        tr for tr in traces if tr["fill"] == "toself" and (tr["meta"] or {}).get("role") == "band"
    ]


def test_new_user_loads_sample_then_trains_a_tensorflow_model(page, app_url):
    open_app(page, app_url)
    shot(page, "a1_home_zh")
    page.get_by_role("button", name=t("home.sample_button", "zh")).click()
    # straight to the forecast page, with a chart that has bands
    page.get_by_role("heading", name=t("page.forecast.title", "zh")).wait_for(timeout=120_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_idle(page)
    traces = plot_traces(page)
    assert _band_traces(traces), traces
    assert t("chart.history", "zh") in [tr["name"] for tr in traces]
    shot(page, "a2_quickstart_forecast")

    # now two models, one of them TensorFlow, with few epochs
    nav(page, "train")
    set_models(page, ["ets", "mlp"])
    epochs = epochs_slider(page)
    epochs.focus()
    page.keyboard.press("Home")  # 1 epoch ...
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # ... 3 epochs
    wait_idle(page)
    page.get_by_role("button", name=t("train.button", "zh")).click()
    page.locator("[data-testid='stProgress']").first.wait_for(timeout=30_000)
    shot(page, "a3_training_progress")
    page.get_by_text(t("train.done", "zh", n=2)).wait_for(timeout=180_000)
    wait_idle(page)
    shot(page, "a4_trained")
    assert page.get_by_text(t("model.mlp.name", "zh")).count() >= 1

    nav(page, "forecast")
    page.locator(".js-plotly-plot").first.wait_for()
    traces = plot_traces(page)
    models = {(tr["meta"] or {}).get("model") for tr in _band_traces(traces)}
    assert models == {"ets", "mlp"}, traces
    shot(page, "a5_mlp_forecast")


def test_upload_excel_and_get_a_forecast(page, app_url):
    open_app(page, app_url, "Data")
    page.locator(".st-key-data_upload input[type=file]").set_input_files(
        str(ROOT_SAMPLE / "shop_sales.xlsx")
    )
    page.get_by_text("shop_sales.xlsx").first.wait_for(timeout=60_000)
    wait_idle(page)
    # forecast per category: four series
    page.locator(".st-key-_w_data_level").get_by_role("combobox").click()
    page.get_by_role("option", name=t("level.by", "zh", column="品类")).click()
    wait_idle(page)
    shot(page, "b1_data_excel")
    nav(page, "train")
    set_models(page, ["seasonal_naive", "ets"])
    page.get_by_role("button", name=t("train.button", "zh")).click()
    page.get_by_text(t("train.done", "zh", n=2)).wait_for(timeout=120_000)
    wait_idle(page)
    nav(page, "forecast")
    page.locator(".js-plotly-plot").first.wait_for()
    traces = plot_traces(page)
    assert {(tr["meta"] or {}).get("model") for tr in _band_traces(traces)} == {
        "seasonal_naive",
        "ets",
    }
    assert page.locator(".st-key-_w_fc_series").count() == 1
    shot(page, "b2_excel_forecast")
    # downloads are built on click (deferred) and arrive as real files
    for key, suffix, marker in (
        ("fc_dl_csv", ".csv", t("forecast.col.series", "zh").encode()),  # on-screen headers
        ("fc_dl_html", ".html", b"plotly"),
    ):
        with page.expect_download(timeout=60_000) as info:
            page.locator(f".st-key-{key} button").click()
        download = info.value
        assert download.suggested_filename.endswith(suffix)
        assert marker in Path(download.path()).read_bytes()[:200_000]


def test_language_switch_shows_chinese_then_english(page, app_url):
    open_app(page, app_url)
    page.get_by_role("heading", name=t("home.headline", "zh")).wait_for()
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("link", name=t("nav.data", "zh"), exact=True).wait_for()
    sidebar.get_by_text("English").click()
    page.get_by_role("heading", name=t("home.headline", "en")).wait_for()
    wait_idle(page)
    page.get_by_role("button", name=t("home.sample_button", "en")).wait_for()
    shot(page, "c1_home_en")
    nav(page, "data", lang="en")
    page.get_by_role("heading", name=t("page.data.title", "en")).wait_for()
    page.get_by_text(t("data.none", "en")).wait_for()
    # the choice sticks on the new page and can be switched back
    sidebar.get_by_text("中文").click()
    page.get_by_role("heading", name=t("page.data.title", "zh")).wait_for()
    shot(page, "c2_data_zh")


def test_stop_keeps_the_models_already_trained(page, app_url):
    open_app(page, app_url)
    page.get_by_role("button", name=t("home.sample_button", "zh")).click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    wait_idle(page)
    nav(page, "train")
    set_models(page, ["seasonal_naive", "lstm"])
    epochs = epochs_slider(page)
    epochs.focus()
    page.keyboard.press("End")  # 200 epochs: long enough to stop in the middle
    wait_idle(page)
    page.get_by_role("button", name=t("train.button", "zh")).click()
    lstm = t("train.progress", "zh", model="LSTM", i=2, n=2, label="")
    page.get_by_text(lstm.rsplit("·", 1)[0].strip()).wait_for(timeout=60_000)
    page.get_by_role("button", name=t("train.stop", "zh")).click()
    page.get_by_text(t("train.stopped", "zh")).first.wait_for(timeout=60_000)
    wait_idle(page)
    shot(page, "d1_stopped")
    table = page.locator("[data-testid='stDataFrame']").first
    assert table.get_by_text(t("model.seasonal_naive.name", "zh")).count() >= 1
    assert page.get_by_text(t("train.done", "zh", n=2)).count() == 0
    nav(page, "forecast")
    page.locator(".js-plotly-plot").first.wait_for()
    models = {(tr["meta"] or {}).get("model") for tr in plot_traces(page) if tr["meta"]}
    assert "seasonal_naive" in models and "lstm" not in models
