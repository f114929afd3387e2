"""Dashboard latency in a real browser (Debian chromium + Playwright), printed as a table.

Starts ``streamlit run app.py`` on 127.0.0.1 with an empty temporary model store
and measures what a user waits for:

1. server start -> health check answers;
2. page open -> home rendered (first visit, then a second visit);
3. "load sample" click -> first forecast chart (empty caches: the newcomer case),
   clicked at once and, on a second fresh server, after 5 s of reading the home page
   (the background pre-training gets those seconds);
4. cached reruns: switching the shown bands, going Train -> Forecast, and
   "load sample" again in a new session (models already in memory);
   the Scenarios page: the 618 preset, then five steps of the discount slider, each to
   the new KPI card on screen (total level, the fitted response: a multiplication);
5. after a server restart: "load sample" -> chart (models from the disk store).

Usage::

    .venv/bin/python benchmarks/app_latency.py            # one round
    .venv/bin/python benchmarks/app_latency.py --repeat 3  # median of 3 rounds
    .venv/bin/python benchmarks/app_latency.py --only-scenarios  # the Scenarios steps only

The machine's load matters a lot (2 shared cores here): the table prints the
load average next to the timings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from stpage import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    choose_level,
    discount_slider,
    nav,
    start_server,
    stop_server,
    wait_idle,
)

from forecasting.i18n import t  # noqa: E402
from forecasting.planning.scenarios import discount_label  # noqa: E402

CHART = ".js-plotly-plot"
STEPS = 5  # discount-slider steps timed on the Scenarios page


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _on_screen(page, script: str, arg: object, timeout: int = 180_000) -> None:
    """Wait until ``script(arg)`` is true, checked on every animation frame.

    A Playwright locator's ``wait_for`` retries at growing intervals (every 500 ms
    after the first few tries), which adds up to half a second to what is measured;
    checking each frame times what the user sees to within a frame.
    """
    page.wait_for_function(script, arg=arg, polling="raf", timeout=timeout)


_HAS_BUTTON = """(label) => [...document.querySelectorAll('button')]
    .some((b) => b.innerText.includes(label))"""
_FORECAST_CHART = """(title) => [...document.querySelectorAll('h1')]
    .some((h) => h.innerText.includes(title)) && !!document.querySelector('.js-plotly-plot')"""


def _open_home(page, url: str) -> None:
    page.goto(url)
    _on_screen(page, _HAS_BUTTON, t("home.sample_button", "zh"), timeout=60_000)


def _forecast_chart(page) -> None:
    _on_screen(page, _FORECAST_CHART, t("page.forecast.title", "zh"))


def _load_sample(page) -> None:
    page.get_by_role("button", name=t("home.sample_button", "zh")).click()
    _forecast_chart(page)


def _chart_has(page, role: str, level: int | None = None) -> bool:
    return page.evaluate(
        """([role, level]) => {
            const el = document.querySelector('.js-plotly-plot');
            return !!el && el.data.some(d => d.meta && d.meta.role === role
                                        && (level === null || d.meta.level === level));
        }""",
        [role, level],
    )


def _card_shown(page, name: str) -> None:
    """Wait until the KPI card of scenario ``name`` is on screen."""
    from forecasting.i18n import t

    _on_screen(
        page,
        """(label) => [...document.querySelectorAll("[data-testid='stMetric']")]
            .some((el) => el.innerText.includes(label) && el.getBoundingClientRect().height > 0)""",
        t("sc.metric.units", "zh", name=name),
        timeout=120_000,
    )


def scenario_steps(page) -> dict[str, float]:
    """Scenarios page: the 618 preset, then ``STEPS`` discount-slider steps, each to its
    new KPI card (the first one alone, and the median and slowest of all)."""
    out: dict[str, float] = {}
    choose_level(page)  # the total level (the sample opens per SKU)
    nav(page, "forecast")  # the per-SKU forecast is now out of date: update it (trains)
    page.locator(".st-key-fc_update").get_by_role("button").click()
    page.locator(".st-key-fc_update").wait_for(state="detached", timeout=300_000)
    page.locator(CHART).first.wait_for(timeout=120_000)
    wait_idle(page)
    nav(page, "scenarios")
    page.locator(CHART).first.wait_for(timeout=120_000)
    wait_idle(page)

    def preset() -> None:
        page.locator(".st-key-sc_preset_618").get_by_role("button", name="618").click()
        _card_shown(page, "618 · 7.5折")

    out["scenarios: 618 preset -> KPI cards"] = _timed(preset)
    wait_idle(page)
    steps = []
    for pct in range(24, 24 - STEPS, -1):  # 25% -> 24% -> ... off, one key press each
        discount_slider(page).focus()  # a rerun may re-create the slider

        def one_step(pct: int = pct) -> None:
            page.keyboard.press("ArrowLeft")
            _card_shown(page, f"618 · {discount_label(pct / 100)}")

        steps.append(_timed(one_step))
        wait_idle(page)
    out["scenarios: one discount-slider step -> new KPI"] = steps[0]
    if len(steps) > 1:
        key = f"scenarios: slider steps -> new KPI, median / max of {len(steps)}"
        out[key] = (statistics.median(steps), max(steps))
    return out


@contextlib.contextmanager
def _home(browser, store: str):
    """A fresh server on the model store ``store`` and a new tab on its home page."""
    proc, url = start_server(Path(store))
    try:
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        _open_home(page, url)
        yield page
        ctx.close()
    finally:
        stop_server(proc)


def scenarios_round(browser) -> dict[str, float]:
    """Only the Scenarios steps: a fresh server, the sample loaded, then the page."""
    with tempfile.TemporaryDirectory(prefix="shopcast-bench-") as store:
        with _home(browser, store) as page:
            _load_sample(page)
            wait_idle(page)
            return scenario_steps(page)


def one_round(browser) -> dict[str, float]:
    """All measurements against one fresh server and an empty model store."""
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="shopcast-bench-") as store:
        t0 = time.perf_counter()
        proc, url = start_server(Path(store))
        times["server start -> healthy"] = time.perf_counter() - t0
        try:
            ctx = browser.new_context(viewport=VIEWPORT)
            page = ctx.new_page()
            times["open page -> home rendered (first visit)"] = _timed(
                lambda: _open_home(page, url)
            )
            times["load sample click -> forecast chart (cold)"] = _timed(lambda: _load_sample(page))
            wait_idle(page)

            def drop_band() -> None:
                page.locator(".st-key-_w_fc_levels").get_by_role("button", name="Remove 95").click()
                _on_screen(
                    page,
                    "() => !document.querySelector('.js-plotly-plot').data"
                    ".some(d => d.meta && d.meta.level === 95)",
                    None,
                    timeout=60_000,
                )

            times["cached rerun: hide the 95% band"] = _timed(drop_band)
            wait_idle(page)
            nav(page, "train")

            def back_to_forecast() -> None:
                nav(page, "forecast")
                _forecast_chart(page)

            times["cached page switch: Train -> Forecast"] = _timed(back_to_forecast)
            wait_idle(page)
            times.update(scenario_steps(page))
            ctx.close()

            ctx = browser.new_context(viewport=VIEWPORT)
            page = ctx.new_page()
            times["open page -> home rendered (second visit)"] = _timed(
                lambda: _open_home(page, url)
            )
            times["load sample, new session (memory cache)"] = _timed(lambda: _load_sample(page))
            ctx.close()
        finally:
            stop_server(proc)

        with _home(browser, store) as page:
            times["after restart: load sample (disk store)"] = _timed(lambda: _load_sample(page))
    with tempfile.TemporaryDirectory(prefix="shopcast-bench-") as store:
        with _home(browser, store) as page:
            page.wait_for_timeout(5_000)  # a newcomer reads the two sentences first
            times["load sample after 5 s reading (cold)"] = _timed(lambda: _load_sample(page))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds (the median is shown)")
    parser.add_argument(
        "--only-scenarios", action="store_true", help="only the Scenarios page's steps"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: install Debian chromium (make browser-deps)")
        return 1
    from playwright.sync_api import sync_playwright

    rounds: list[dict[str, float]] = []
    load_before = os.getloadavg()[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(max(1, args.repeat)):
            rounds.append((scenarios_round if args.only_scenarios else one_round)(browser))
        browser.close()
    load_after = os.getloadavg()[0]

    width = max(len(k) for k in rounds[0])
    print(f"\n{'step'.ljust(width)} | seconds (median of {len(rounds)})")
    print(f"{'-' * width}-|-{'-' * 22}")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        if isinstance(values[0], tuple):  # (median, max) of the steps within a round
            cells = [statistics.median(v[i] for v in values) for i in range(len(values[0]))]
            print(f"{key.ljust(width)} | " + " / ".join(f"{c:.2f}" for c in cells))
        else:
            print(f"{key.ljust(width)} | {statistics.median(values):6.2f}")
    print(
        f"\nload average (1 min) before/after: {load_before:.2f} / {load_after:.2f}, "
        f"cores: {os.cpu_count()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
