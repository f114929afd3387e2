"""``python -m forecasting forecast``: train models and write a forecast CSV.

    python -m forecasting forecast sales.csv --horizon 28 --models ets,lightgbm \\
        --level 80 95 --out f.csv

Uses the engine's one train -> predict -> keep loop (``engine.forecast.forecast``)
with the on-disk model store, so the same data + settings never retrain.
"""

from __future__ import annotations

import argparse
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
from forecasting.i18n import t
from forecasting.models import DEFAULT_MODELS, available


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``forecast`` subcommand to ``subparsers`` and return its parser."""
    f = subparsers.add_parser("forecast", help="train models and write a forecast CSV")
    f.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    f.add_argument("--horizon", "-H", type=int, default=28, help="periods to forecast (default 28)")
    f.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated: {','.join(available())}",
    )
    f.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    f.add_argument(
        "--future", help="file with drivers (price, discount, promo...) for the forecast dates"
    )
    add_input_args(f, "forecast")
    f.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    f.add_argument("--out", "-o", required=True, help="output CSV")
    return f


def cmd_forecast(args: argparse.Namespace) -> int:
    """Run the forecast described by ``args``; returns the exit code (0).

    Raises:
        ShopcastError: unreadable input, bad settings, every model failing.
    """
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
