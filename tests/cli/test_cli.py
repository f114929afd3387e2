"""The CLI end to end, in a subprocess, as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecasting.schema import hi_col, lo_col
from tests.support import ROOT, make_panel, shared_file


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forecasting", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
    )


@pytest.fixture()
def chinese_csv(tmp_path):
    """A GBK shop export with Chinese headers and a promo column."""
    df = make_panel(n_series=2, days=400, seed=3).rename(
        columns={"unique_id": "商品", "ds": "日期", "y": "销量", "promo": "促销"}
    )
    df["销量"] = df["销量"].round()
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False, encoding="gbk")
    return path


def test_forecast_writes_contract(chinese_csv, tmp_path):
    out = tmp_path / "f.csv"
    r = run_cli(
        "forecast",
        str(chinese_csv),
        "--horizon",
        "14",
        "--models",
        "seasonal_naive,ets",
        "--level",
        "80",
        "95",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    fc = pd.read_csv(out, parse_dates=["ds"])
    for m in ("seasonal_naive", "ets"):
        assert {m, lo_col(m, 80), hi_col(m, 95)} <= set(fc.columns)
    assert fc.groupby("unique_id").size().eq(14).all()
    assert set(fc["unique_id"]) == {"sku0", "sku1"}
    assert "Traceback" not in r.stderr


def test_bad_input_is_one_line_exit_2(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(np.random.default_rng(0).bytes(2000))
    for args in (
        ["forecast", str(junk), "--out", str(tmp_path / "o.csv")],
        ["forecast", str(tmp_path / "missing.csv"), "--out", "o.csv"],
        ["forecast", str(junk), "--models", "nope", "--out", "o.csv"],
        ["forecast", str(junk), "--horizon", "x", "--out", "o.csv"],
        ["forecast", str(junk), "--horizon", "100000", "--out", str(tmp_path / "o.csv")],
        ["forecast", str(junk), "--out", str(tmp_path)],  # a folder: refused before reading
        ["forecast", str(junk), "--out", str(tmp_path / "o.pdf")],
        ["backtest", str(junk), "--windows", "100000", "--out", str(tmp_path / "m.csv")],
        ["sample", "--out-dir", str(junk)],
    ):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr


def test_errors_in_chosen_language(tmp_path):
    r = run_cli("--lang", "en", "forecast", str(tmp_path / "missing.csv"), "--out", "o.csv")
    assert "not found" in r.stderr
    r = run_cli("--lang", "zh", "forecast", str(tmp_path / "missing.csv"), "--out", "o.csv")
    assert "找不到文件" in r.stderr


def test_too_short_history_is_explained(tmp_path):
    """Too short for ETS: its fallback chain forecasts and the summary says so; too short
    for anything: a clear message, exit code 2."""
    df = make_panel(n_series=1, days=10).rename(columns={"ds": "date", "y": "sales"})
    path = tmp_path / "short.csv"
    df.drop(columns=["unique_id"]).to_csv(path, index=False)
    out = tmp_path / "o.csv"
    r = run_cli("--lang", "en", "forecast", str(path), "--models", "ets", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "seasonal_naive" in r.stdout and "fallback" in r.stdout.lower()
    assert pd.read_csv(out)["ets"].notna().all()
    df.head(3).drop(columns=["unique_id"]).to_csv(path, index=False)
    r = run_cli("--lang", "en", "forecast", str(path), "--models", "ets", "--out", str(out))
    assert r.returncode == 2
    assert "at least 4" in r.stderr.lower() and "Traceback" not in r.stderr


def test_rossmann_with_promo_future(tmp_path):
    """Forecast 42 days of 5 real stores with the known Promo calendar as --future."""
    train = pd.read_csv(shared_file("rossmann100", "train.csv"), low_memory=False)
    train = train[train["Store"].isin(sorted(train["Store"].unique())[:5])]
    train["Date"] = pd.to_datetime(train["Date"])
    cut = train["Date"].max() - pd.Timedelta(days=42)
    hist, fut = train[train["Date"] <= cut], train[train["Date"] > cut]
    hist_path, fut_path, out = tmp_path / "hist.csv", tmp_path / "fut.csv", tmp_path / "f.csv"
    hist.to_csv(hist_path, index=False)
    fut.drop(columns=["Sales", "Customers"]).to_csv(fut_path, index=False)
    r = run_cli(
        "forecast",
        str(hist_path),
        "--horizon",
        "42",
        "--models",
        "lightgbm",
        "--future",
        str(fut_path),
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert fc["unique_id"].nunique() == 5 and len(fc) == 5 * 42
    merged = fut.assign(unique_id=fut["Store"].astype(str)).merge(
        fc.assign(unique_id=fc["unique_id"].astype(str)),
        left_on=["unique_id", "Date"],
        right_on=["unique_id", "ds"],
    )
    wape = (merged["Sales"] - merged["lightgbm"]).abs().sum() / merged["Sales"].sum()
    assert wape < 0.25, f"Rossmann 42-day WAPE {wape:.3f}"
    # Promo days must be forecast higher than non-promo days (the driver is used).
    open_days = merged[merged["Open"] == 1]
    by_promo = open_days.groupby("Promo")["lightgbm"].mean()
    assert by_promo[1] > by_promo[0]


def test_sample_command_regenerates(tmp_path):
    r = run_cli("sample", "--out-dir", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    a = pd.read_csv(tmp_path / "s" / "shop_sales.csv")
    b = pd.read_csv(ROOT / "sample_data" / "shop_sales.csv")
    pd.testing.assert_frame_equal(a, b)
