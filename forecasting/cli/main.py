"""Command line: the dashboard's pipeline without the dashboard.

    python -m forecasting forecast INPUT --horizon 28 --models ets,lightgbm --level 80 95 --out f.csv
    python -m forecasting backtest INPUT --horizon 28 --windows 3 --models auto --out metrics.csv
    python -m forecasting scenario INPUT --scenario S.json --horizon 42 --out s.csv
    python -m forecasting sample

Bad input ends with exit code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from forecasting.cli.common import (
    add_input_args,
    load_input,
    parse_params,
    progress_printer,
    read_plan,
)
from forecasting.errors import ShopcastError
from forecasting.i18n import LANGUAGES, t

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m forecasting", description="Shopcast sales forecasting")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=os.environ.get("SHOPCAST_LANG", "zh"),
        help="message language (default zh)",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    f = sub.add_parser("forecast", help="train models and write a forecast CSV")
    f.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    f.add_argument("--horizon", "-H", type=int, default=28, help="periods to forecast (default 28)")
    f.add_argument(
        "--models",
        default="seasonal_naive,ets,lightgbm",
        help="comma-separated: seasonal_naive,ets,prophet,lightgbm,mlp,lstm",
    )
    f.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    f.add_argument(
        "--future", help="file with drivers (price, discount, promo...) for the forecast dates"
    )
    add_input_args(f, "forecast")
    f.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    f.add_argument("--out", "-o", required=True, help="output CSV")

    _add_scenario_parser(sub)

    from forecasting.cli.backtest import add_parser as add_backtest_parser

    add_backtest_parser(sub)

    s = sub.add_parser("sample", help="regenerate the bundled sample data")
    s.add_argument("--out-dir", default="sample_data")
    s.add_argument("--seed", type=int, default=42)
    return p


def cmd_forecast(args: argparse.Namespace) -> int:
    from forecasting.engine.forecast import TrainConfig, forecast, run_summary
    from forecasting.engine.store import ModelStore
    from forecasting.models import parse_model_list

    history, freq, data = load_input(args)
    models = parse_model_list(args.models)
    future = read_plan(args.future, data, args.aggregate, history.attrs.get("freq"))
    params = parse_params(args.params)
    config = TrainConfig(
        models=models,
        horizon=args.horizon,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
    )
    store = None if args.no_cache else ModelStore()

    t0 = time.perf_counter()
    result = forecast(history, freq, config, future=future, progress=progress_printer, store=store)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for name, err in result.errors.items():
        print(f"{name}: {err.message(args.lang)}", file=sys.stderr)
    if not result.models:
        raise ShopcastError("all_models_failed")
    out = result.forecast
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False, date_format="%Y-%m-%d")
    summary = run_summary(result)
    print(summary.to_string(index=False))
    n_series = out["unique_id"].nunique()
    print(
        t(
            "cli.wrote",
            args.lang,
            rows=len(out),
            series=n_series,
            file=args.out,
            seconds=f"{time.perf_counter() - t0:.1f}",
        )
    )
    return 0


def _add_scenario_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("scenario", help="what-if scenarios: baseline vs scenarios, KPIs, stock")
    c.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    c.add_argument(
        "--scenario",
        "-s",
        required=True,
        help="scenario JSON file (see sample_data/scenarios_double11.json)",
    )
    c.add_argument("--horizon", "-H", type=int, default=42, help="periods to forecast (default 42)")
    c.add_argument(
        "--models",
        default="lightgbm",
        help="comma-separated models that use drivers: lightgbm,prophet,mlp,lstm",
    )
    c.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    c.add_argument("--future", help="file with planned drivers (the baseline plan)")
    c.add_argument(
        "--by",
        help="KPI breakdown: a hierarchy level (e.g. 品类) or 'series' "
        "(default: the level above the series, if any)",
    )
    c.add_argument(
        "--post-days",
        type=int,
        default=7,
        help="days after each window checked for a pull-forward dip (default 7)",
    )
    c.add_argument(
        "--lead-time",
        type=int,
        help="also write OUT_inventory.csv: stock for this lead time (periods)",
    )
    c.add_argument(
        "--service-level", type=float, default=0.95, help="for --lead-time (default 0.95)"
    )
    c.add_argument("--stock", help="current stock file (product, stock columns) for --lead-time")
    c.add_argument(
        "--params", help='per-model parameters as JSON, e.g. \'{"mlp": {"epochs": 10}}\''
    )
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    c.add_argument("--out", "-o", required=True, help="output CSV (KPIs go to OUT_kpis.csv)")


def cmd_scenario(args: argparse.Namespace) -> int:
    """Fit (or load) models once, forecast the baseline and every scenario, write KPIs."""

    import pandas as pd

    from forecasting.data import io
    from forecasting.engine.forecast import TrainConfig, data_key, fit_model, store_key
    from forecasting.engine.store import ModelStore
    from forecasting.models import parse_model_list
    from forecasting.planning import scenarios as sc
    from forecasting.schema import make_future_frame

    for path in (args.input, args.scenario, args.future, args.stock):
        if path and not Path(path).exists():
            raise ShopcastError("file_not_found", file=path)
    t0 = time.perf_counter()
    scenarios = sc.load_scenarios(Path(args.scenario))
    models = parse_model_list(args.models)
    data = io.load(args.input)
    history = data.history()
    freq = data.freq
    hierarchy = sc.hierarchy_from_data(data)
    future = io.read_future(args.future, data) if args.future else None
    base = make_future_frame(history, args.horizon, freq, future)
    params = parse_params(args.params)
    config = TrainConfig(
        models=models,
        horizon=args.horizon,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
    )
    store = None if args.no_cache else ModelStore()
    dkey = data_key(history, freq)
    fitted = []
    for name in models:
        model, run = fit_model(history, freq, name, config, store=store, dkey=dkey)
        if run.error is not None:
            print(f"{name}: {run.error.message(args.lang)}", file=sys.stderr)
            continue
        fitted.append((name, model, set(model.calibration_)))
    if not fitted:
        raise ShopcastError("all_models_failed")
    shown: set[str] = set()
    for s in scenarios:
        for _, model, _ in fitted:
            for w in sc.range_warnings(history, s, base, hierarchy, model):
                text = w.message(args.lang)
                if text not in shown:
                    shown.add(text)
                    print(f"{t('cli.scenario_warning', args.lang)}: {text}", file=sys.stderr)
    fc = sc.run_scenarios(
        [m for _, m, _ in fitted], base, scenarios, args.horizon, list(args.level), hierarchy
    )
    if store is not None:  # keep the interval calibration for next time: no refits on rerun
        for name, model, before in fitted:
            if set(model.calibration_) != before:
                key = store_key(dkey, name, config)
                meta = store.read_meta(key) or {}
                store.save(
                    key,
                    model,
                    {"data_key": dkey, "freq": freq, "fit_seconds": meta.get("fit_seconds", 0.0)},
                )
    by = args.by or (data.ids[-2] if len(data.ids) >= 2 else None)
    futures = sc.scenario_futures(base, scenarios, hierarchy)
    tables = []
    for _, model, _ in fitted:
        k = sc.kpis(
            fc,
            futures,
            model.alias,
            scenarios,
            by=by,
            hierarchy=hierarchy,
            post_days=args.post_days,
        )
        k.insert(0, "model", model.alias)
        tables.append(k)
    table = pd.concat(tables, ignore_index=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fc.to_csv(out, index=False, date_format="%Y-%m-%d")
    kpi_path = out.with_name(f"{out.stem}_kpis.csv")
    table.to_csv(kpi_path, index=False, date_format="%Y-%m-%d", encoding="utf-8-sig")
    show = [
        "model",
        "scenario",
        "group",
        "units",
        "gmv",
        "incr_units_pct",
        "incr_gmv_pct",
        "post_incr_pct",
        "peak_day",
    ]
    labels = sc.kpi_labels(args.lang)
    print(table[show].rename(columns=labels).round(1).to_string(index=False))
    if args.lead_time:
        from forecasting.planning.inventory import inventory_plan, read_stock

        stock = read_stock(args.stock) if args.stock else None
        plans = []
        for _, model, _ in fitted:
            p = inventory_plan(fc, model.alias, args.lead_time, args.service_level, stock)
            p.insert(0, "model", model.alias)
            plans.append(p)
        inv_path = out.with_name(f"{out.stem}_inventory.csv")
        pd.concat(plans, ignore_index=True).to_csv(
            inv_path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d"
        )
        print(t("cli.scenario_inventory", args.lang, file=inv_path))
    print(
        t(
            "cli.scenario_wrote",
            args.lang,
            rows=len(fc),
            scenarios=len(scenarios),
            file=out,
            kpis=kpi_path,
            seconds=f"{time.perf_counter() - t0:.1f}",
        )
    )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from forecasting.data.sample import write_samples

    paths = write_samples(args.out_dir, seed=args.seed)
    for p in paths.values():
        print(p)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "forecast":
            return cmd_forecast(args)
        if args.command == "backtest":
            from forecasting.cli.backtest import cmd_backtest

            return cmd_backtest(args)
        if args.command == "scenario":
            return cmd_scenario(args)
        return cmd_sample(args)
    except ShopcastError as exc:
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        first = (str(exc).splitlines() or [""])[0][:200]
        print(f"error: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
