"""Fit + predict time per model on the sample shop, and `import forecasting` time.

    .venv/bin/python benchmarks/speed.py [--models a,b] [--horizon 28] [--repeat 1]

Prints a Markdown table (paste it into the README). Every run trains from
scratch (no model store). Times are wall-clock seconds on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def import_time() -> float:
    code = "import time; t=time.perf_counter(); import forecasting; print(time.perf_counter()-t)"
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(5)
    ]
    return min(runs)


def bench(history, freq: str, name: str, horizon: int, params: dict) -> tuple[float, float, float]:
    from forecasting.models import create

    t0 = time.perf_counter()
    model = create(name, **params.get(name, {}))
    model.fit(history, freq=freq)
    t1 = time.perf_counter()
    model.predict(horizon, level=[])
    t2 = time.perf_counter()
    model.predict(horizon, level=[80, 95])  # conformal calibration (refits) happens here
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def backtest_time(history, freq: str, models: list[str], horizon: int, windows: int) -> float:
    from forecasting.evaluation.backtest import cross_validation

    t0 = time.perf_counter()
    cross_validation(history, freq, models, horizon, n_windows=windows)
    return time.perf_counter() - t0


def main() -> None:
    from forecasting.data import load
    from forecasting.data.sample import sample_path
    from forecasting.models import available

    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(available()))
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--skip-models", action="store_true", help="only the backtest timing")
    args = ap.parse_args()
    data = load(sample_path("csv"))
    sku = data.history()
    one = data.history(level="total")
    cases = [
        ("1 series (total), 3y daily", one),
        (f"{sku['unique_id'].nunique()} SKUs, 3y daily", sku),
    ]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"import forecasting: {import_time() * 1000:.0f} ms (best of 5, fresh interpreter)\n")
    from forecasting.models import DEFAULT_MODELS

    for names in (list(DEFAULT_MODELS), ["auto"]):
        secs = backtest_time(one, data.freq, names, args.horizon, 3)
        print(
            f"backtest, 1 series (total, 3y daily), h={args.horizon}, 3 windows, "
            f"{'+'.join(names)}: {secs:.1f} s",
            flush=True,
        )
    if args.skip_models:
        return
    print()
    print("| model | data | fit s | predict s | intervals s | total s |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.models.split(","):
        for label, hist in cases:
            fit, pred, ints = bench(hist, data.freq, name, args.horizon, {})
            print(
                f"| {name} | {label} | {fit:.1f} | {pred:.2f} | {ints:.1f} | "
                f"{fit + pred + ints:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
