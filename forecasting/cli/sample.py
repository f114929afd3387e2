"""``python -m forecasting sample``: regenerate the bundled sample data."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sample`` subcommand to ``subparsers`` and return its parser."""
    s = subparsers.add_parser("sample", help="regenerate the bundled sample data")
    s.add_argument("--out-dir", default="sample_data")
    s.add_argument("--seed", type=int, default=42)
    return s


def cmd_sample(args: argparse.Namespace) -> int:
    """Write the sample files and print their paths; returns the exit code (0)."""
    from forecasting.data.sample import write_samples

    paths = write_samples(args.out_dir, seed=args.seed)
    for p in paths.values():
        print(p)
    return 0
