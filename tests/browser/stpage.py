"""Small Playwright helpers for Streamlit pages (shared by the browser tests and the benchmark)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from forecasting.i18n import t

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cache_dir: Path, port: int | None = None, log: Path | None = None):
    """Start ``streamlit run app.py``; returns ``(process, base_url)`` once healthy."""
    port = port or free_port()
    env = {
        **os.environ,
        "SHOPCAST_CACHE_DIR": str(cache_dir),
        "SHOPCAST_KEY_FILE": str(cache_dir.parent / f"{cache_dir.name}.key"),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} (log: {log})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"streamlit did not become healthy within 60 s (log: {log})")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the script run finished (Streamlit's "running" widget is gone)."""
    page.wait_for_timeout(250)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(250)


def open_app(page, url: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.locator("[data-testid='stSidebar']").wait_for()
    wait_idle(page)


def nav(page, target: str, lang: str = "zh") -> None:
    """Click the sidebar link of ``target`` ("home", "data", "train", "forecast").

    A click that lands while the previous page is still rerunning can be lost on
    a busy machine: retry until the URL shows the new page.
    """
    path = "" if target == "home" else target.capitalize()
    url = re.compile(rf"/{path}/?(\?.*)?$")
    link = page.locator("[data-testid='stSidebar']").get_by_role(
        "link", name=t(f"nav.{target}", lang), exact=True
    )
    for attempt in range(3):
        link.click()
        try:
            page.wait_for_url(url, timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - retried; the last attempt re-raises below
            if attempt == 2:
                raise
    wait_idle(page)


def shot(page, name: str) -> Path:
    """Full-height screenshot of the page into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.wait_for_function(  # widgets loaded, not grey placeholders
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=30_000
    )
    page.wait_for_function(  # every Plotly chart drawn, not a loading skeleton
        "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length"
        " <= document.querySelectorAll('.js-plotly-plot').length",
        timeout=30_000,
    )
    # Streamlit scrolls inside its own container: grow the viewport to the content first.
    height = page.evaluate(
        "() => Math.max(document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0,"
        " document.body.scrollHeight)"
    )
    size = page.viewport_size
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], min(height + 40, 4000))}
    )
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def set_models(page, names: list[str], lang: str = "zh") -> None:
    """Replace the Train page's model choice with ``names``.

    On a busy machine a rerun that started before a chip was removed can redraw it;
    the choice is checked at the end and the whole edit repeated when it did not stick.
    """
    box = page.locator(".st-key-_w_train_models")
    labels = [t(f"model.{name}.name", lang) for name in names]
    shown: list[str] = []
    for _ in range(3):
        _edit_models(page, box, labels)
        wait_idle(page)
        page.wait_for_timeout(500)
        shown = box.locator("[data-tag] span[title]").evaluate_all("els => els.map(e => e.title)")
        if sorted(shown) == sorted(labels):
            return
    raise AssertionError(f"model choice did not stick: {shown} != {labels}")


def _edit_models(page, box, labels: list[str]) -> None:
    box.get_by_role("combobox").wait_for()  # the widget itself, not its loading placeholder
    page.wait_for_timeout(300)
    chips = box.locator("[data-tag]")
    while chips.count():
        before = chips.count()
        chips.first.get_by_role("button").click()
        wait_idle(page)
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length < n",
            arg=[".st-key-_w_train_models [data-tag]", before],
            timeout=30_000,
        )
    for label in labels:
        _add_model(page, box, label)
    page.keyboard.press("Escape")


def _add_model(page, box, label: str, tries: int = 3) -> None:
    """Type ``label`` into the model box and pick it. On a busy machine a rerun can redraw
    the box between typing and picking (the list then shows every model, unfiltered, and
    nothing is chosen): the attempt is repeated when no chip appears."""
    chip = box.locator(f"span[title='{label}']").first
    for attempt in range(tries):
        combo = box.get_by_role("combobox")
        combo.click()
        combo.fill(label)
        option = page.get_by_role("option", name=label, exact=True)
        try:
            option.click(timeout=15_000)
        except Exception:  # noqa: BLE001 - a slow machine: the filtered list opens late
            combo.press("Enter")
        wait_idle(page)
        try:
            chip.wait_for(timeout=15_000 if attempt < tries - 1 else 30_000)  # the new chip
            return
        except Exception:  # noqa: BLE001 - not chosen: close the list and type it again
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            wait_idle(page)


def plot_traces(page, index: int = 0) -> list[dict]:
    """``name``, ``fill`` and ``meta`` of every trace of the ``index``-th Plotly chart."""
    return page.evaluate(
        """(i) => {
            const el = document.querySelectorAll('.js-plotly-plot')[i];
            return el ? el.data.map(d => ({name: d.name, fill: d.fill || null, meta: d.meta || null})) : [];
        }""",
        index,
    )


def scenario_card(page, name: str, lang: str = "zh"):
    """The KPI card (metric) of scenario ``name`` on the Scenarios page."""
    from forecasting.i18n import t

    label = t("sc.metric.units", lang, name=name)
    return page.locator("[data-testid='stMetric']").filter(has_text=label)


def discount_slider(page):
    """The discount slider of the (only) scenario being edited, once the page settled."""
    page.wait_for_function(  # the slider of the previous run is gone
        "() => document.querySelectorAll(\"[class*='st-key-sc_w_discount_'] input[type=range]\")"
        ".length === 1",
        timeout=60_000,
    )
    return page.locator("[class*='st-key-sc_w_discount_']").get_by_role("slider")


def choose_level(page, level_key: str = "level.total", lang: str = "zh") -> None:
    """On the Data page, pick the forecast level (``level.total`` = the shop total)."""
    from forecasting.i18n import t

    nav(page, "data", lang)
    page.locator(".st-key-_w_data_level").get_by_role("combobox").click()
    page.get_by_role("option", name=t(level_key, lang)).click()
    wait_idle(page)


def epochs_slider(page, lang: str = "zh"):
    """The Train page's epochs slider, opening the closed "advanced" box first."""
    from forecasting.i18n import t

    box = page.locator(".st-key-_w_train_epochs")
    if not box.count() or not box.first.is_visible():
        page.locator("[data-testid='stExpander'] summary").filter(
            has_text=t("views.train.advanced", lang)
        ).first.click()
        box.first.wait_for()
    return box.get_by_role("slider")
