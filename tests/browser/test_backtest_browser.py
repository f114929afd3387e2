"""In a real browser: backtest the sample with the default models and see which model
``auto`` chose and why."""

from __future__ import annotations

import time

import pytest
from stpage import choose_level, nav, open_app, plot_traces, shot, wait_idle

from forecasting.i18n import t

pytestmark = pytest.mark.browser


def test_backtest_leaderboard_and_auto_choice(page, app_url):
    open_app(page, app_url)
    page.get_by_role("button", name=t("home.sample_button", "zh")).click()
    page.get_by_role("heading", name=t("page.forecast.title", "zh")).wait_for(timeout=120_000)
    wait_idle(page)
    choose_level(page)  # the sample's total (SKUs are the default level)
    nav(page, "backtest")
    page.get_by_role("heading", name=t("page.backtest.title", "zh")).wait_for()
    page.get_by_text(t("bt.none", "zh")).wait_for(timeout=60_000)

    t0 = time.perf_counter()
    page.get_by_role("button", name=t("bt.run", "zh")).click()
    page.locator("[data-testid='stProgress']").first.wait_for(timeout=60_000)
    done = t("bt.done", "zh", seconds="").split("，")[0]
    page.get_by_text(done).first.wait_for(timeout=300_000)
    wait_idle(page)
    seconds = time.perf_counter() - t0

    for key in ("bt.section.leaderboard", "bt.section.horizon", "bt.section.choice"):
        page.get_by_text(t(key, "zh")).first.wait_for(timeout=30_000)
    # the error-by-horizon chart has a line per model run, auto included
    charts = page.locator(".js-plotly-plot").count()
    names = {tr["name"] for i in range(charts) for tr in plot_traces(page, i)}
    for model in ("seasonal_naive", "ets", "lightgbm", "auto"):
        assert t(f"model.{model}.name", "zh") in names, names
    # "auto" says which member it picked for the (one) total series
    picked = page.get_by_text("条序列中的 1 条选中")
    picked.first.wait_for(timeout=30_000)
    assert picked.count() >= 1
    page.mouse.move(5, 5)
    shot(page, "f1_backtest_leaderboard")
    print(f"\nbacktest of the default models + auto on the sample total: {seconds:.1f} s")
