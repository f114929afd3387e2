"""The Forecast page in a real browser: outdated results marked, the shared link, a phone.

Screenshots go to ``test-artifacts/`` (fc_*.png); they were looked at when written.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import pandas as pd
import pytest
from stpage import VIEWPORT, nav, open_app, set_models, shot, wait_idle

from forecasting.i18n import t

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _journey(page) -> str:
    return page.locator(".sc-steps").first.inner_text()


def _sample_trained(page, app_url: str) -> None:
    """The sample per SKU, trained with seasonal naive from the Train page."""
    open_app(page, app_url, "Data")
    page.locator(".st-key-data_sample button").click()
    page.get_by_text("shop_sales.csv").first.wait_for(timeout=60_000)
    wait_idle(page)
    nav(page, "train")
    set_models(page, ["seasonal_naive"])
    page.get_by_role("button", name=t("train.button", "zh")).click()
    page.get_by_text(t("train.done", "zh", n=1)).wait_for(timeout=180_000)
    wait_idle(page)


def _x_range(page) -> list[pd.Timestamp]:
    """The forecast chart's shown x range, as drawn in the browser."""
    js = "() => document.querySelector('.js-plotly-plot').layout.xaxis.range.map(String)"
    return [pd.Timestamp(v) for v in page.evaluate(js)]


def _zoom_in(page) -> list[pd.Timestamp]:
    """Drag-zoom the forecast chart to a few weeks; returns the range once it has settled.

    The zoom bridge reports the range and the app redraws the chart with it (one
    rerun); a drag that lands while a rerun redraws the chart is repeated.
    """
    for _ in range(3):
        wait_idle(page)
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        plot = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
        y = plot["y"] + plot["height"] / 2
        page.mouse.move(plot["x"] + plot["width"] * 0.55, y)
        page.mouse.down()
        page.mouse.move(plot["x"] + plot["width"] * 0.8, y, steps=8)
        page.mouse.up()
        page.wait_for_timeout(1500)
        wait_idle(page)
        shown = _x_range(page)
        if shown[1] - shown[0] < pd.Timedelta(days=40):
            return shown
    return shown


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_a_level_change_marks_the_forecast_outdated(page, app_url):
    _sample_trained(page, app_url)
    assert _journey(page).count(t("journey.done", "zh")) == 3  # right after training
    nav(page, "data")
    page.locator(".st-key-_w_data_level").get_by_role("combobox").click()
    page.get_by_role("option", name=t("level.total", "zh")).click()
    wait_idle(page)
    nav(page, "forecast")
    page.locator(".js-plotly-plot").first.wait_for()
    stale = t("views.fc.stale", "zh", what=t("views.input.level", "zh"))
    page.get_by_text(stale).wait_for()
    assert _journey(page).count(t("journey.stale", "zh")) == 2
    shot(page, "fc_1_outdated")
    page.locator(".st-key-fc_update button").click()
    page.get_by_text(stale).wait_for(state="detached", timeout=120_000)
    wait_idle(page)
    assert _journey(page).count(t("journey.done", "zh")) == 3
    total = t("chart.forecast_title", "zh", series=t("chart.total", "zh"))
    page.wait_for_function(  # the chart is redrawn for the total
        "(title) => document.querySelector('.js-plotly-plot').layout.title.text === title",
        arg=total,
        timeout=30_000,
    )


def test_the_shared_link_reopens_the_view_in_a_fresh_browser(page, app_url, browser):
    _sample_trained(page, app_url)
    nav(page, "forecast")
    page.locator(".js-plotly-plot").first.wait_for()
    box = page.locator(".st-key-_w_fc_series")
    box.get_by_role("combobox").click()
    second = page.get_by_role("option").nth(1)
    sku = second.inner_text().strip()
    second.click()
    wait_idle(page)
    page.wait_for_url(lambda url: f"series={sku}" in unquote_plus(url))  # the new view
    url = page.url
    assert "level=" in url and "d=" in url and "shop_sales" in url

    # axis months in Chinese; the zoom survives a rerun that redraws the chart
    ticks = page.locator(".js-plotly-plot .xtick text").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert any("月" in tick for tick in ticks), ticks
    zoomed = _zoom_in(page)
    assert zoomed[1] - zoomed[0] < pd.Timedelta(days=40)  # zoomed in from 112 days
    page.locator(".st-key-_w_fc_festivals label").click()  # a rerun that redraws the chart
    wait_idle(page)
    page.wait_for_function(
        "() => !document.querySelector('.js-plotly-plot').layout.annotations?.length"
    )
    kept = _x_range(page)
    assert abs(kept[0] - zoomed[0]) < pd.Timedelta(hours=1), (kept, zoomed)
    assert abs(kept[1] - zoomed[1]) < pd.Timedelta(hours=1), (kept, zoomed)

    fresh = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        other = fresh.new_page()
        other.set_default_timeout(60_000)
        other.goto(url)
        other.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
        wait_idle(other)
        shot(other, "fc_2_shared_link_fresh_browser")
        other.wait_for_function(
            "(title) => document.querySelector('.js-plotly-plot').layout.title.text === title",
            arg=t("chart.forecast_title", "zh", series=sku),
            timeout=30_000,
        )
        assert other.locator(".st-key-fc_level_switch").count() == 1
    finally:
        fresh.close()


def test_home_and_forecast_on_a_phone(browser, app_url):
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto(app_url)
        page.locator(".sc-hero h1").wait_for()
        wait_idle(page)
        page.wait_for_timeout(800)  # the sidebar's collapse transition
        side = page.locator("[data-testid='stSidebar']").bounding_box()
        shown = 0 if side is None else max(0, min(side["x"] + side["width"], PHONE["width"]))
        assert shown < 0.1 * PHONE["width"], side  # collapsed on a phone (it covered 77%)
        header = _box(page, "[data-testid='stHeader']")
        hero = _box(page, ".sc-hero h1")
        assert hero["y"] >= header["y"] + header["height"] - 1  # not under the top bar
        shot(page, "fc_3_phone_home")

        page.get_by_role("button", name=t("home.sample_button", "zh")).click()
        page.get_by_role("heading", name=t("page.forecast.title", "zh")).wait_for(timeout=300_000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        wait_idle(page)
        header = _box(page, "[data-testid='stHeader']")
        title = _box(page, "h1")
        assert title["y"] >= header["y"] + header["height"] - 1
        chart = _box(page, ".js-plotly-plot")
        assert chart["width"] >= 0.85 * PHONE["width"]  # the chart gets the width
        legend, gtitle = (
            _box(page, ".js-plotly-plot .legend"),
            _box(page, ".js-plotly-plot .gtitle"),
        )
        assert not _overlap(legend, gtitle)
        assert legend["y"] > gtitle["y"] + gtitle["height"]  # below, not over the title
        shot(page, "fc_4_phone_forecast")
    finally:
        context.close()


def test_the_report_downloads_from_the_forecast_page_as_html_and_pdf(page, app_url):
    """The stakeholder report: both buttons on the Forecast page give a real file."""
    from pathlib import Path

    _sample_trained(page, app_url)
    nav(page, "forecast")
    page.locator(".js-plotly-plot").first.wait_for()
    wait_idle(page)
    with page.expect_download(timeout=180_000) as got:
        page.locator(".st-key-fc_dl_report_html button").click()
    html = Path(got.value.path()).read_text(encoding="utf-8")
    assert t("report.title", "zh", name="").split("·")[0].strip() in html
    assert "<svg" in html and "<script" not in html.lower()  # self-contained, inert
    assert got.value.suggested_filename.endswith(".html")
    with page.expect_download(timeout=180_000) as got:
        page.locator(".st-key-fc_dl_report_pdf button").click()
    pdf = Path(got.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert got.value.suggested_filename.endswith(".pdf")
