"""A large catalogue in the app: upload N generated SKUs, train, watch the progress bar,
open the overview. Real ``streamlit run`` + Debian chromium; prints a table.

    .venv/bin/python benchmarks/app_catalogue.py [--skus 1000] [--models seasonal_naive,ets,lightgbm]

What it measures, on a fresh server with an empty model store:

* upload of ``generate_shop(n_skus=N)`` as CSV (3 years daily) -> the Data page has read it
  (its level choice is drawn);
* "train" click -> "done" (the models of ``--models``; default: the Train page's defaults);
* the progress bar, read every 0.5 s while training: how many different values and labels
  it showed, and the longest time it stood still (a frozen bar is what the issue saw);
* Forecast page -> its chart, then the overview switch -> the all-SKU overview on screen;
* the peak resident memory of the server process and its workers.

Screenshots go to ``test-artifacts/catalogue_*.png``. Timings depend on the machine's load:
the table prints the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

import pandas as pd  # noqa: E402
from stpage import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    nav,
    set_models,
    shot,
    start_server,
    stop_server,
    wait_idle,
)

from benchmarks._table import markdown  # noqa: E402
from benchmarks.scale import shop_file, tree_rss_mb  # noqa: E402
from forecasting.i18n import t  # noqa: E402

_PROGRESS = """() => {
    const bar = document.querySelector("[data-testid='stProgress'] [role='progressbar']");
    if (!bar) return null;
    const box = bar.closest("[data-testid='stProgress']");
    return [Number(bar.getAttribute('aria-valuenow')), box ? box.innerText : ''];
}"""


def _peak_memory(pid: int, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        out.append(tree_rss_mb(pid))
        stop.wait(0.5)


def _watch_training(page, done_text: str, timeout_s: float) -> list[tuple[float, float, str]]:
    """(seconds since the click, bar value, bar label) every 0.5 s until ``done_text``."""
    samples: list[tuple[float, float, str]] = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if page.get_by_text(done_text).count():
            return samples
        state = page.evaluate(_PROGRESS)
        if state is not None:
            samples.append((time.perf_counter() - t0, float(state[0]), state[1].strip()))
        page.wait_for_timeout(500)
    shot(page, "catalogue_timeout")
    raise TimeoutError(f"training not done after {timeout_s:.0f} s")


def _longest_still(samples: list[tuple[float, float, str]]) -> tuple[float, str]:
    """Longest stretch (s) in which neither the bar's value nor its label changed, and
    the label it showed meanwhile."""
    longest, where, since, last = 0.0, "", None, None
    for at, value, label in samples:
        if (value, label) != last:
            since, last = at, (value, label)
        if at - since > longest:
            longest, where = at - since, label
    return longest, where


def run(n_skus: int, models: list[str], data_dir: Path) -> dict:
    path = shop_file(n_skus, data_dir)
    from playwright.sync_api import sync_playwright

    row: dict = {"SKUs": n_skus, "file MB": round(path.stat().st_size / 2**20, 1)}
    with tempfile.TemporaryDirectory(prefix="shopcast-catalogue-") as store:
        proc, url = start_server(Path(store))
        stop, mem = threading.Event(), []
        watcher = threading.Thread(target=_peak_memory, args=(proc.pid, stop, mem), daemon=True)
        watcher.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_context(viewport=VIEWPORT).new_page()
                page.goto(f"{url}/Data")
                page.locator("[data-testid='stSidebar']").wait_for()
                wait_idle(page)
                t0 = time.perf_counter()
                page.locator(".st-key-data_upload input[type=file]").set_input_files(str(path))
                # the level choice is drawn once the file is read and checked
                page.locator(".st-key-_w_data_level").wait_for(timeout=600_000)
                wait_idle(page, timeout=600_000)
                row["upload -> data read s"] = round(time.perf_counter() - t0, 1)
                # an upload opens at the shop total: forecast every SKU
                page.locator(".st-key-_w_data_level").get_by_role("combobox").click()
                page.get_by_role("option", name=t("level.by", "zh", column="商品")).click()
                wait_idle(page, timeout=600_000)
                shot(page, "catalogue_1_data")
                nav(page, "train")
                set_models(page, models)
                t0 = time.perf_counter()
                page.get_by_role("button", name=t("train.button", "zh")).click()
                page.locator("[data-testid='stProgress']").first.wait_for(timeout=120_000)
                page.wait_for_timeout(3_000)
                shot(page, "catalogue_2_progress")
                done = t("train.done", "zh", n=len(models))
                samples = _watch_training(
                    page, done, timeout_s=float(os.environ.get("CATALOGUE_TIMEOUT", 3600))
                )
                row["train s"] = round(time.perf_counter() - t0, 1)
                row["bar values"] = len({round(v, 3) for _, v, _ in samples})
                row["bar labels"] = len({lbl for _, _, lbl in samples})
                still, where = _longest_still(samples)
                row["longest still s"] = round(still, 1)
                print(f"the bar stood still longest ({still:.1f} s) at: {where}", file=sys.stderr)
                wait_idle(page, timeout=600_000)
                t0 = time.perf_counter()
                nav(page, "forecast")
                page.locator(".js-plotly-plot").first.wait_for(timeout=600_000)
                wait_idle(page, timeout=600_000)
                row["forecast page s"] = round(time.perf_counter() - t0, 1)
                t0 = time.perf_counter()
                page.locator(".st-key-fc_overview_on").get_by_text(
                    t("overview.title", "zh")
                ).click()
                page.get_by_role("heading", name=t("overview.title", "zh")).wait_for(
                    timeout=600_000
                )
                wait_idle(page, timeout=600_000)
                row["overview s"] = round(time.perf_counter() - t0, 1)
                page.get_by_role(
                    "heading", name=t("overview.title", "zh")
                ).scroll_into_view_if_needed()
                shot(page, "catalogue_3_overview")
                browser.close()
        finally:
            stop.set()
            watcher.join()
            stop_server(proc)
        row["peak RSS MB (server + workers)"] = round(max(mem or [0.0]))
        firsts = list(dict.fromkeys(lbl for _, _, lbl in samples))
        print("bar labels, in order (first 8):", *firsts[:8], sep="\n  ", file=sys.stderr)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=1000)
    ap.add_argument("--models", default="seasonal_naive,ets,lightgbm", help="comma-separated")
    ap.add_argument("--data-dir", default=None, help="where the generated shop is kept")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: install Debian chromium (make browser-deps)")
        return 1
    folder = Path(args.data_dir or tempfile.mkdtemp(prefix="shopcast-catalogue-data-"))
    folder.mkdir(parents=True, exist_ok=True)
    models = [m for m in args.models.split(",") if m]
    before = os.getloadavg()[0]
    row = run(args.skus, models, folder)
    print()
    print(markdown(pd.DataFrame([row]), floatfmt=".1f"))
    print(f"\nload average (1 min) before/after: {before:.2f} / {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
