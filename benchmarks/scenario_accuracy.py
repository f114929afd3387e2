"""Do scenarios recover known effects? And how fast are they once a model is fitted?

    .venv/bin/python benchmarks/scenario_accuracy.py [--response-only]
        [--models lightgbm,prophet,mlp] [--rossmann-models lightgbm] [--no-rossmann] [--no-speed]

0. The fitted response (``scenarios.fit_response``) that every scenario number uses:
   sample shop uplift of x% off + promotion vs none against the truth, Rossmann promo
   on/off against history, and the time of a slider change on a cached forecast.
   Sections 1-3 are diagnostics of what each forecasting model learned by itself.

1. Sample shop (``forecasting.data.sample``, true effects known): the learned uplift of
   "20% off + promotion flag" (and 10%, 30%) vs no promotion, on non-festival days
   after the Double-11 dip, for windows of 1, 5 and 14 days. Truth:
   ``exp(2 x discount) x 1.1 - 1``. Also the change in the 7 days after the window
   (truth: 0 — the sample has no carry-over outside festivals).
2. Rossmann (``../shared/data/rossmann100``, skipped when absent): promotion on every
   open weekday for the next 6 weeks (and on alternate weeks, Rossmann's usual
   rhythm) vs off, compared with the historical promo / non-promo sales ratio on
   open weekdays.
3. Speed: baseline + 4 scenarios and the KPI table with a fitted LightGBM.

Every model is fitted once, from scratch (no model store). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROSSMANN = ROOT.parent / "shared" / "data" / "rossmann100" / "train.csv"
WINDOWS = {
    "1 day": ("2026-11-23", "2026-11-23"),
    "5 days": ("2026-11-23", "2026-11-27"),
    "14 days": ("2026-11-23", "2026-12-06"),
}
VALUES = (0.1, 0.2, 0.3)
PARAMS = {"prophet": {"uncertainty_samples": 0}}


def fit(name: str, history: pd.DataFrame):
    from forecasting.models import create

    t0 = time.perf_counter()
    model = create(name, **PARAMS.get(name, {}))
    model.fit(history, freq="D")
    model.calibration_windows = 0  # point forecasts only here: no interval refits
    return model, time.perf_counter() - t0


def response_rows() -> list[dict]:
    """The fitted response behind every scenario number vs the truth / history."""
    from forecasting.data import load
    from forecasting.data.sample import TRUE_EFFECTS, sample_path
    from forecasting.planning import scenarios as sc

    data = load(sample_path("csv"))
    t0 = time.perf_counter()
    r = sc.fit_response(data.history(), sc.response_groups(sc.hierarchy_from_data(data)))
    secs = time.perf_counter() - t0
    beta, flag = TRUE_EFFECTS["discount_beta"], TRUE_EFFECTS["promo_flag_multiplier"]
    rows = []
    for v in (0.1, 0.2, 0.25, 0.3, 0.4):
        mid, lo, hi = r.uplift(v, 1.0)
        truth = math.exp(beta * v) * flag - 1
        rows.append(
            {
                "data": "sample shop",
                "change": f"{v:.0%} off + promo vs none",
                "estimated %": 100 * mid,
                "90% low %": 100 * lo,
                "90% high %": 100 * hi,
                "true / history %": 100 * truth,
                "error %": 100 * (mid / truth - 1),
                "fit s": secs,
            }
        )
    if ROSSMANN.exists():
        history = load(ROSSMANN).history()
        t0 = time.perf_counter()
        rr = sc.fit_response(history, country="DE")
        secs = time.perf_counter() - t0
        mid, lo, hi = rr.uplift(0.0, 1.0)
        hist = historical_promo_ratio(history) - 1
        rows.append(
            {
                "data": "Rossmann",
                "change": "promo on vs off",
                "estimated %": 100 * mid,
                "90% low %": 100 * lo,
                "90% high %": 100 * hi,
                "true / history %": 100 * hist,
                "error %": 100 * (mid / hist - 1),
                "fit s": secs,
            }
        )
    return rows


def response_speed_rows() -> list[dict]:
    """A slider change with the response: the cached no-promotion forecast x the response."""
    from forecasting.data import load
    from forecasting.data.sample import sample_path
    from forecasting.planning import scenarios as sc

    data = load(sample_path("csv"))
    history = data.history()
    hier = sc.hierarchy_from_data(data)
    model, _ = fit("lightgbm", history)
    base = sc.base_plan(model, 42)
    resp = sc.fit_response(history, sc.response_groups(hier))
    neutral = sc.predict_scenario(model, sc.neutral_plan(base), None, 42, hierarchy=hier)
    scns = sc.presets(base["ds"], "zh")[:1]
    rows = []
    for by in (None, "品类"):
        t0 = time.perf_counter()
        sc.compare(
            model, base, scns, 42, hierarchy=hier, by=by, response=resp, neutral_forecast=neutral
        )
        rows.append(
            {"case": f"1 scenario, by {by or 'total'}", "total s": time.perf_counter() - t0}
        )
    return rows


def sample_rows(models: list[str]) -> list[dict]:
    from forecasting.data import load
    from forecasting.data.sample import TRUE_EFFECTS, sample_path
    from forecasting.planning import scenarios as sc

    history = load(sample_path("csv")).history()
    beta, flag = TRUE_EFFECTS["discount_beta"], TRUE_EFFECTS["promo_flag_multiplier"]
    rows = []
    for name in models:
        model, secs = fit(name, history)
        base = sc.base_plan(model, 42)  # neutral plan: no promotion anywhere
        for wname, win in WINDOWS.items():
            r = sc.estimate_response(model, base, "discount", VALUES, window=win, n_boot=0)
            post = _post_window(model, base, win)
            for rec in r.itertuples(index=False):
                truth = math.exp(beta * rec.value) * flag - 1
                rows.append(
                    {
                        "model": name,
                        "window": wname,
                        "discount": f"{rec.value:.0%}",
                        "estimated %": rec.uplift_pct,
                        "true %": 100 * truth,
                        "error %": 100 * (rec.uplift_pct / (100 * truth) - 1),
                        "per 10 pts %": rec.marginal_per_10pts_pct,
                        "7 days after %": post if rec.value == 0.2 else float("nan"),
                        "fit s": secs,
                    }
                )
    return rows


def _post_window(model, base, win) -> float:
    """Change in units over the 7 days after a 20%-off window (truth: 0)."""
    from forecasting.planning import scenarios as sc

    s = sc.Scenario("s", win[0], win[1], discount=0.2, promo=True)
    fc = sc.run_scenarios(model, base, [s], 42, levels=[])
    k = sc.kpis(fc, None, model.alias, [s], post_days=7)
    return float(k.loc[k["scenario"] == "s", "post_incr_pct"].iloc[0])


def rossmann_plan(history: pd.DataFrame, h: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Baseline plan (usual opening days, no promotion) and two promotion masks."""
    from forecasting.schema import make_future_frame

    fut = make_future_frame(history, h, "D")
    dow = fut["ds"].dt.dayofweek
    recent = history[history["ds"] > history["ds"].max() - pd.Timedelta(days=56)]
    usual = recent.groupby(["unique_id", recent["ds"].dt.dayofweek])["open"].mean().round()
    fut["open"] = [usual.get((u, d), 1.0) for u, d in zip(fut["unique_id"], dow, strict=True)]
    fut["promo"] = 0.0
    weekday = ((dow < 5) & (fut["open"] == 1)).to_numpy()
    alternate = weekday & (((fut["ds"] - fut["ds"].min()).dt.days // 7) % 2 == 0).to_numpy()
    return fut, weekday, alternate


def historical_promo_ratio(history: pd.DataFrame) -> float:
    """Mean sales on open weekdays with promotion / without (per store, then averaged)."""
    h = history[(history["open"] == 1) & (history["y"] > 0) & (history["ds"].dt.dayofweek < 5)]
    per = h.groupby(["unique_id", "promo"])["y"].mean().unstack()
    return float((per[1.0] / per[0.0]).mean())


def rossmann_rows(models: list[str]) -> list[dict]:
    from forecasting.data import load

    history = load(ROSSMANN).history()
    hist_ratio = historical_promo_ratio(history)
    base, weekday, alternate = rossmann_plan(history, 42)
    rows = []
    for name in models:
        model, secs = fit(name, history)
        p0 = model.predict(42, future=base, level=[])[model.alias].to_numpy()
        for label, mask in (("every open weekday", weekday), ("alternate weeks", alternate)):
            fut = base.copy()
            fut.loc[mask, "promo"] = 1.0
            p1 = model.predict(42, future=fut, level=[])[model.alias].to_numpy()
            ratio = p1[mask].sum() / p0[mask].sum()
            rows.append(
                {
                    "model": name,
                    "promotion": label,
                    "estimated uplift %": 100 * (ratio - 1),
                    "history uplift %": 100 * (hist_ratio - 1),
                    "estimated / history": (ratio - 1) / (hist_ratio - 1),
                    "fit s": secs,
                }
            )
    return rows


def speed_rows(threads: int | None = None) -> list[dict]:
    from forecasting.data import load
    from forecasting.data.sample import sample_path
    from forecasting.planning import scenarios as sc

    data = load(sample_path("csv"))
    history = data.history()
    hier = sc.hierarchy_from_data(data)
    model, _ = fit("lightgbm", history)
    base = sc.base_plan(model, 42)
    scns = sc.presets(base["ds"], "zh") + [
        sc.Scenario(
            "护肤 8折",
            "2026-11-23",
            "2026-11-29",
            level="品类",
            series=["护肤"],
            discount=0.2,
            promo=True,
        ),
        sc.Scenario("全店 7折", "2026-11-23", "2026-11-29", discount=0.3, promo=True),
    ]
    booster_time = [0.0]
    raw = model.booster_.predict

    def timed(*a, **kw):  # measure where the time goes (LightGBM itself vs our code)
        t = time.perf_counter()
        if threads:  # what-if: LightGBM predicting tiny batches with fewer threads
            kw["num_threads"] = threads
        try:
            return raw(*a, **kw)
        finally:
            booster_time[0] += time.perf_counter() - t

    model.booster_.predict = timed
    sc.run_scenarios(model, base, scns[:1], 42, hierarchy=hier)  # warm-up
    rows = []
    for label, n in (("baseline + 4 scenarios", 4), ("1 scenario, baseline cached", 1)):
        booster_time[0] = 0.0
        t0 = time.perf_counter()
        if n == 4:
            fc = sc.run_scenarios(model, base, scns[:4], 42, hierarchy=hier)
        else:
            baseline = fc[fc["scenario"] == "baseline"]
            fc1 = sc.predict_scenario(model, base, scns[0], 42, hierarchy=hier, baseline=baseline)
            fc = pd.concat([baseline, fc1], ignore_index=True)
        t1 = time.perf_counter()
        sc.kpis(
            fc,
            sc.scenario_futures(base, scns[:n], hier),
            model.alias,
            scns[:n],
            by="品类",
            hierarchy=hier,
        )
        t2 = time.perf_counter()
        rows.append(
            {
                "case": label,
                "predict s": t1 - t0,
                "of which LightGBM s": booster_time[0],
                "kpis s": t2 - t1,
                "total s": t2 - t0,
            }
        )
    model.booster_.predict = raw
    return rows


def table(rows: list[dict]) -> str:
    if not rows:
        return "(nothing)"
    df = pd.DataFrame(rows)
    head = "| " + " | ".join(df.columns) + " |"
    sep = (
        "|"
        + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in df.columns)
        + "|"
    )
    body = []
    for r in df.itertuples(index=False):
        cells = [
            ("–" if np.isnan(v) else f"{v:.1f}") if isinstance(v, float) else str(v) for v in r
        ]
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *body])


def main() -> None:
    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)  # Prophet's sampler chatter
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="lightgbm,prophet,mlp")
    ap.add_argument("--rossmann-models", default="lightgbm")
    ap.add_argument("--no-rossmann", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--response-only", action="store_true", help="only the fitted response")
    ap.add_argument(
        "--predict-threads",
        type=int,
        help="speed section: override LightGBM's predict threads (e.g. 1)",
    )
    args = ap.parse_args()
    print("## The fitted response behind every scenario number\n")
    print(table(response_rows()))
    if not args.no_speed:
        print("\n## A slider change with the response (cached no-promotion forecast)\n")
        print(table(response_speed_rows()))
    if args.response_only:
        return
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print("\n## Diagnostic: what each model learned itself (re-predicting changed plans)\n")
    print("## Sample shop: learned uplift of a discount with the promotion flag vs none\n")
    print("Non-festival days from 2026-11-23; error % = estimated / true uplift - 1.\n")
    print(table(sample_rows(models)))
    if not args.no_rossmann:
        print("\n## Rossmann: promotion on vs off for the next 6 weeks\n")
        if ROSSMANN.exists():
            print(table(rossmann_rows([m.strip() for m in args.rossmann_models.split(",")])))
        else:
            print(f"skipped: {ROSSMANN} not found")
    if not args.no_speed:
        print("\n## Speed with a fitted LightGBM (30 SKUs, h = 42)\n")
        print(table(speed_rows(args.predict_threads)))


if __name__ == "__main__":
    main()
