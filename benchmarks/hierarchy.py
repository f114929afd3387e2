"""Coherent forecasts across levels: WAPE and 80% coverage per level, per reconciliation method.

    .venv/bin/python benchmarks/hierarchy.py [--dataset sample|walmart|both]
        [--models seasonal_naive,ets] [--windows 6] [--scored N] [--cv-cache DIR]

Data (every level cut from one ``SalesData``, as the app and the CLI cut them):

- ``sample``: the sample shop (``forecasting.data.sample.generate_shop``: 30 SKUs in 4
  categories, 3 years daily), levels total -> 品类 -> 商品, h=28.
- ``walmart``: ../shared/data/walmart_weekly, 4 stores (seeded) x up to 15 complete
  departments each (seeded), levels total -> Store -> Dept, weekly, h=13.

Protocol: a rolling-origin backtest (``--windows`` cut-offs, ``step = h``, every model
refitted at each cut-off) at every level. The last ``--scored`` windows are scored (3
on the sample; 2 on Walmart, where AutoETS with a 52-week season gives no forecast
before two years of history, i.e. in the first 3 windows); the residuals MinT (and the
bottom-up correlation) use at a cut-off are the errors of the earlier windows only,
dated on or before it (no peeking). A model left without enough residuals there is
reported as such rather than scored.

Methods: ``base`` (each level forecast on its own: not coherent), ``bottom_up`` (SKU
forecasts summed; aggregate bands from independent errors), ``bottom_up rho=0.5`` (an
assumed error correlation of 0.5 between SKUs), ``bottom_up+corr`` (the residuals'
correlation), ``ols``, ``wls_struct``, ``mint_shrink``. Printed: WAPE and 80% band coverage at each level, the largest
incoherence (|sum of the SKUs - the total| / total, max over dates) and the time the
reconciliation took.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

from benchmarks._table import markdown  # noqa: E402
from forecasting.schema import CUTOFF, DS, ID, Y, hi_col, lo_col  # noqa: E402

# row name -> (method, uses the residuals, rho for bottom-up bands without residuals)
SCORED = {"sample": 3, "walmart": 2}  # windows scored by default (see above)
METHODS = {
    "base": (None, False, 0.0),
    "bottom_up": ("bottom_up", False, 0.0),
    "bottom_up rho=0.5": ("bottom_up", False, 0.5),
    "bottom_up+corr": ("bottom_up", True, 0.0),
    "ols": ("ols", False, 0.0),
    "wls_struct": ("wls_struct", False, 0.0),
    "mint_shrink": ("mint_shrink", True, 0.0),
}


def sample_data():
    from forecasting.data import load_frame
    from forecasting.data.sample import generate_shop

    return load_frame(generate_shop(n_skus=30), name="sample"), 28


def walmart_data(stores: int = 4, depts: int = 15):
    from forecasting.data import load_frame

    raw = pd.read_csv(DATA / "walmart_weekly" / "train.csv.zip")
    n_weeks = raw["Date"].nunique()
    counts = raw.groupby(["Store", "Dept"])["Date"].nunique()
    complete = counts[counts == n_weeks].reset_index()[["Store", "Dept"]]
    rng = np.random.default_rng(0)
    chosen = rng.choice(sorted(complete["Store"].unique()), size=stores, replace=False)
    keep = []
    for s in sorted(chosen):
        ds = complete.loc[complete["Store"] == s, "Dept"].to_numpy()
        keep += [(s, d) for d in rng.choice(ds, size=min(depts, len(ds)), replace=False)]
    pick = pd.MultiIndex.from_tuples(keep, names=["Store", "Dept"])
    raw = raw.set_index(["Store", "Dept"]).loc[pick].reset_index()
    raw = raw[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]]
    data = load_frame(
        raw, name="walmart", date="Date", target="Weekly_Sales", ids=["Store", "Dept"]
    )
    return data, 13


def backtest_levels(data, models: list[str], h: int, windows: int) -> tuple[pd.DataFrame, float]:
    """One backtest per level, stacked; and its wall time."""
    from forecasting.evaluation.backtest import cross_validation

    t0 = time.perf_counter()
    parts = []
    for level in data.levels():
        hist = data.history(level)
        cv = cross_validation(hist, data.freq, models, h, n_windows=windows, levels=(80,))
        parts.append(cv)
    return pd.concat(parts, ignore_index=True), time.perf_counter() - t0


def reconciled(cv: pd.DataFrame, hier, method: str, cut) -> tuple[pd.DataFrame, float]:
    """The forecasts of window ``cut`` under ``method`` (residuals of earlier windows)."""
    from forecasting.engine.reconcile import reconcile, residuals_from_backtest

    now = cv[cv[CUTOFF] == cut].drop(columns=[CUTOFF, Y])
    name, uses_residuals, rho = METHODS[method]
    if name is None:
        return now, 0.0
    past = cv[(cv[CUTOFF] < cut) & (cv[DS] <= cut)]
    res = residuals_from_backtest(past) if uses_residuals else None
    t0 = time.perf_counter()
    out = reconcile(now, hier, name, residuals=res, rho=rho).forecast
    return out, time.perf_counter() - t0


def score(fc: pd.DataFrame, actual: pd.DataFrame, models: list[str], level_of: dict) -> list[dict]:
    df = fc.merge(actual, on=[ID, DS], how="inner")
    df["level"] = df[ID].map(level_of)
    rows = []
    for m in models:
        for level, g in df.groupby("level", sort=False):
            err = np.abs(g[Y] - g[m]).sum()
            inside = (g[Y] >= g[lo_col(m, 80)]) & (g[Y] <= g[hi_col(m, 80)])
            rows.append(
                {
                    "model": m,
                    "level": level,
                    "abs_err": err,
                    "abs_y": np.abs(g[Y]).sum(),
                    "inside": inside.sum(),
                    "n": len(g),
                }
            )
    return rows


def incoherence(fc: pd.DataFrame, model: str, bottoms: set, total: str) -> float:
    tot = fc[fc[ID] == total].set_index(DS)[model]
    summed = fc[fc[ID].isin(bottoms)].groupby(DS)[model].sum()
    return float((np.abs(summed - tot) / np.abs(tot)).max())


def run(
    name: str, models: list[str], windows: int, scored: int | None, cache: Path | None = None
) -> pd.DataFrame:
    from forecasting.engine.reconcile import build_hierarchy
    from forecasting.planning.scenarios import hierarchy_from_data

    data, h = sample_data() if name == "sample" else walmart_data()
    hier = build_hierarchy(hierarchy_from_data(data))
    level_of = dict(zip(hier.nodes, hier.levels, strict=True))
    saved = cache / f"cv_{name}_{'_'.join(models)}_{windows}.parquet" if cache else None
    if saved is not None and saved.exists():
        cv, seconds = pd.read_parquet(saved), float("nan")
    else:
        cv, seconds = backtest_levels(data, models, h, windows)
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            cv.to_parquet(saved, index=False)
    missing = {m: int(cv[m].isna().sum()) for m in models}
    scored = scored or SCORED[name]
    cuts = sorted(cv[CUTOFF].unique())[-scored:]
    rows = []
    for method in METHODS:
        spent, worst = 0.0, {m: 0.0 for m in models}
        for cut in cuts:
            fc, took = reconciled(cv, hier, method, cut)
            spent += took
            actual = cv.loc[cv[CUTOFF] == cut, [ID, DS, Y]]
            rows += [dict(r, method=method) for r in score(fc, actual, models, level_of)]
            for m in models:
                worst[m] = max(worst[m], incoherence(fc, m, set(hier.bottoms), hier.nodes[0]))
        for r in rows:
            if r["method"] == method:
                r["incoherence"], r["seconds"] = worst[r["model"]], spent / len(cuts)
    scores = pd.DataFrame(rows)
    levels = hier.level_names()
    out = []
    for (model, method), g in scores.groupby(["model", "method"], sort=False):
        by = g.groupby("level")[["abs_err", "abs_y", "inside", "n"]].sum()
        row = {"data": name, "model": model, "method": method}
        for k, lv in enumerate(levels):
            row[f"WAPE {_tag(k, levels)}"] = by.loc[lv, "abs_err"] / by.loc[lv, "abs_y"]
        for k, lv in enumerate(levels):
            row[f"cov80 {_tag(k, levels)}"] = by.loc[lv, "inside"] / by.loc[lv, "n"]
        row["max incoherence"] = g["incoherence"].max()
        row["reconcile ms"] = g["seconds"].iloc[0] * 1000
        out.append(row)
    print(
        f"{name}: levels {' -> '.join(levels)}, {hier.n_bottom} bottom series, "
        f"{len(hier.nodes)} nodes, h={h}, {windows} windows ({scored} scored), "
        f"backtest {seconds:.0f} s, forecasts missing in the backtest: {missing}",
        file=sys.stderr,
    )
    return pd.DataFrame(out)


def _tag(k: int, levels: list[str]) -> str:
    return ("total", "middle", "bottom")[k] if len(levels) == 3 else str(k)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="both", choices=["sample", "walmart", "both"])
    ap.add_argument("--models", default="seasonal_naive,ets")
    ap.add_argument("--windows", type=int, default=6)
    ap.add_argument("--scored", type=int, help="windows scored (default 3 sample, 2 walmart)")
    ap.add_argument("--cv-cache", type=Path, help="keep/reuse the per-level backtests here")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    sets = ["sample", "walmart"] if args.dataset == "both" else [args.dataset]
    if "walmart" in sets and not (DATA / "walmart_weekly").exists():
        print("walmart: ../shared/data/walmart_weekly is absent, skipped", file=sys.stderr)
        sets.remove("walmart")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    table = pd.concat([run(s, models, args.windows, args.scored, args.cv_cache) for s in sets])
    table = table.sort_values(["data", "model"], kind="stable")
    print(markdown(table, floatfmt=".3f"))


if __name__ == "__main__":
    main()
