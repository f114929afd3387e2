"""The hostile-file corpus through the CLI (issue 13).

Every file must end with exit code 0 or 2; a refusal is exactly one line on
stderr (no traceback, no warnings); nothing takes over 60 s; readable files give
the right numbers; and the text columns of the forecast CSV are inert in a
spreadsheet (no cell starting with ``=``, ``+``, ``-`` or ``@``).

Every case runs in-process through ``forecasting.cli.main.main`` (fast); a few
also run as real subprocesses, which is what a user's shell sees.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli.main import main
from tests.hostile.corpus import EITHER, OK, REFUSE, Case, build
from tests.support import ROOT

TIME_LIMIT = 60.0
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_RSS_KB = 3_000_000  # the memory bound: 3 GB per run
SUBPROCESS_CASES = (
    "gap_bomb_csv",
    "decimal_comma_csv",
    "truncated_xlsx",
    "zip_bomb_zip",
    "inf_sales_csv",
    "three_days_csv",
    "formula_names_csv",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, Case]]:
    folder = tmp_path_factory.mktemp("hostile")
    return folder, {c.name: c for c in build(folder)}


NAMES = [c.name for c in build(None)]


def _argv(folder: Path, case: Case, out: Path) -> list[str]:
    return [
        "forecast",
        str(folder / case.file),
        "--horizon",
        "14",
        "--models",
        "seasonal_naive",
        "--no-cache",
        "--out",
        str(out),
        *case.args,
    ]


def _run_in_process(argv: list[str], capsys) -> tuple[int, str, float, list[str]]:
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    return code, err, elapsed, [f"{w.category.__name__}: {w.message}" for w in caught]


def _assert_outcome(case: Case, code: int, err: str, elapsed: float, out: Path) -> None:
    assert elapsed < TIME_LIMIT, f"{case.name} took {elapsed:.0f} s"
    assert code in (0, 2), f"{case.name}: exit {code}: {err}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code == 2:
        assert len(lines) == 1, f"{case.name}: stderr should be one line:\n{err}"
        assert "Traceback" not in err and "{" not in lines[0].replace("{}", "")
    else:
        assert lines == [], f"{case.name}: a successful run printed on stderr:\n{err}"
    want = {OK: 0, REFUSE: 2, EITHER: code}[case.expect]
    assert code == want, f"{case.name}: expected exit {want}, got {code}: {err.strip()}"
    if code == 0 and case.check is not None:
        case.check(pd.read_csv(out, dtype={"unique_id": str}, keep_default_na=False))


@pytest.mark.parametrize("name", NAMES)
def test_corpus_file_through_cli(name, corpus, tmp_path, capsys, request):
    folder, cases = corpus
    case = cases[name]
    if case.xfail:
        request.applymarker(pytest.mark.xfail(reason=case.xfail, strict=False))
    out = tmp_path / "OUT.csv"
    code, err, elapsed, caught = _run_in_process(_argv(folder, case, out), capsys)
    _assert_outcome(case, code, err, elapsed, out)
    assert not caught, f"{name}: warnings: {caught[:3]}"


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith(("formula_names", "odd"))])
def test_forecast_csv_is_inert(name, corpus, tmp_path, capsys):
    folder, cases = corpus
    out = tmp_path / "OUT.csv"
    code, err, _, _ = _run_in_process(_argv(folder, cases[name], out), capsys)
    assert code == 0, err
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    text = frame.select_dtypes(include="object")
    bad = [v for col in text for v in text[col] if v.startswith(FORMULA_START)]
    assert not bad, bad[:5]


def test_hostile_names_survive_unchanged(corpus, tmp_path, capsys):
    """Neutralising belongs to writers: the names a user sees in the app stay as typed."""
    from forecasting.data import load
    from tests.hostile.corpus import SCRIPT_NAMES

    folder, _ = corpus
    data = load(folder / "script_names.csv")
    assert data.series_ids() == sorted(SCRIPT_NAMES)


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_corpus_file_through_real_process(name, corpus, tmp_path, request):
    folder, cases = corpus
    case = cases[name]
    if case.xfail:
        request.applymarker(pytest.mark.xfail(reason=case.xfail, strict=False))
    out = tmp_path / "OUT.csv"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "forecasting", *_argv(folder, case, out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=TIME_LIMIT + 30,
    )
    _assert_outcome(case, proc.returncode, proc.stderr, time.perf_counter() - t0, out)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB, largest child so far
    assert peak < MAX_RSS_KB, f"{name}: a child process used {peak / 1e6:.1f} GB"


def test_corpus_is_big_and_small(corpus):
    folder, cases = corpus
    assert len(cases) >= 40
    sizes = {c.file: (folder / c.file).stat().st_size for c in cases.values()}
    assert max(sizes.values()) < 1_000_000, max(sizes.items(), key=lambda kv: kv[1])
