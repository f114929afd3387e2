"""``python -m forecasting scenario``: what-if scenarios against a baseline.

    python -m forecasting scenario sales.csv --scenario S.json --horizon 42 --out s.csv

Fits (or loads) the models once, forecasts the baseline and every scenario with
them, and writes the forecasts, the KPI table (``OUT_kpis.csv``) and, with
``--lead-time``, the stock plan (``OUT_inventory.csv``): inert CSV, or inert
workbooks when ``--out`` ends in ``.xlsx``.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from forecasting.cli.common import (
    MAX_HORIZON,
    add_country_arg,
    add_engine_args,
    check_apart,
    check_common,
    check_engine,
    check_horizon,
    check_inputs,
    check_range,
    engine_client,
    first_failure,
)
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.models import driver_models

KPI_SHOWN = (
    "model",
    "scenario",
    "group",
    "units",
    "gmv",
    "incr_units_pct",
    "incr_gmv_pct",
    "post_incr_pct",
    "pulled_forward_units",
    "cannibalised_units",
    "net_incr_units",
    "peak_day",
)
OUT_FORMATS = ("csv", "xlsx")
MAX_POST_DAYS = 366


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``scenario`` subcommand to ``subparsers`` and return its parser."""
    c = subparsers.add_parser(
        "scenario", help="what-if scenarios: baseline vs scenarios, KPIs, stock"
    )
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
        help=f"comma-separated models that use drivers: {','.join(driver_models())}",
    )
    c.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    c.add_argument("--future", help="file with planned drivers (the baseline plan)")
    c.add_argument(
        "--baseline",
        choices=("plan", "none"),
        default="plan",
        help="compare against the future plan as given (plan, default) or with its "
        "discounts and promotions removed (none)",
    )
    c.add_argument(
        "--assume-uplift",
        type=float,
        help="assumed units uplift per 10 points of discount (0.2 = +20%%), used only when "
        "the history has no discount/promotion column to learn it from (default 0.2)",
    )
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
    add_country_arg(c)
    c.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    add_engine_args(c)
    c.add_argument(
        "--out",
        "-o",
        required=True,
        help="output .csv or .xlsx (KPIs go to OUT_kpis, stock to OUT_inventory, same format)",
    )
    return c


def cmd_scenario(args: argparse.Namespace) -> int:
    """Fit (or load) models once, forecast the baseline and every scenario, write KPIs.

    Every option and output path is checked before any file is read.

    Raises:
        ShopcastError: a bad option or output path, a missing file, bad scenarios,
            every model failing.
    """
    from forecasting.data import load, read_future
    from forecasting.engine.forecast import TrainConfig
    from forecasting.engine.store import ModelStore
    from forecasting.models import parse_model_list
    from forecasting.planning import scenarios as sc
    from forecasting.reports.files import check_rows, write_table
    from forecasting.schema import make_future_frame

    outs, params = _check_options(args)
    store = None
    if not args.no_cache:
        store = ModelStore()
        store.check()
    t0 = time.perf_counter()
    scenarios = sc.load_scenarios(Path(args.scenario))
    models = parse_model_list(args.models)
    data = load(args.input)
    history = data.history()
    freq = data.freq
    check_horizon(args.horizon, freq)
    check_rows(history["unique_id"].nunique() * args.horizon * (len(scenarios) + 1), *outs["out"])
    hierarchy = sc.hierarchy_from_data(data)
    future = read_future(args.future, data) if args.future else None
    base = make_future_frame(history, args.horizon, freq, future)
    config = TrainConfig(
        models=models,
        horizon=args.horizon,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
    )
    # leaving the block saves models whose interval calibration grew: no refits on rerun
    with ExitStack() as stack:
        ready = _fitted(stack, args, history, freq, config, store)
        by = args.by or (data.ids[-2] if len(data.ids) >= 2 else None)
        response = fit_scenario_response(history, hierarchy, args.assume_uplift, args.country)
        after = sc.fit_after_effects(
            history, sc.response_groups(hierarchy), args.post_days, args.country
        )
        comp = sc.compare(
            ready,
            base,
            scenarios,
            args.horizon,
            list(args.level),
            hierarchy,
            by=by,
            post_days=args.post_days,
            history=history,
            skip_failed=False,
            model_column=True,
            response=response,
            baseline=args.baseline,
            after_effects=after,
        )
    fc, table = comp.forecast, comp.kpis.copy()
    # the file says what the numbers are against and where the response comes from
    table["baseline"] = comp.baseline
    table["response"] = comp.response.source if comp.response is not None else ""
    for line in sc.response_summary(comp.response, comp.baseline, args.lang):
        print(line)
    for line in sc.after_summary(comp.after_effects, args.lang):
        print(line)
    _print_warnings(args.lang, comp.warnings)
    out, fmt = outs["out"]
    write_table(fc, out, fmt, sheet="scenarios")
    kpi_path = write_table(table, *outs["kpis"], sheet="kpis")
    labels = sc.kpi_labels(args.lang)
    shown = [*KPI_SHOWN[:6], *(c for c in table.columns if c.startswith("incr_units_pct_vs_"))]
    shown += list(KPI_SHOWN[6:])
    print(table[shown].rename(columns=labels).round(1).to_string(index=False))
    if args.lead_time:
        inv_path = _write_inventory(args, fc, ready, *outs["inventory"])
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


def _fitted(stack: ExitStack, args: argparse.Namespace, history, freq: str, config, store) -> list:
    """The fitted (or stored) models for the block of ``stack``: fitted here, or on a
    Dask cluster with ``--engine dask`` (``engine.distributed``) and predicted here.
    Prints each model that failed; every model failing raises the first one's reason.
    """
    from forecasting.engine.forecast import fitted_models

    client = stack.enter_context(engine_client(args))
    if client is None:
        fitted = stack.enter_context(fitted_models(history, freq, config, store=store))
    else:
        from forecasting.engine.distributed import fitted_models as on_cluster

        fitted = stack.enter_context(on_cluster(history, freq, config, client, store=store))
    ready = [model for _, model, _ in fitted if model is not None]
    if not ready:  # one line: the first model's reason stands for all
        raise first_failure({name: run.error for name, _, run in fitted})
    for name, _, run in fitted:
        if run.error is not None:
            print(f"{name}: {run.error.message(args.lang)}", file=sys.stderr)
    return ready


def _check_options(args: argparse.Namespace) -> tuple[dict[str, tuple[Path, str]], dict]:
    """Every option, input and output path, before any file is read.

    Returns:
        ``(outs, params)``: ``out``, ``kpis`` and ``inventory`` -> ``(path, format)``
        (the siblings take ``--out``'s folder and format), and the parsed ``--params``.
    """
    from forecasting.reports.files import output_format, sibling

    fmt = output_format(args.out, OUT_FORMATS)
    outs = {"out": (Path(args.out), fmt), "kpis": (sibling(args.out, "kpis"), fmt)}
    if args.lead_time is not None:
        outs["inventory"] = (sibling(args.out, "inventory"), fmt)
    for path, _ in outs.values():
        output_format(path, OUT_FORMATS)
    check_apart([p for p, _ in outs.values()], [args.input, args.scenario, args.future, args.stock])
    params = check_common(args)
    check_engine(args)
    check_range("--post-days", args.post_days, 0, MAX_POST_DAYS)
    if args.assume_uplift is not None:
        check_range("--assume-uplift", args.assume_uplift, -0.9, 10)
    check_range("--lead-time", args.lead_time, 1, MAX_HORIZON)
    if not 0 < args.service_level < 1:
        raise ShopcastError(
            "option_range", option="--service-level", value=args.service_level, low=0, high=1
        )
    check_inputs(args.input, args.scenario, args.future, args.stock)
    return outs, params


def fit_scenario_response(history, hierarchy, assume, country):
    """The response behind every number: learned from ``history``, or the assumption.

    Per-group coefficients by the level above the series (as the page). Without a
    discount/promotion column the assumption ``assume`` (default +20% units per 10
    points of discount) is used, and labelled as one.
    """
    from forecasting.planning import scenarios as sc

    if assume is None:
        assume = sc.DEFAULT_ASSUMED_UPLIFT
    groups = sc.response_groups(hierarchy)
    return sc.fit_response(history, groups, assume=assume, country=country)


def _print_warnings(lang, warnings) -> None:
    """Every distinct warning text once, on stderr."""
    shown: set[str] = set()
    for w in warnings:
        text = w.message(lang)
        if text not in shown:
            shown.add(text)
            print(f"{t('cli.scenario_warning', lang)}: {text}", file=sys.stderr)


def _write_inventory(args: argparse.Namespace, fc, models, path: Path, fmt: str) -> Path:
    """Write ``OUT_inventory`` (stock per model for ``--lead-time``); returns its path."""
    import pandas as pd

    from forecasting.planning.inventory import inventory_plan, read_stock
    from forecasting.reports.files import write_table

    stock = read_stock(args.stock) if args.stock else None
    plans = []
    for model in models:
        p = inventory_plan(fc, model.alias, args.lead_time, args.service_level, stock)
        p.insert(0, "model", model.alias)
        plans.append(p)
    return write_table(pd.concat(plans, ignore_index=True), path, fmt, sheet="inventory")
