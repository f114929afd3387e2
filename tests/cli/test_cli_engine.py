"""``--engine local|dask`` on the command line: the Dask options are checked before any
work, a cluster that cannot be reached is one translated line (exit 2), and
``forecast``, ``backtest`` and ``scenario`` write the local engine's numbers.

Runs in-process through ``forecasting.cli.main.main``; one local Dask cluster (a single
worker process) serves the module through ``--dask-address``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.cli.test_cli_outputs import (  # noqa: F401 (private_key: autouse)
    private_key,
    run,
    sales_csv,
    scenario_file,
)

pytest.importorskip("distributed")

# global models run whole on one worker: only BLAS's thread count differs from here
RTOL = 1e-9


@pytest.fixture(scope="module")
def address():
    from forecasting.engine.distributed import dask_client, describe

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHOPCAST_N_JOBS", "1")  # the local runs here: no pool beside the cluster
        with dask_client(None, workers=1) as client:
            yield describe(client)[0]


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    return sales_csv(tmp_path_factory.mktemp("engine"), n_series=4, days=150, seed=6)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--dask-address", "tcp://127.0.0.1:8786"], "--dask-address only applies"),
        (["--dask-workers", "2"], "--dask-workers only applies"),
        (["--engine", "dask", "--dask-workers", "0"], "--dask-workers"),
        (
            ["--engine", "dask", "--dask-workers", "2", "--dask-address", "tcp://h:1"],
            "has its own workers",
        ),
    ],
)
@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_dask_options_are_checked_first(command, options, says, tmp_path, capsys):
    missing = str(tmp_path / "missing.csv")  # refused before the input is even looked at
    code, _, err = run(capsys, command, missing, "--out", str(tmp_path / "o.csv"), *options)
    assert code == 2
    assert says in err and "missing.csv" not in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unreachable_scheduler_is_one_line(sales, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SHOPCAST_DASK_TIMEOUT", "1")
    argv = ["forecast", str(sales), "-H", "7", "--models", "seasonal_naive", "--no-cache"]
    argv += ["--engine", "dask", "--dask-address", "tcp://127.0.0.1:9"]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "f.csv"))
    assert code == 2
    assert err.startswith("error: Cannot reach a Dask scheduler at tcp://127.0.0.1:9")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "f.csv").exists()
    code, _, err = run(capsys, "--lang", "zh", *argv, "--out", str(tmp_path / "f.csv"))
    assert code == 2 and "无法连接" in err


def test_forecast_on_dask_writes_the_local_forecast(address, sales, tmp_path, capsys):
    argv = ["forecast", str(sales), "-H", "7", "--models", "seasonal_naive,ridge", "--no-cache"]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "local.csv"))
    assert code == 0, err
    code, out, err = run(
        capsys,
        *argv,
        "--engine",
        "dask",
        "--dask-address",
        address,
        "--out",
        str(tmp_path / "d.csv"),
    )
    assert code == 0, err
    assert f"Dask cluster {address}: 1 workers" in err
    here = pd.read_csv(tmp_path / "local.csv")
    there = pd.read_csv(tmp_path / "d.csv")
    pd.testing.assert_frame_equal(there, here, check_exact=False, rtol=RTOL)
    naive = ["unique_id", "ds", "seasonal_naive", "seasonal_naive-lo-95", "seasonal_naive-hi-95"]
    pd.testing.assert_frame_equal(there[naive], here[naive], check_exact=True)
    assert "trained" in out


def test_backtest_on_dask_writes_the_local_metrics(address, sales, tmp_path, capsys):
    argv = ["backtest", str(sales), "-H", "7", "--windows", "2", "--models", "seasonal_naive"]
    argv += ["--cv-out"]
    code, _, err = run(
        capsys, *argv, str(tmp_path / "lcv.csv"), "--out", str(tmp_path / "local.csv")
    )
    assert code == 0, err
    code, _, err = run(
        capsys,
        *argv,
        str(tmp_path / "dcv.csv"),
        "--engine",
        "dask",
        "--dask-address",
        address,
        "--out",
        str(tmp_path / "d.csv"),
    )
    assert code == 0, err
    assert f"Dask cluster {address}" in err
    for name in ("cv", ""):
        here = pd.read_csv(tmp_path / ("lcv.csv" if name else "local.csv"))
        there = pd.read_csv(tmp_path / ("dcv.csv" if name else "d.csv"))
        pd.testing.assert_frame_equal(there, here, check_exact=True)


def test_scenario_on_dask_writes_the_local_kpis(address, sales, tmp_path, capsys):
    window = {"start": "2023-06-02", "end": "2023-06-05"}
    spec = scenario_file(
        tmp_path, name="promo week", target="all", window=window, discount=0.2, promo=True
    )
    argv = ["scenario", str(sales), "--scenario", str(spec), "-H", "7", "--models", "ridge"]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "l.csv"))
    assert code == 0, err
    dask = ["--engine", "dask", "--dask-address", address]
    code, _, err = run(capsys, *argv, *dask, "--out", str(tmp_path / "d.csv"))
    assert code == 0, err
    assert f"Dask cluster {address}" in err
    for name in ("{}.csv", "{}_kpis.csv"):
        here = pd.read_csv(tmp_path / name.format("l"))
        there = pd.read_csv(tmp_path / name.format("d"))
        pd.testing.assert_frame_equal(there, here, check_exact=False, rtol=RTOL)
