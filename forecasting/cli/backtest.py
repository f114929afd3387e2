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
from pathlib import Path

from forecasting.cli.common import add_input_args, load_input, parse_params, progress_printer
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.models import DEFAULT_MODELS as DEFAULT_NAMES

DEFAULT_MODELS = ",".join(DEFAULT_NAMES)


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
    b.add_argument("--cv-out", help="also write the backtest (cutoff, y, forecasts) to this CSV")
    b.add_argument("--festival-out", help="also write festival-window metrics to this CSV")
    b.add_argument("--out", "-o", required=True, help="metrics CSV")
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
    history, freq, data = load_input(args)
    models = parse_model_list(args.models)
    future = _plan(args, data, history)
    params = parse_params(args.params)

    t0 = time.perf_counter()
    result = backtest(
        history,
        freq,
        models,
        args.horizon,
        n_windows=args.windows,
        step=args.step,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
        progress=progress_printer,
        future=future,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for model, k, reason in result.failure_summary(lang):
        print(
            t("cli.bt_failed", lang, model=model, k=k, n=result.n_windows, reason=reason),
            file=sys.stderr,
        )
    table = result.metrics(history, per_series=not args.overall_only)
    _write(table, args.out)
    if args.cv_out:
        _write(result.cv, args.cv_out)
    if args.festival_out:
        _write(result.festival_metrics(history), args.festival_out)
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
def _plan(args: argparse.Namespace, data, history):
    """The ``--future`` plan, or None; says so when it covers no backtest date."""
    if not args.future:
        return None
    from forecasting.data import read_future

    if not Path(args.future).exists():
        raise ShopcastError("file_not_found", file=args.future)
    freq = history.attrs.get("freq") or None
    plan = read_future(args.future, data, level=args.aggregate, freq=freq)
    if not plan["ds"].isin(history["ds"]).any():
        print(t("cli.bt_plan_unused", getattr(args, "lang", "zh")), file=sys.stderr)
        return None
    return plan


def _write(frame, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def _format(board):
    """Leaderboard for the terminal: the main metrics, rounded."""
    keep = [
        c
        for c in ("rank", "model", "seconds", "wape", "mase", "mae", "rmse", "bias")
        if c in board.columns
    ]
    keep += [c for c in board.columns if c.startswith("coverage_")]
    return board[keep].round(3)
