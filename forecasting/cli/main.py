"""Command line: the dashboard's pipeline without the dashboard.

    python -m forecasting forecast INPUT --horizon 28 --models ets,lightgbm --level 80 95 --out f.csv
    (--out f.xlsx writes a workbook, --out f.html the forecast charts;
     --reconcile bottom_up|ols|wls_struct|mint_shrink: every level, adding up)
    python -m forecasting backtest INPUT --horizon 28 --windows 3 --models auto --out metrics.csv
    python -m forecasting scenario INPUT --scenario S.json --horizon 42 --out s.csv
    python -m forecasting sample

One module per command (``cli.forecast``, ``cli.scenario``, ``cli.backtest``,
``cli.sample``); this one builds the parser and dispatches. Bad input ends with
exit code 2 and one line on stderr, never a traceback; options and output paths
are checked before any file is read or model trained.
"""

from __future__ import annotations

import argparse
import os
import sys

from forecasting.cli import backtest, forecast, report, sample, scenario
from forecasting.errors import ShopcastError
from forecasting.i18n import LANGUAGES

EXIT_USAGE = 2
COMMANDS = {
    "forecast": forecast.cmd_forecast,
    "scenario": scenario.cmd_scenario,
    "backtest": backtest.cmd_backtest,
    "sample": sample.cmd_sample,
    "report": report.cmd_report,
}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m forecasting`` parser with every subcommand."""
    p = OneLineParser(prog="python -m forecasting", description="Shopcast sales forecasting")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=os.environ.get("SHOPCAST_LANG", "zh"),
        help="message language (default zh)",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    forecast.add_parser(sub)
    scenario.add_parser(sub)
    backtest.add_parser(sub)
    sample.add_parser(sub)
    report.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ShopcastError as exc:
        text = " ".join(exc.message(args.lang).split())  # one line, whatever the data held
        print(f"error: {text}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        first = (str(exc).splitlines() or [""])[0][:200]
        print(f"error: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
