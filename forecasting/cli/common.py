"""What the ``forecast``, ``backtest`` and ``scenario`` commands share:
the input options (mapping overrides, level, grain) and reading INPUT with them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from forecasting.errors import ShopcastError


def add_input_args(p: argparse.ArgumentParser, what: str = "forecast") -> None:
    """Options that say how to read INPUT, plus ``--params`` and ``--seed``."""
    p.add_argument("--date-col", help="date column (default: detected)")
    p.add_argument("--target-col", help="column to forecast (default: detected)")
    p.add_argument(
        "--id-col",
        action="append",
        help="series id column(s), coarse to fine; repeat or comma-separate",
    )
    p.add_argument(
        "--driver",
        action="append",
        metavar="NAME=COLUMN",
        help="driver override, e.g. promo=Promo (repeatable)",
    )
    p.add_argument("--no-drivers", action="store_true", help="ignore driver columns")
    p.add_argument(
        "--aggregate",
        metavar="LEVEL",
        help=f"{what} at this level: 'total' or an id column (default: finest)",
    )
    p.add_argument("--freq", help="resample to a coarser frequency: W or MS")
    p.add_argument("--sheet", help="Excel sheet name")
    p.add_argument(
        "--params", help='per-model parameters as JSON, e.g. \'{"mlp": {"epochs": 10}}\''
    )
    p.add_argument("--seed", type=int, default=0)


def split_list(values: list[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``; None when nothing was given."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def parse_drivers(values: list[str] | None) -> dict[str, str] | None:
    """``["promo=Promo"]`` -> ``{"promo": "Promo"}``."""
    if not values:
        return None
    out = {}
    for item in values:
        if "=" not in item:
            raise ShopcastError("bad_driver_arg", arg=item)
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def parse_params(text: str | None) -> dict:
    """``--params`` JSON -> dict (a clear error when it is not a JSON object)."""
    if not text:
        return {}
    try:
        params = json.loads(text)
    except ValueError:
        raise ShopcastError("bad_params_json", text=text[:60]) from None
    if not isinstance(params, dict):
        raise ShopcastError("bad_params_json", text=text[:60])
    return params


def load_input(args: argparse.Namespace):
    """Read INPUT with the mapping overrides, at the chosen level and grain.

    Returns:
        ``(history, freq, data)``: the contract frame, its frequency and the SalesData.
    """
    from forecasting.data import load
    from forecasting.schema import infer_freq

    if not Path(args.input).exists():
        raise ShopcastError("file_not_found", file=args.input)
    overrides = {
        "date": getattr(args, "date_col", None),
        "target": getattr(args, "target_col", None),
        "ids": split_list(getattr(args, "id_col", None)),
        "drivers": {}
        if getattr(args, "no_drivers", False)
        else parse_drivers(getattr(args, "driver", None)),
    }
    data = load(
        args.input,
        sheet=getattr(args, "sheet", None),
        **{k: v for k, v in overrides.items() if v is not None},
    )
    grain = getattr(args, "freq", None)
    history = data.history(level=getattr(args, "aggregate", None), freq=grain)
    freq = history.attrs.get("freq") or data.freq
    if grain:
        first = history.loc[history["unique_id"] == history["unique_id"].iloc[0], "ds"]
        freq = infer_freq(first)
    return history, freq, data


def read_plan(path: str | None, data, level: str | None, freq: str | None = None):
    """The ``--future`` driver plan at ``level``, or None."""
    if not path:
        return None
    from forecasting.data import read_future

    if not Path(path).exists():
        raise ShopcastError("file_not_found", file=path)
    return read_future(path, data, level=level, freq=freq)


def progress_printer(frac: float, label: str) -> None:
    """A one-line progress indicator, only on an interactive terminal."""
    if sys.stderr.isatty():
        print(f"\r[{frac:6.1%}] {label[:60]:<60}", end="", file=sys.stderr, flush=True)
