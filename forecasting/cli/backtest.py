"""``python -m forecasting backtest``: rolling-origin accuracy from the command line.

    python -m forecasting backtest sales.csv --horizon 28 --windows 3 \\
        --models seasonal_naive,ets,auto --out metrics.csv

Writes the tidy metrics table (``unique_id`` or ``all``, ``metric``, one column
per model; MASE scaled at each cut-off) and prints the leaderboard. Optional
outputs: the backtest itself (``--cv-out``) and festival-window metrics
(``--festival-out``). Errors are ``ShopcastError``s: ``cli.main`` prints them
as one translated line and exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
import time

from forecasting.cli.common import (
    MAX_HORIZON,
    add_engine_args,
    add_input_args,
    check_apart,
    check_common,
    check_engine,
    check_horizon,
    check_inputs,
    check_range,
    engine_client,
    load_input,
    progress_printer,
)
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.models import DEFAULT_MODELS as DEFAULT_NAMES

DEFAULT_MODELS = ",".join(DEFAULT_NAMES)
MAX_WINDOWS = 100
OUT_FORMATS = ("csv", "xlsx")
SORT_METRICS = ("wape", "mase", "mae", "rmse", "smape", "mape", "bias", "r2")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``backtest`` subcommand to ``subparsers`` and return its parser."""
    b = subparsers.add_parser("backtest", help="rolling-origin backtest; write a metrics CSV")
    b.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    b.add_argument("--horizon", "-H", type=int, default=28, help="periods per window (default 28)")
    b.add_argument("--windows", "-n", type=int, default=3, help="number of cut-offs (default 3)")
    b.add_argument("--step", type=int, help="periods between cut-offs (default: the horizon)")
    b.add_argument(
        "--models",
        default=DEFAULT_MODELS,
        help="comma-separated registry names, e.g. seasonal_naive,ets,auto,ensemble",
    )
    b.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    b.add_argument(
        "--future",
        help="planned drivers (price, promo...) that replace the recorded "
        "ones on the backtest dates they cover",
    )
    add_input_args(b, "backtest")
    b.add_argument("--sort-by", default="wape", help="leaderboard metric (default wape)")
    b.add_argument(
        "--overall-only",
        action="store_true",
        help="write only the pooled 'all' rows, not one block per series",
    )
    b.add_argument("--cv-out", help="also write the backtest (cutoff, y, forecasts): .csv/.xlsx")
    b.add_argument("--festival-out", help="also write festival-window metrics: .csv/.xlsx")
    b.add_argument("--out", "-o", required=True, help="metrics file: .csv or .xlsx")
    add_engine_args(b)
    b.set_defaults(func=cmd_backtest)
    return b


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run the backtest described by ``args``; returns the exit code (0).

    Raises:
        ShopcastError: unreadable input, bad settings, history too short,
            every model failing.
    """
    from forecasting.evaluation.backtest import backtest
    from forecasting.evaluation.metrics import leaderboard
    from forecasting.models import parse_model_list
    from forecasting.schema import CUTOFF, ID

    lang = getattr(args, "lang", "zh")
    formats, params = _check_options(args)
    history, freq, data = load_input(args)
    _check_shape(args, history, freq, formats)
    models = parse_model_list(args.models)
    future = _plan(args, data, history)

    t0 = time.perf_counter()
    settings = dict(
        n_windows=args.windows,
        step=args.step,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
        progress=progress_printer,
        future=future,
    )
    with engine_client(args) as client:
        if client is None:
            result = backtest(history, freq, models, args.horizon, **settings)
        else:  # one task per (window, model): the same numbers (engine.distributed)
            from forecasting.engine.distributed import backtest as on_cluster

            result = on_cluster(history, freq, models, args.horizon, client, **settings)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for model, k, reason in result.failure_summary(lang):
        print(
            t("cli.bt_failed", lang, model=model, k=k, n=result.n_windows, reason=reason),
            file=sys.stderr,
        )
    table = result.metrics(history, per_series=not args.overall_only)
    _write(table, args.out, formats, "metrics")
    if args.cv_out:
        _write(result.cv, args.cv_out, formats, "backtest")
    if args.festival_out:
        _write(result.festival_metrics(history), args.festival_out, formats, "festivals")
    board = leaderboard(table, sort_by=args.sort_by, models=models)
    board.insert(
        2, "seconds", [round(result.seconds.get(m, float("nan")), 1) for m in board["model"]]
    )
    print(t("cli.bt_leaderboard", lang, metric=board.attrs.get("sort_by") or args.sort_by))
    print(_format(board).to_string(index=False))
    print(
        t(
            "cli.bt_wrote",
            lang,
            rows=len(table),
            series=history[ID].nunique(),
            windows=result.cv[CUTOFF].nunique(),
            h=args.horizon,
            file=args.out,
            seconds=f"{time.perf_counter() - t0:.1f}",
        )
    )
    return 0


# ------------------------------------------------------------------ helpers
def _check_options(args: argparse.Namespace) -> tuple[dict[str, str], dict]:
    """Every option and output path, before INPUT is read.

    Returns:
        ``(formats, params)``: output path -> format, and the parsed ``--params``.
    """
    from forecasting.reports.files import output_format

    outs = [p for p in (args.out, args.cv_out, args.festival_out) if p]
    formats = {p: output_format(p, OUT_FORMATS) for p in outs}
    check_apart(outs, [args.input, args.future])
    params = check_common(args)
    check_engine(args)
    check_range("--windows", args.windows, 1, MAX_WINDOWS)
    check_range("--step", args.step, 1, MAX_HORIZON)
    sort_by = str(args.sort_by)
    if sort_by not in SORT_METRICS and not sort_by.startswith(("coverage_", "pinball")):
        raise ShopcastError(
            "option_choice", option="--sort-by", value=sort_by, choices=", ".join(SORT_METRICS)
        )
    check_inputs(args.input, args.future)
    return formats, params


def _check_shape(args: argparse.Namespace, history, freq: str, formats: dict[str, str]) -> None:
    """Horizon and step against the data's frequency; the windows against its length
    (before any date arithmetic, so a huge backtest is a message, not an overflow)."""
    from forecasting.engine.splits import max_windows
    from forecasting.reports.files import check_rows
    from forecasting.schema import DS, ID

    check_horizon(args.horizon, freq)
    check_horizon(args.step or args.horizon, freq, "--step")
    step = args.step or args.horizon
    need = 1 + args.horizon + step * (args.windows - 1)
    n = int(history.groupby(ID, observed=True)[DS].nunique().max()) if len(history) else 0
    if need > n:
        most = max_windows(n, args.horizon, step)
        raise ShopcastError(
            "backtest_too_long", h=args.horizon, windows=args.windows, n=n, need=need, most=most
        )
    if args.cv_out:
        rows = history[ID].nunique() * args.horizon * args.windows
        check_rows(rows, formats[args.cv_out], args.cv_out)


def _plan(args: argparse.Namespace, data, history):
    """The ``--future`` plan, or None; says so when it covers no backtest date."""
    if not args.future:
        return None
    from forecasting.data import read_future

    freq = history.attrs.get("freq") or None
    plan = read_future(args.future, data, level=args.aggregate, freq=freq)
    if not plan["ds"].isin(history["ds"]).any():
        print(t("cli.bt_plan_unused", getattr(args, "lang", "zh")), file=sys.stderr)
        return None
    return plan


def _write(frame, path: str, formats: dict[str, str], sheet: str) -> None:
    """``frame`` as inert CSV or an inert workbook, as ``path``'s extension asks."""
    from forecasting.reports.files import write_table

    write_table(frame, path, formats[path], sheet=sheet)


def _format(board):
    """Leaderboard for the terminal: the main metrics, rounded."""
    keep = [
        c
        for c in ("rank", "model", "seconds", "wape", "mase", "mae", "rmse", "bias")
        if c in board.columns
    ]
    keep += [c for c in board.columns if c.startswith("coverage_")]
    return board[keep].round(3)
