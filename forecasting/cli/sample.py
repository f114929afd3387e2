"""``python -m forecasting sample``: regenerate the bundled sample data."""

from __future__ import annotations

import argparse
from pathlib import Path

from forecasting.cli.common import MAX_SEED, check_range
from forecasting.errors import ShopcastError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sample`` subcommand to ``subparsers`` and return its parser."""
    s = subparsers.add_parser("sample", help="regenerate the bundled sample data")
    s.add_argument("--out-dir", default="sample_data")
    s.add_argument("--seed", type=int, default=42)
    return s


def cmd_sample(args: argparse.Namespace) -> int:
    """Write the sample files and print their paths; returns the exit code (0)."""
    from forecasting.data.sample import write_samples

    _check_folder(args.out_dir)
    check_range("--seed", args.seed, 0, MAX_SEED)
    paths = write_samples(args.out_dir, seed=args.seed)
    for p in paths.values():
        print(p)
    return 0


def _check_folder(folder: str) -> None:
    """The output folder exists or can be created in an existing, writable folder."""
    from forecasting.reports.files import check_writable

    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise ShopcastError("out_dir_is_file", folder=folder)
    where = p if p.is_dir() else p.parent
    if not where.is_dir():
        raise ShopcastError("out_no_folder", file=folder, folder=str(where))
    check_writable(where, folder)
