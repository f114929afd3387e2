"""A real ``streamlit run app.py`` on 127.0.0.1 and Debian chromium driven by Playwright.

Skipped (with the reason) when /usr/bin/chromium or Playwright is missing.
Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stpage import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VIEWPORT, start_server, stop_server


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Base URL of a streamlit server with its own temporary model store."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian chromium (make browser-deps)")
    ARTIFACTS.mkdir(exist_ok=True)
    proc, url = start_server(
        tmp_path_factory.mktemp("browser-store"), log=ARTIFACTS / "streamlit-server.log"
    )
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian chromium (make browser-deps)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, app_url, request):
    """A fresh browser context (= a new Streamlit session) per test.

    A failing test leaves ``test-artifacts/FAILED_<test>.png`` behind.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(45_000)
    pg = context.new_page()
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            pg.screenshot(path=str(ARTIFACTS / f"FAILED_{request.node.name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - the test already failed; keep its error
            pass
    context.close()
