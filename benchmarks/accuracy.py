"""Shopcast vs peer forecasters on real retail data, same backtest for all.

    .venv/bin/python benchmarks/accuracy.py [--dataset rossmann|walmart|both]
                                            [--series N] [--skip-prophet]

Peers: seasonal naive, statsforecast AutoETS, and Prophet with the same
drivers added as regressors (default settings otherwise). Shopcast: ``auto``
(best member per series by an inner backtest) and ``ensemble`` (inverse-error
weights), both with conformal bands from their own inner-backtest errors.

Protocol (no peeking, no tuning on the test windows): rolling origin with 3
windows; every model is refitted at each cut-off on the data up to it; drivers
known in advance (promo calendar, opening days, holidays) are given for the
forecast dates, as in production.

- Rossmann (../shared/data/rossmann100): 100 stores, daily, h=42. Drivers:
  Promo, Open, StateHoliday, SchoolHoliday. Missing days (17 stores close for
  ~6 months in 2014) are filled as closed (Open=0, Sales=0). Scored on open
  days only (Open=1), as in the Kaggle competition — a closed store sells 0.
- Walmart (../shared/data/walmart_weekly): weekly, h=13, a seeded sample of
  complete store-department series. Driver: IsHoliday. Negative sales (returns)
  are kept.
- Superstore (../shared/data/superstore): order lines summed to weekly units per
  sub-category (17 series), h=13, no drivers — the kind of data where Shopcast
  has only the history to go on.
- Generated (benchmarks/synthetic.py, seeded, no drivers): ``intermittent`` item
  sales, ``new_items`` (half the SKUs 60–150 days old), ``declining`` shop totals,
  ``level_shift``. The Taobao export is not a set here: 10 days of cumulative
  counts cannot be backtested (it is a reading test, see tests/data).

``missing`` is the share of (series, date) rows a model gave no forecast for; the
other columns score the rows it did forecast.

``--dev`` scores the 3 windows *before* the test windows instead: use it to try a
model change, and run the test windows only to report (the ensemble's Prophet member
was chosen that way: see the README). ``--single '{"row": ["model", {params}]}'`` scores
Shopcast models on their own beside the peers (``--no-ours`` leaves auto/ensemble out),
e.g. LightGBM recursive against ``direct``.

Printed: WAPE, MASE (in-sample seasonal naive scale at each cut-off), 80%/95%
coverage, wall time, and Shopcast's WAPE as a ratio of the best peer.
"""

from __future__ import annotations

import argparse
import logging
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
from forecasting.evaluation.backtest import cutoffs  # noqa: E402
from forecasting.schema import DS, ID, Y, future_dates, hi_col, lo_col  # noqa: E402

PEERS = ("seasonal_naive", "AutoETS", "Prophet")
OURS = ("auto", "ensemble")


def rossmann(n_series: int | None) -> tuple[pd.DataFrame, str, int, int]:
    raw = pd.read_csv(DATA / "rossmann100" / "train.csv", low_memory=False)
    raw["Date"] = pd.to_datetime(raw["Date"])
    stores = sorted(raw["Store"].unique())
    if n_series:
        stores = stores[:n_series]
    raw = raw[raw["Store"].isin(stores)]
    full = pd.MultiIndex.from_product(
        [stores, pd.date_range(raw["Date"].min(), raw["Date"].max())], names=["Store", "Date"]
    )
    df = raw.set_index(["Store", "Date"]).reindex(full).reset_index()
    df = pd.DataFrame(
        {
            ID: df["Store"].astype(str),
            DS: df["Date"],
            Y: df["Sales"].fillna(0.0).astype(float),
            "promo": df["Promo"].fillna(0).astype(float),
            "open": df["Open"].fillna(0).astype(float),
            "state_holiday": (df["StateHoliday"].astype(str).fillna("0") != "0").astype(float),
            "school_holiday": df["SchoolHoliday"].fillna(0).astype(float),
        }
    )
    return df, "D", 42, 7


def walmart(n_series: int | None) -> tuple[pd.DataFrame, str, int, int]:
    raw = pd.read_csv(DATA / "walmart_weekly" / "train.csv.zip")
    raw["Date"] = pd.to_datetime(raw["Date"])
    raw["uid"] = raw["Store"].astype(str) + "_" + raw["Dept"].astype(str)
    n_weeks = raw["Date"].nunique()
    counts = raw.groupby("uid")["Date"].nunique()
    complete = sorted(counts[counts == n_weeks].index)
    rng = np.random.default_rng(0)
    pick = rng.choice(complete, size=min(n_series or 300, len(complete)), replace=False)
    df = raw[raw["uid"].isin(pick)]
    df = pd.DataFrame(
        {
            ID: df["uid"],
            DS: df["Date"],
            Y: df["Weekly_Sales"].astype(float),
            "holiday": df["IsHoliday"].astype(float),
        }
    )
    return df.sort_values([ID, DS]).reset_index(drop=True), "W-FRI", 13, 52


def superstore(n_series: int | None) -> tuple[pd.DataFrame, str, int, int]:
    """Order lines -> weekly units by sub-category (17 series, no drivers), h=13."""
    raw = pd.read_csv(DATA / "superstore" / "superstore_orders.csv", encoding="utf-8-sig")
    raw["date"] = pd.to_datetime(raw["Order Date"], format="%d/%m/%y")
    raw["week"] = raw["date"].dt.to_period("W-SUN").dt.end_time.dt.normalize()
    weekly = raw.groupby(["Sub-Category", "week"])["Quantity"].sum()
    subs = sorted(raw["Sub-Category"].unique())[: n_series or None]
    weeks = pd.date_range(raw["week"].min(), raw["week"].max(), freq="W-SUN")
    full = pd.MultiIndex.from_product([subs, weeks], names=["Sub-Category", "week"])
    weekly = weekly.reindex(full, fill_value=0).reset_index()
    df = pd.DataFrame(
        {ID: weekly["Sub-Category"], DS: weekly["week"], Y: weekly["Quantity"].astype(float)}
    )
    return df, "W-SUN", 13, 52


def generated(kind: str):
    from benchmarks.synthetic import GENERATED

    return lambda n_series: GENERATED[kind](n_series)


LOADERS = {
    "rossmann": rossmann,
    "walmart": walmart,
    "superstore": superstore,
    **{k: generated(k) for k in ("intermittent", "new_items", "declining", "level_shift")},
}
DEFAULT_SETS = ("rossmann", "walmart", "superstore")


# ---------------------------------------------------------------- peers
def peer_snaive(train, fut, freq, h, m, levels):
    from forecasting.models import create

    return (
        create("seasonal_naive", alias="seasonal_naive")
        .fit(train[[ID, DS, Y]], freq)
        .predict(h, level=levels)
    )


def peer_ets(train, fut, freq, h, m, levels):
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    # fallback: AutoETS raises on some very short series (new items); they get seasonal naive
    sf = StatsForecast(
        models=[AutoETS(season_length=m)], freq=freq, n_jobs=1, fallback_model=SeasonalNaive(m)
    )
    out = sf.forecast(df=train[[ID, DS, Y]], h=h, level=list(levels))
    return out.reset_index() if ID not in out.columns else out


def peer_prophet(train, fut, freq, h, m, levels):
    from prophet import Prophet

    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.ERROR)
    drivers = [c for c in train.columns if c not in (ID, DS, Y)]
    parts = []
    for uid, g in train.groupby(ID):
        if g[Y].notna().sum() < 2:  # Prophet cannot fit fewer than 2 points: no forecast
            continue
        regs = [c for c in drivers if g[c].nunique() > 1]
        p = Prophet()  # default settings; drivers as extra regressors
        for c in regs:
            p.add_regressor(c)
        p.fit(g[[DS, Y, *regs]])
        f = fut[fut[ID] == uid][[DS, *regs]]
        part = pd.DataFrame({ID: uid, DS: f[DS].to_numpy()})
        part["Prophet"] = p.predict(f)["yhat"].to_numpy()
        # Prophet fits one interval width; every level is read off its own
        # predictive samples (the draws behind yhat_lower/yhat_upper).
        samples = p.predictive_samples(f)["yhat"]
        for lv in levels:
            a = (100 - lv) / 200
            part[lo_col("Prophet", lv)] = np.quantile(samples, a, axis=1)
            part[hi_col("Prophet", lv)] = np.quantile(samples, 1 - a, axis=1)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


# ``--inner``/``--variants`` (development only): one inner backtest shared by several
# selection rules, each scored as extra rows ``ensemble:<name>`` / ``auto:<name>``.
INNER: dict = {}
VARIANTS: dict[str, dict] = {}
# ``--single`` (development): Shopcast models on their own, ``{row: [model, params]}``.
SINGLE: dict[str, list] = {}
NO_OURS = False
BY_CUTOFF = False  # ``--by-cutoff``: also one table per cut-off
TOTAL_ALL = False  # ``--total-all``: the total of every series, launched later or not
TOTAL_NAME = {
    False: " (total of the series launched by each cut-off)",
    True: " (total of every series)",
}


def ours(train, fut, freq, h, m, levels):
    from forecasting.models import create
    from forecasting.models.ensemble import default_members

    params = {k: v for k, v in INNER.items() if k != "extra"}
    if INNER.get("extra"):
        params["members"] = [*default_members(train), *INNER["extra"]]
    ens = create("ensemble", **params).fit(train, freq)
    if VARIANTS:  # every variant combines the same member forecasts: predict them once
        for mod in ens.models_.values():
            mod.predict = _once(mod.predict)
    a = ens.predict(h, future=fut, level=levels)
    auto = ens.variant(select=True)
    b = auto.predict(h, future=fut, level=levels)
    out = a.merge(b, on=[ID, DS])
    for vname, opts in VARIANTS.items():
        for select, base in ((False, "ensemble"), (True, "auto")):
            out = out.merge(_variant(ens, select, h, opts, fut, levels, f"{base}:{vname}"))
    return out


def singles(train, fut, freq, h, m, levels):
    """Each ``--single`` model fitted and forecast on its own, one column per row name."""
    from forecasting.models import create

    out = None
    for row, (name, params) in SINGLE.items():
        fc = create(name, alias=row, **params).fit(train, freq).predict(h, future=fut, level=levels)
        out = fc if out is None else out.merge(fc, on=[ID, DS], how="outer")
    return out


def _once(predict):
    memo = {}

    def wrapped(h, **kw):
        key = (h, tuple(kw.get("level") or ()), kw.get("align"))
        if key not in memo:
            memo[key] = predict(h, **kw)
        return memo[key].copy()

    return wrapped


def _variant(ens, select, h, opts, fut, levels, alias):
    """A sibling of the fitted ``ens`` with other selection settings, same backtest."""
    from forecasting.schema import CUTOFF

    v = ens.variant(select=select)
    opts = dict(opts)
    drop = opts.pop("drop", [])
    use = opts.pop("use", None)  # inner windows kept, 0 = the most recent
    v.params = {**v.params, **opts}
    v.models_ = {k: m for k, m in v.models_.items() if k not in drop}
    cv = v.calibration_[("cv", h)]
    if use is not None:
        cuts = sorted(cv[CUTOFF].unique(), reverse=True)
        cv = cv[cv[CUTOFF].isin([cuts[i] for i in use if i < len(cuts)])]
    v.calibration_ = {("cv", h): cv.drop(columns=[c for c in drop if c in cv])}
    v.alias = alias
    fc = v.predict(h, future=fut, level=levels)
    return fc


# ---------------------------------------------------------------- scoring
def score(cv: pd.DataFrame, train_by_cut: dict, models, m, levels, mask=None) -> pd.DataFrame:
    rows = []
    ev = cv if mask is None else cv[mask]
    for name in models:
        if name not in ev:
            continue
        d = ev.dropna(subset=[name])
        missing = 1 - len(d) / len(ev)  # rows (series x dates) the model gave no forecast for
        err = (d[Y] - d[name]).abs()
        wape = err.sum() / d[Y].abs().sum()
        mases = []
        for (cut, uid), g in d.groupby(["cutoff", ID]):
            y = train_by_cut[cut].get(uid)
            if y is None or len(y) <= m:
                continue
            scale = np.mean(np.abs(y[m:] - y[:-m]))
            if scale > 0:
                mases.append(np.mean(np.abs(g[Y] - g[name])) / scale)
        row = {"model": name, "WAPE": wape, "MASE": float(np.mean(mases)), "missing": missing}
        for lv in levels:
            row[f"cov{lv}"] = ((d[Y] >= d[lo_col(name, lv)]) & (d[Y] <= d[hi_col(name, lv)])).mean()
        rows.append(row)
    return pd.DataFrame(rows)


def to_total(df: pd.DataFrame) -> pd.DataFrame:
    """The panel as one series, ``total``: sales summed per date, drivers averaged (an
    open/closed flag: open when any series is)."""
    from forecasting.models.features import is_open_flag

    drivers = [c for c in df.columns if c not in (ID, DS, Y)]
    how = {Y: "sum", **{c: ("max" if is_open_flag(c) else "mean") for c in drivers}}
    out = df.groupby(DS, as_index=False).agg(how)
    out.insert(0, ID, "total")
    return out


def run(
    dataset: str,
    n_series: int | None,
    skip_prophet: bool,
    windows: int = 3,
    dev: bool = False,
    total: bool = False,
) -> None:
    loader = LOADERS[dataset]
    panel, freq, h, m = loader(n_series)
    # the total of the series launched by each cut-off, as a panel run scores only them
    # (``TOTAL_ALL``: of every series, so the outcomes hold launches no history shows)
    df = to_total(panel) if total else panel
    levels = [80, 95]
    funcs = {
        "seasonal_naive": peer_snaive,
        "AutoETS": peer_ets,
        "Prophet": peer_prophet,
        "shopcast": ours,
    }
    if skip_prophet:
        funcs.pop("Prophet")
    if SINGLE:
        funcs["single"] = singles
    if SINGLE and NO_OURS:
        funcs.pop("shopcast")
    times = {k: 0.0 for k in funcs}
    frames, train_by_cut = [], {}
    cuts = list(cutoffs(df, h, 2 * windows if dev else windows, freq))[:windows]
    for cut in cuts:
        if total and not TOTAL_ALL:
            launched = panel.loc[panel[DS] <= cut, ID].unique()
            df = to_total(panel[panel[ID].isin(launched)])
        train = df[df[DS] <= cut]
        dates = future_dates(cut, h, freq)
        test = df[df[DS].isin(dates) & df[ID].isin(train[ID].unique())]  # launched by the cut-off
        fut = test.drop(columns=[Y])
        train_by_cut[cut] = {u: g[Y].to_numpy(float) for u, g in train.groupby(ID)}
        frame = test.assign(cutoff=cut)
        for name, fn in funcs.items():
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = fn(train, fut, freq, h, m, levels)
            times[name] += time.perf_counter() - t0
            frame = frame.merge(fc, on=[ID, DS], how="left")
            print(
                f"  {dataset} cutoff {cut.date()} {name}: {time.perf_counter() - t0:.1f}s",
                file=sys.stderr,
                flush=True,
            )
        frames.append(frame)
    cv = pd.concat(frames, ignore_index=True)
    mask = cv["open"] > 0 if "open" in cv else None
    extra = [f"{b}:{v}" for v in VARIANTS for b in OURS]
    names = [n for n in (*PEERS, *OURS, *extra, *SINGLE) if n in cv]
    table = score(cv, train_by_cut, names, m, levels, mask)
    t = {
        "seasonal_naive": times["seasonal_naive"],
        "AutoETS": times["AutoETS"],
        "Prophet": times.get("Prophet", np.nan),
        "auto": times.get("shopcast", np.nan),
        "ensemble": times.get("shopcast", np.nan),
        **{n: times.get("shopcast", np.nan) for n in extra},
        **{n: times["single"] for n in SINGLE},
    }
    table["wall_s"] = table["model"].map(t)
    peers = table[table["model"].isin(PEERS)]
    best = peers["WAPE"].min()
    table["WAPE/best_peer"] = table["WAPE"] / best
    if (table["missing"] > 0).any():
        # a model that gave no forecast for some rows (e.g. AutoETS on the newest items) is
        # not scored on them: the same ratio on the rows every model forecast, for fairness
        common = cv[names].notna().all(axis=1) & (mask if mask is not None else True)
        same = score(cv, train_by_cut, names, m, [], common).set_index("model")["WAPE"]
        table["WAPE/best_peer (common rows)"] = table["model"].map(same) / same.reindex(PEERS).min()
    n = cv[ID].nunique()
    print(
        f"\n### {dataset}{TOTAL_NAME[TOTAL_ALL] if total else ''}: {n} series, freq {freq},"
        f" h={h}, {windows} windows"
        + (" (DEVELOPMENT windows, before the test ones)" if dev else "")
        + f", cut-offs {', '.join(str(c.date()) for c in cuts)}"
        + (" (scored on open days)" if mask is not None else "")
    )
    print("(auto and ensemble share one fit: wall_s is their joint time)")
    if SINGLE:
        print(f"(single models {', '.join(SINGLE)}: wall_s is their joint time)")
    print(markdown(table))
    if BY_CUTOFF:
        for cut, part in cv.groupby("cutoff"):
            pmask = None if mask is None else mask[part.index]
            t_cut = score(part, train_by_cut, names, m, levels, pmask)
            t_cut.insert(0, "cutoff", str(pd.Timestamp(cut).date()))
            print(f"\n#### {dataset}, cut-off {pd.Timestamp(cut).date()} alone")
            print(markdown(t_cut.drop(columns=["missing"])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--dataset",
        default="both",
        choices=[*LOADERS, "both", "all"],
        help="both = rossmann + walmart; all = every set (real and generated)",
    )
    ap.add_argument("--series", type=int, default=None, help="limit the number of series")
    ap.add_argument("--skip-prophet", action="store_true")
    ap.add_argument("--dev", action="store_true", help="score the windows before the test ones")
    ap.add_argument(
        "--inner",
        default=None,
        help='JSON params of the shared inner backtest, e.g. {"windows":4,"step":0.5,'
        '"extra":["theta"]} (development)',
    )
    ap.add_argument(
        "--variants",
        default=None,
        help="JSON {name: selection params} scored on the same backtest, e.g. "
        '{"s2":{"shrink":2},"old":{"use":[0,2],"drop":["theta"]}} (development)',
    )
    ap.add_argument(
        "--single",
        default=None,
        help="JSON {row: [model, params]} of Shopcast models scored on their own, e.g. "
        '{"lgb": ["lightgbm", {}], "lgb_direct": ["lightgbm", {"direct": "auto"}]} (development)',
    )
    ap.add_argument(
        "--no-ours", action="store_true", help="with --single: leave auto and ensemble out"
    )
    ap.add_argument(
        "--by-cutoff", action="store_true", help="also print one table per cut-off (WAPE, coverage)"
    )
    ap.add_argument(
        "--total",
        action="store_true",
        help="forecast the panel's total as one series (sales summed, drivers averaged) of "
        "the series launched by each cut-off",
    )
    ap.add_argument(
        "--total-all",
        action="store_true",
        help="with --total: of every series, also those launched after the cut-off (the "
        "rule before stop 34)",
    )
    args = ap.parse_args()
    import json

    global NO_OURS, BY_CUTOFF, TOTAL_ALL
    NO_OURS = args.no_ours
    BY_CUTOFF = args.by_cutoff
    TOTAL_ALL = args.total_all
    SINGLE.update(json.loads(args.single) if args.single else {})
    INNER.update(json.loads(args.inner) if args.inner else {})
    VARIANTS.update(json.loads(args.variants) if args.variants else {})
    sets = {"both": ["rossmann", "walmart"], "all": list(LOADERS)}.get(args.dataset, [args.dataset])
    if not DATA.exists() and any(s in DEFAULT_SETS for s in sets):
        sys.exit(f"{DATA} not found: the real sets need ../shared/data")
    for ds in sets:
        run(ds, args.series, args.skip_prophet, dev=args.dev, total=args.total)


if __name__ == "__main__":
    main()
