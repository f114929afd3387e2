"""Catalogue scale: wall time and peak memory of the CLI forecast as the SKU count grows.

    .venv/bin/python benchmarks/scale.py [--skus 100,300,1000] [--models seasonal_naive,ets,lightgbm]
        [--models ensemble] [--ensemble-max 300] [--jobs N] [--data-dir DIR]

Each run is ``python -m forecasting forecast SHOP.csv --horizon 28 --level 80 95 --models M
--no-cache`` in its own process, on the project's generator (``generate_shop(n_skus=N)``:
3 years of daily sales, drivers included). Memory: the peak resident set of the CLI
process (``/usr/bin/time -v`` when present, else ``getrusage`` of the children) and the
peak of the CLI process *plus* its worker processes (``/proc`` sampled every 0.2 s), since
work spread over processes counts in full. ``--skus 10000`` is accepted (long: generating
the data alone takes minutes; the file and grid limits are raised for it, see
``limits_for``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._table import markdown  # noqa: E402

DEFAULT_SETS = ["seasonal_naive,ets,lightgbm", "ensemble"]
GNU_TIME = "/usr/bin/time"


def shop_file(n: int, folder: Path) -> Path:
    """The generated shop with ``n`` SKUs as CSV (made once per folder)."""
    path = folder / f"shop_{n}.csv"
    if not path.exists():
        from forecasting.data.sample import generate_shop

        generate_shop(n_skus=n).to_csv(path, index=False)
    return path


def limits_for(n: int, path: Path) -> dict[str, str]:
    """The operator settings a catalogue beyond the default limits needs (10,000 SKUs:
    a 630 MB CSV and 11 million grid cells), as environment variables; none below."""
    from forecasting.data.aggregation import GRID_BUDGET, GRID_BUDGET_ENV
    from forecasting.data.readers import MAX_BYTES, MAX_FILE_MB_ENV

    out = {}
    size = path.stat().st_size
    if size > MAX_BYTES:
        out[MAX_FILE_MB_ENV] = str(size // 2**20 + 1)
    cells = n * 1_100  # 3 years of days per SKU, with room
    if cells > GRID_BUDGET:
        out[GRID_BUDGET_ENV] = str(cells)
    if out:
        print(f"{n} SKUs: raising the limits with {out}", file=sys.stderr, flush=True)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and every process below it (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
        kb = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
        if ppid:
            children.setdefault(int(ppid.group(1)), []).append(int(entry))
        rss[int(entry)] = int(kb.group(1)) if kb else 0
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 1024


def run_cli(path: Path, models: str, out: Path, env: dict) -> dict:
    """One CLI forecast in a subprocess: wall seconds, peak RSS (main, tree), exit code."""
    cli = [sys.executable, "-m", "forecasting", "forecast", str(path), "--horizon", "28"]
    cli += ["--level", "80", "95", "--models", models, "--no-cache", "--out", str(out)]
    gnu = Path(GNU_TIME).exists()
    cmd = [GNU_TIME, "-v", *cli] if gnu else cli
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=env["_ROOT"]
    )
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    watcher.join()
    if gnu:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        main_mb = int(found.group(1)) / 1024 if found else float("nan")
    else:  # the largest child so far: right when this run is the largest
        main_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    if proc.returncode:
        print(stderr[-2000:], file=sys.stderr)
    return {"wall": wall, "main_mb": main_mb, "tree_mb": peak[0], "rc": proc.returncode}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", default="100,300,1000", help="comma-separated SKU counts")
    ap.add_argument("--models", action="append", help="a model set, comma-separated (repeatable)")
    ap.add_argument(
        "--ensemble-max", type=int, default=300, help="largest SKU count for a set with ensemble"
    )
    ap.add_argument("--jobs", type=int, help="SHOPCAST_N_JOBS for the runs (default: all cores)")
    ap.add_argument("--data-dir", help="where the generated shops are kept (default: a temp dir)")
    args = ap.parse_args()
    sets = args.models or DEFAULT_SETS
    sizes = [int(s) for s in args.skus.split(",") if s.strip()]
    root = Path(__file__).resolve().parents[1]
    folder = Path(args.data_dir or tempfile.mkdtemp(prefix="shopcast-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "_ROOT": str(root), "SHOPCAST_LANG": "en"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if args.jobs:
        env["SHOPCAST_N_JOBS"] = str(args.jobs)
    rows = []
    for n in sizes:
        path = shop_file(n, folder)
        for models in sets:
            if "ensemble" in models.split(",") and n > args.ensemble_max:
                continue
            res = run_cli(path, models, folder / f"fc_{n}.csv", {**env, **limits_for(n, path)})
            rows.append(
                {
                    "SKUs": n,
                    "models": models.replace(",", ", "),
                    "wall s": round(res["wall"], 1),
                    "s per SKU": round(res["wall"] / n, 3),
                    "peak RSS MB (CLI)": round(res["main_mb"]),
                    "peak RSS MB (CLI + workers)": round(res["tree_mb"]),
                    "exit": res["rc"],
                }
            )
            print(rows[-1], file=sys.stderr, flush=True)
    import pandas as pd

    cores = os.cpu_count()
    jobs = args.jobs or "all"
    print(f"\n{cores} cores, SHOPCAST_N_JOBS={jobs}, h=28, levels 80/95, --no-cache\n")
    print(markdown(pd.DataFrame(rows), floatfmt=".3f"))


if __name__ == "__main__":
    main()
