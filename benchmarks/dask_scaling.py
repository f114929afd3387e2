"""``--engine dask`` scaling: forecast time with 1, 2 and 4 Dask workers vs the local engine.

    .venv/bin/python benchmarks/dask_scaling.py [--skus 300] [--models seasonal_naive,ets]
        [--workers 1,2,4] [--horizon 28]

Data: ``generate_shop(n_skus=N)`` (3 years daily). Every run trains from scratch (no
model store), with 80/95 bands. Rows:

* ``local, 1 core``: the local engine with ``SHOPCAST_N_JOBS=1`` (after a warm-up on two
  series, so its imports are not counted);
* ``local``: the local engine as shipped (``parallel.n_jobs()``: every core);
* ``dask, N workers``: a ``LocalCluster`` of N processes, one thread each. ``start`` is
  the cluster's start-up; ``first run`` includes the workers' first imports (a CLI run
  with no ``--dask-address`` pays both); ``warm run`` is a second forecast on the same
  cluster (what a long-running ``dask scheduler`` + ``dask worker`` cluster costs).

Each Dask forecast is checked against the local one (``identical``: every column equal).
Prints a Markdown table; times are wall-clock seconds on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def shop(n_skus: int):
    """The generated shop as a contract frame (``unique_id, ds, y``)."""
    from forecasting.data.sample import generate_shop

    raw = generate_shop(n_skus=n_skus)
    out = raw.rename(columns={"商品": "unique_id", "日期": "ds", "销量": "y"})
    out = out[["unique_id", "ds", "y"]].astype({"unique_id": str, "y": float})
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def local_rows(history, config) -> tuple[list[dict], object]:
    from forecasting.engine.forecast import forecast

    rows = []
    few = history[history["unique_id"].isin(history["unique_id"].unique()[:2])]
    forecast(few, "D", config)  # imports and first calls, which the workers pay in "first run"
    old = os.environ.get("SHOPCAST_N_JOBS")
    os.environ["SHOPCAST_N_JOBS"] = "1"
    one, secs = timed(lambda: forecast(history, "D", config))
    rows.append({"engine": "local, 1 core", "first run": secs})
    if old is None:
        os.environ.pop("SHOPCAST_N_JOBS")
    else:
        os.environ["SHOPCAST_N_JOBS"] = old
    _, secs = timed(lambda: forecast(history, "D", config))
    rows.append({"engine": f"local ({os.cpu_count()} cores)", "first run": secs})
    return rows, one.forecast


def dask_row(history, config, workers: int, reference) -> dict:
    import pandas as pd

    from forecasting.engine import distributed as dd

    t0 = time.perf_counter()
    with dd.dask_client(None, workers=workers) as client:
        start = time.perf_counter() - t0
        first, cold = timed(lambda: dd.forecast(history, "D", config, client))
        second, warm = timed(lambda: dd.forecast(history, "D", config, client))
    same = True
    for res in (first, second):
        try:
            pd.testing.assert_frame_equal(res.forecast, reference, check_exact=True)
        except AssertionError:
            same = False
    return {
        "engine": f"dask, {workers} worker{'s' if workers > 1 else ''}",
        "start": start,
        "first run": cold,
        "warm run": warm,
        "identical": "yes" if same else "NO",
    }


def main() -> None:
    import pandas as pd

    from benchmarks._table import markdown
    from forecasting.engine.forecast import TrainConfig

    ap = argparse.ArgumentParser()
    ap.add_argument("--skus", type=int, default=300)
    ap.add_argument("--models", default="seasonal_naive,ets")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--horizon", type=int, default=28)
    args = ap.parse_args()

    history = shop(args.skus)
    config = TrainConfig(models=args.models.split(","), horizon=args.horizon, levels=[80, 95])
    rows, reference = local_rows(history, config)
    for w in (int(x) for x in args.workers.split(",")):
        rows.append(dask_row(history, config, w, reference))
    table = pd.DataFrame(rows)
    base = table.loc[0, "first run"]
    table["speed-up (warm)"] = base / table["warm run"].fillna(table["first run"])
    cols = ["engine", "start", "first run", "warm run", "speed-up (warm)", "identical"]
    table = table.reindex(columns=cols)
    table["identical"] = table["identical"].fillna("")
    print(
        f"{args.skus} SKUs x {history['ds'].nunique()} days, models {args.models}, "
        f"h={args.horizon}, 80/95 bands; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; seconds"
    )
    print()
    print(markdown(table, floatfmt=".1f"))


if __name__ == "__main__":
    main()
