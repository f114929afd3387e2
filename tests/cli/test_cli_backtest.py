"""``backtest`` subcommand: parsed by a small parser here (and by cli.main once wired)."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from forecasting.cli.backtest import add_parser, cmd_backtest
from forecasting.errors import ShopcastError
from tests.support import make_panel


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m forecasting")
    p.add_argument("--lang", default="en")
    add_parser(p.add_subparsers(dest="command", required=True))
    return p.parse_args(list(argv))


@pytest.fixture()
def shop_csv(tmp_path):
    """A shop export with Chinese headers, two SKUs and a promo column."""
    df = make_panel(n_series=2, days=150, seed=5).rename(
        columns={"unique_id": "商品", "ds": "日期", "y": "销量", "promo": "促销"}
    )
    path = tmp_path / "sales.csv"
    df.to_csv(path, index=False, encoding="gbk")
    return path


def test_backtest_writes_tidy_metrics_and_prints_leaderboard(shop_csv, tmp_path, capsys):
    out, cv_out, fest = tmp_path / "m.csv", tmp_path / "cv.csv", tmp_path / "fest.csv"
    args = parse(
        "backtest",
        str(shop_csv),
        "-H",
        "7",
        "--windows",
        "3",
        "--models",
        "seasonal_naive",
        "--level",
        "80",
        "--out",
        str(out),
        "--cv-out",
        str(cv_out),
        "--festival-out",
        str(fest),
    )
    assert cmd_backtest(args) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["unique_id", "metric", "seasonal_naive"]
    assert set(table["unique_id"].astype(str)) == {"all", "sku0", "sku1"}
    assert {"wape", "mase", "coverage_80"} <= set(table["metric"])
    cv = pd.read_csv(cv_out, parse_dates=["ds", "cutoff"])
    assert cv["cutoff"].nunique() == 3 and len(cv) == 2 * 7 * 3
    assert (cv["ds"] > cv["cutoff"]).all()
    assert "festival" in pd.read_csv(fest).columns
    printed = capsys.readouterr().out
    assert "rank" in printed and "seasonal_naive" in printed and "3 windows" in printed


def test_overall_only_aggregate_and_step(shop_csv, tmp_path):
    out = tmp_path / "m.csv"
    args = parse(
        "backtest",
        str(shop_csv),
        "-H",
        "7",
        "-n",
        "2",
        "--step",
        "3",
        "--aggregate",
        "total",
        "--models",
        "seasonal_naive",
        "--overall-only",
        "--out",
        str(out),
    )
    assert cmd_backtest(args) == 0
    assert set(pd.read_csv(out)["unique_id"]) == {"all"}


def test_auto_and_plan(shop_csv, tmp_path, capsys):
    out = tmp_path / "m.csv"
    raw = pd.read_csv(shop_csv, encoding="gbk")
    plan = raw[["日期", "商品", "促销"]].tail(4).assign(促销=1)  # covers the last backtest days
    plan_path = tmp_path / "plan.csv"
    plan.to_csv(plan_path, index=False)
    params = '{"auto": {"members": ["seasonal_naive"], "windows": 1}}'
    args = parse(
        "--lang",
        "zh",
        "backtest",
        str(shop_csv),
        "-H",
        "7",
        "-n",
        "2",
        "--models",
        "seasonal_naive,auto",
        "--params",
        params,
        "--future",
        str(plan_path),
        "--out",
        str(out),
    )
    assert cmd_backtest(args) == 0
    captured = capsys.readouterr()
    assert "auto" in pd.read_csv(out).columns and "排行榜" in captured.out
    assert "--future" not in captured.err  # the plan was used
    late = tmp_path / "late.csv"  # a plan for dates after the history: not used, and said so
    plan.assign(日期=pd.to_datetime(plan["日期"]) + pd.Timedelta(days=60)).to_csv(late, index=False)
    args = parse(
        "backtest",
        str(shop_csv),
        "-H",
        "7",
        "-n",
        "1",
        "--models",
        "seasonal_naive",
        "--future",
        str(late),
        "--out",
        str(out),
    )
    assert cmd_backtest(args) == 0
    assert "--future" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["-H", "28", "-n", "9"], "backtest_too_long"),
        (["--models", "nope"], "unknown_model"),
        (["-n", "0"], "option_range"),
        (["--params", "[1"], "bad_params_json"),
    ],
)
def test_bad_settings_are_shopcast_errors(shop_csv, tmp_path, argv, key):
    args = parse("backtest", str(shop_csv), *argv, "--out", str(tmp_path / "m.csv"))
    with pytest.raises(ShopcastError) as err:
        cmd_backtest(args)
    assert err.value.key == key
    assert not (tmp_path / "m.csv").exists()


def test_missing_file(tmp_path):
    with pytest.raises(ShopcastError) as err:
        cmd_backtest(parse("backtest", str(tmp_path / "nope.csv"), "--out", "m.csv"))
    assert err.value.key == "file_not_found"


def test_through_main_once_wired(shop_csv, tmp_path, capsys):
    from forecasting.cli import main as cli

    sub = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    if not sub or "backtest" not in sub[0].choices:
        pytest.skip("backtest is not wired into forecasting/cli.py yet")
    out = tmp_path / "m.csv"
    code = cli.main(
        [
            "--lang",
            "en",
            "backtest",
            str(shop_csv),
            "-H",
            "7",
            "-n",
            "2",
            "--models",
            "seasonal_naive",
            "--out",
            str(out),
        ]
    )
    assert code == 0 and out.exists()
    code = cli.main(
        [
            "--lang",
            "en",
            "backtest",
            str(shop_csv),
            "-H",
            "28",
            "-n",
            "9",
            "--models",
            "seasonal_naive",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Backtest too long" in err and "Traceback" not in err
