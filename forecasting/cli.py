"""Command line: the dashboard's pipeline without the dashboard.

    python -m forecasting forecast INPUT --horizon 28 --models ets,lightgbm --level 80 95 --out f.csv
    python -m forecasting sample

Bad input ends with exit code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from forecasting.errors import ShopcastError
from forecasting.i18n import LANGUAGES, t

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m forecasting", description="Shopcast sales forecasting")
    p.add_argument("--lang", choices=LANGUAGES, default=os.environ.get("SHOPCAST_LANG", "zh"),
                   help="message language (default zh)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    f = sub.add_parser("forecast", help="train models and write a forecast CSV")
    f.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    f.add_argument("--horizon", "-H", type=int, default=28, help="periods to forecast (default 28)")
    f.add_argument("--models", default="seasonal_naive,ets,lightgbm",
                   help="comma-separated: seasonal_naive,ets,prophet,lightgbm,mlp,lstm")
    f.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    f.add_argument("--future", help="file with drivers (price, discount, promo...) for the forecast dates")
    f.add_argument("--date-col", help="date column (default: detected)")
    f.add_argument("--target-col", help="column to forecast (default: detected)")
    f.add_argument("--id-col", action="append",
                   help="series id column(s), coarse to fine; repeat or comma-separate")
    f.add_argument("--driver", action="append", metavar="NAME=COLUMN",
                   help="driver override, e.g. promo=Promo (repeatable)")
    f.add_argument("--no-drivers", action="store_true", help="ignore driver columns")
    f.add_argument("--aggregate", metavar="LEVEL",
                   help="forecast at this level: 'total' or an id column (default: finest)")
    f.add_argument("--freq", help="resample to a coarser frequency: W or MS")
    f.add_argument("--sheet", help="Excel sheet name")
    f.add_argument("--params", help='per-model parameters as JSON, e.g. \'{"mlp": {"epochs": 10}}\'')
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    f.add_argument("--out", "-o", required=True, help="output CSV")

    s = sub.add_parser("sample", help="regenerate the bundled sample data")
    s.add_argument("--out-dir", default="sample_data")
    s.add_argument("--seed", type=int, default=42)
    return p


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _drivers(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    out = {}
    for item in values:
        if "=" not in item:
            raise ShopcastError("bad_driver_arg", arg=item)
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def cmd_forecast(args: argparse.Namespace) -> int:
    import json

    from forecasting import io
    from forecasting.models import parse_model_list
    from forecasting.persistence import ModelStore
    from forecasting.pipeline import TrainConfig, forecast, run_summary

    if not Path(args.input).exists():
        raise ShopcastError("file_not_found", file=args.input)
    models = parse_model_list(args.models)
    overrides = {
        "date": args.date_col,
        "target": args.target_col,
        "ids": _split(args.id_col),
        "drivers": {} if args.no_drivers else _drivers(args.driver),
    }
    data = io.load(args.input, **{k: v for k, v in overrides.items() if v is not None})
    history = data.history(level=args.aggregate, freq=args.freq)
    freq = args.freq or data.freq
    if args.freq:
        from forecasting.schema import infer_freq

        freq = infer_freq(history.loc[history["unique_id"] == history["unique_id"].iloc[0], "ds"])
    future = None
    if args.future:
        if not Path(args.future).exists():
            raise ShopcastError("file_not_found", file=args.future)
        future = io.read_future(args.future, data, level=args.aggregate)
    try:
        params = json.loads(args.params) if args.params else {}
    except ValueError:
        raise ShopcastError("bad_params_json", text=args.params[:60]) from None
    config = TrainConfig(models=models, horizon=args.horizon, levels=list(args.level),
                         model_params=params, seed=args.seed)
    store = None if args.no_cache else ModelStore()

    def progress(frac: float, label: str) -> None:
        if sys.stderr.isatty():
            print(f"\r[{frac:6.1%}] {label[:60]:<60}", end="", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    result = forecast(history, freq, config, future=future, progress=progress, store=store)
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
    print(t("cli.wrote", args.lang, rows=len(out), series=n_series, file=args.out,
            seconds=f"{time.perf_counter() - t0:.1f}"))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from forecasting.datasets import write_samples

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
