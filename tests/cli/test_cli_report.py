"""``python -m forecasting report`` end to end, in a subprocess: HTML and PDF."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.support import ROOT, make_panel

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<script>alert(1)</script>"


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forecasting", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def shop_csv(tmp_path_factory):
    """Two SKUs over 400 days with Chinese headers; one SKU has a hostile name."""
    df = make_panel(n_series=2, days=400, seed=5)
    df["unique_id"] = df["unique_id"].map({"sku0": HOSTILE, "sku1": "面霜"})
    df = df.rename(columns={"unique_id": "商品", "ds": "日期", "y": "销量", "promo": "促销"})
    df["销量"] = df["销量"].round()
    path = tmp_path_factory.mktemp("report") / "shop.csv"
    df.to_csv(path, index=False)
    return path


def _report(shop_csv, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli(
        "report",
        str(shop_csv),
        "--horizon",
        "14",
        "--models",
        "seasonal_naive",
        "--no-cache",
        "--out",
        str(out),
        *extra,
    )


def test_html_report(shop_csv, tmp_path):
    out = tmp_path / "r.html"
    r = _report(shop_csv, out)
    assert r.returncode == 0, r.stderr
    page = out.read_text("utf-8")
    assert out.stat().st_size < 6 * 1024 * 1024
    assert "<html lang='zh-CN'>" in page and "销量预测报告" in page  # Chinese by default
    assert "<svg" in page and "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the SKU, as text
    assert "WAPE" in page and "回测窗口" in page  # the quick backtest ran (2 windows)
    assert "推荐模型：" in page and "以上数字来自推荐模型" in page and "并非推荐" not in page
    assert "<th>商品</th>" in page  # the top table names what a series is
    assert "Traceback" not in r.stderr


def test_english_and_no_backtest(shop_csv, tmp_path):
    out = tmp_path / "r.html"
    r = _report(shop_csv, out, "--lang", "en", "--windows", "0")
    assert r.returncode == 0, r.stderr
    page = out.read_text("utf-8")
    assert "Sales forecast report" in page and "skipped as asked" in page
    assert "Wrote the report" in r.stdout
    # no backtest chose the model shown: the report does not call it recommended
    assert "not a recommendation" in page and "from the recommended model" not in page
    assert "model shown: Seasonal naive" in page


def _pdf_text_facts(data: bytes) -> tuple[int, bool, bool]:
    """(pages, any text drawn, a CJK font embedded), from the PDF's own objects."""
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    texts = False
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            body = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        if re.search(rb"\bBT\b.*?\bT[jJ]\b.*?\bET\b", body, re.S):
            texts = True
            break
    return pages, texts, b"WenQuanYi" in data


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) absent")
def test_pdf_report(shop_csv, tmp_path):
    out = tmp_path / "r.pdf"
    r = _report(shop_csv, out, "--windows", "0")
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    pages, has_text, cjk_font = _pdf_text_facts(data)
    assert pages >= 1 and has_text
    assert cjk_font  # the Chinese glyphs come from fonts-wqy-microhei


def test_bad_options_are_one_line_before_any_work(shop_csv, tmp_path):
    for args, env in (
        (["--out", str(tmp_path / "r.txt")], None),
        (["--out", str(tmp_path / "no" / "r.html")], None),
        (["--recommend", "ets", "--out", str(tmp_path / "r.html")], None),
        (["--windows", "99", "--out", str(tmp_path / "r.html")], None),
        (["--out", str(tmp_path / "r.pdf")], {"SHOPCAST_CHROMIUM": str(tmp_path / "none")}),
    ):
        r = run_cli("report", str(shop_csv), "--models", "seasonal_naive", *args, env=env)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr
        assert not (tmp_path / "r.html").exists()
    assert "Chromium" in r.stderr  # the last case: a clear line about the missing browser


def test_the_report_leads_with_the_model_the_backtest_supports(shop_csv, tmp_path):
    """Every model is backtested; the recommendation is ``recommend``'s, not the first model."""
    from forecasting.charts.forecast import model_label
    from forecasting.data import load
    from forecasting.evaluation.backtest import backtest
    from forecasting.evaluation.recommend import recommend

    params = '{"lightgbm": {"n_estimators": 30}}'
    out = tmp_path / "r.html"
    args = ("--models", "seasonal_naive,lightgbm", "--params", params, "--lang", "en")
    r = run_cli("report", str(shop_csv), "--horizon", "14", *args, "--no-cache", "--out", str(out))
    assert r.returncode == 0, r.stderr
    history = load(str(shop_csv)).history()
    res = backtest(
        history,
        "D",
        ["seasonal_naive", "lightgbm"],
        14,
        n_windows=2,
        levels=[80],
        model_params={"lightgbm": {"n_estimators": 30}},
    )
    want = recommend(res).model
    line = [x for x in r.stdout.splitlines() if x.startswith("Recommended:")]
    assert line and line[0].startswith(f"Recommended: {model_label(want, 'en')} · typically within")
    page = out.read_text("utf-8")
    row = re.search(r"<tr><td>([^<]*)</td>(?:<td[^>]*>[^<]*</td>)*<td[^>]*>★ recommended", page)
    assert row and row.group(1) == model_label(want, "en")
    # --recommend overrides the backtest's choice
    other = "seasonal_naive" if want == "lightgbm" else "lightgbm"
    r = run_cli(
        "report",
        str(shop_csv),
        "--horizon",
        "14",
        *args,
        "--recommend",
        other,
        "--no-cache",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "Recommended:" not in r.stdout
    row = re.search(
        r"<tr><td>([^<]*)</td>(?:<td[^>]*>[^<]*</td>)*<td[^>]*>★ recommended",
        out.read_text("utf-8"),
    )
    assert row and row.group(1) == model_label(other, "en")
