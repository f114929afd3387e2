"""Bringing a big catalogue: read 1,000 SKUs x 3 years as CSV, zipped CSV and Parquet.

    .venv/bin/python benchmarks/read_speed.py [--skus 1000] [--repeat 3]

Generates the catalogue once (``generate_shop(n_skus=N)``, seeded, 3 years daily:
``日期, 品类, 商品, 销量, 价格, 折扣, 促销, 成交价, 销售额``; kept in the temp folder for
reruns), writes it as CSV, as a zip of that CSV and as Parquet, then times in a fresh
process per format (so the peak memory is that format's own), best of ``--repeat``:

- ``read``: ``read_table`` (bytes -> raw frame: type, encoding, delimiter, numbers);
- ``load``: ``load`` (read + column mapping + cleaning -> ``SalesData``), what the
  Data page and the CLI do with an upload;
- ``history``: ``SalesData.history()`` at the finest level (the contract frame).

Then the all-series overview (``planning.overview.overview_table``) of those SKUs with a
28-day forecast, best of 5. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._table import markdown  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from forecasting.data import load, read_table
path, repeat = {path!r}, {repeat}
best = {{"read": 1e9, "load": 1e9, "history": 1e9}}
for _ in range(repeat):
    t0 = time.perf_counter(); raw = read_table(path); t1 = time.perf_counter()
    data = load(path); t2 = time.perf_counter()
    hist = data.history(); t3 = time.perf_counter()
    best = {{"read": min(best["read"], t1 - t0), "load": min(best["load"], t2 - t1),
            "history": min(best["history"], t3 - t2)}}
best["rows"], best["series"] = len(raw), hist["unique_id"].nunique()
best["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(best))
"""


def catalogue(n_skus: int, folder: Path) -> Path:
    """The generated catalogue as Parquet (generated once per size)."""
    path = folder / f"catalogue_{n_skus}.parquet"
    if not path.exists():
        from forecasting.data.sample import generate_shop

        t0 = time.perf_counter()
        generate_shop(n_skus=n_skus).to_parquet(path, index=False)
        print(f"generated {n_skus} SKUs in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return path


def write_files(source: Path, folder: Path) -> dict[str, Path]:
    df = pd.read_parquet(source)
    csv = folder / "catalogue.csv"
    df.to_csv(csv, index=False)
    zipped = folder / "catalogue.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv, "catalogue.csv")
    parquet = folder / "catalogue.parquet"
    df.to_parquet(parquet, index=False)  # pyarrow defaults (snappy)
    return {"CSV": csv, "zipped CSV": zipped, "Parquet": parquet}


def measure(path: Path, repeat: int) -> dict:
    code = CHILD.format(root=str(ROOT), path=str(path), repeat=repeat)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def overview_seconds(parquet: Path, horizon: int = 28, repeat: int = 5) -> tuple[float, int]:
    """Best time of the overview table for every SKU with a ``horizon``-day forecast."""
    from forecasting.data import load
    from forecasting.planning.overview import overview_table
    from forecasting.schema import DS, ID, Y, hi_col, lo_col

    hist = load(parquet).history()
    last = hist.groupby(ID, observed=True).tail(horizon)
    fc = pd.DataFrame({ID: last[ID].to_numpy(), DS: last[DS] + pd.Timedelta(days=horizon)})
    fc["seasonal_naive"] = last[Y].to_numpy()
    fc[lo_col("seasonal_naive", 80)] = fc["seasonal_naive"] * 0.8
    fc[hi_col("seasonal_naive", 80)] = fc["seasonal_naive"] * 1.25
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        overview_table(hist, fc, "seasonal_naive")
        times.append(time.perf_counter() - t0)
    return min(times), hist[ID].nunique()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from forecasting.data.readers import MAX_UPLOAD_MB

    cache = Path(tempfile.gettempdir()) / "shopcast_read_speed"
    cache.mkdir(exist_ok=True)
    source = catalogue(args.skus, cache)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = write_files(source, Path(tmp))
        for fmt, path in files.items():
            m = measure(path, args.repeat)
            rows.append(
                {
                    "format": fmt,
                    "file MiB": path.stat().st_size / 2**20,
                    "rows": f"{m['rows']:,}",
                    "series": m["series"],
                    "read s": m["read"],
                    "load s (incl. read)": m["load"],
                    "history s": m["history"],
                    "peak RSS MiB": m["peak_mb"],
                }
            )
        seconds, n = overview_seconds(files["Parquet"])
    print(markdown(pd.DataFrame(rows), floatfmt=".2f"))
    print()
    print(f"- upload limit (and unzipped limit): {MAX_UPLOAD_MB} MiB")
    print(f"- overview table, {n:,} series x 28 days: {seconds * 1000:.0f} ms (best of 5)")


if __name__ == "__main__":
    main()
