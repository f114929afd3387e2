"""What the ``forecast``, ``backtest`` and ``scenario`` commands share:
the input options (mapping overrides, level, grain, holiday country), reading
INPUT with them, and the engine (``--engine local|dask``) that fits the models."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    add_country_arg(p)


def add_country_arg(p: argparse.ArgumentParser) -> None:
    """``--country XX``: whose holidays the calendar-aware models use."""
    p.add_argument(
        "--country",
        help="holiday calendar: CN (default: Chinese e-commerce festivals) or another "
        "ISO country code for its public holidays, e.g. DE, US, GB",
    )


def with_country(params: dict, models: list[str], country: str | None) -> dict:
    """``params`` with ``country`` given to every model that reads the festival calendar.

    Models declared ``calendar`` in the registry get ``{"country": code}``; a combining
    model (``ensemble``, ``auto``) gets it in ``member_params`` for each such member
    (``registry.country_params``). A setting the user wrote in ``--params`` wins. No
    country, or the default ``CN``, leaves ``params`` as they are, so forecasts and
    stored models stay the same.

    Raises:
        ShopcastError: ``unknown_country`` for a code the ``holidays`` package lacks.
    """
    from forecasting.data.festivals import DEFAULT_COUNTRY, normalize_country
    from forecasting.models.registry import country_params

    code = normalize_country(country) if country else DEFAULT_COUNTRY
    if code == DEFAULT_COUNTRY:
        return params
    return country_params(params, models, code)


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
    for model, values in params.items():
        if not isinstance(values, dict):
            raise ShopcastError("params_not_object", model=str(model)[:40])
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
    """A one-line progress indicator with the time left, only on an interactive terminal.

    The time left extrapolates the whole run's pace so far (the clock restarts when
    the fraction goes back, i.e. a new run); the language is ``--lang`` or
    ``SHOPCAST_LANG``.
    """
    if not sys.stderr.isatty():
        return
    import os

    from forecasting.engine.parallel import Eta, clock
    from forecasting.i18n import DEFAULT_LANG, t

    eta = progress_printer.__dict__.setdefault("eta", Eta())
    left = eta.remaining(frac)
    if left is not None and frac < 1.0:
        argv = sys.argv
        lang = os.environ.get("SHOPCAST_LANG", DEFAULT_LANG)
        if "--lang" in argv[:-1]:
            lang = argv[argv.index("--lang") + 1]
        lang = next((a.split("=", 1)[1] for a in argv if a.startswith("--lang=")), lang)
        label = t("scale.progress", lang, done=label, left=clock(left))
    print(f"\r[{frac:6.1%}] {label[:70]:<70}", end="", file=sys.stderr, flush=True)


# ------------------------------------------------------------ option checks
# Checked before any file is read or model trained, so a typo costs nothing.
YEARS_MAX = 3  # the longest horizon: three years of the data's frequency
PERIODS_PER_YEAR = {"D": 365, "W": 52, "MS": 12}
MAX_HORIZON = YEARS_MAX * max(PERIODS_PER_YEAR.values())  # before the frequency is known
MAX_SEED = 2**32 - 1


def max_horizon(freq: str | None = None) -> int:
    """The longest horizon (periods) for ``freq`` (``W-FRI`` counts as ``W``)."""
    base = str(freq or "D").split("-")[0].upper()
    return YEARS_MAX * PERIODS_PER_YEAR.get(base, PERIODS_PER_YEAR["D"])


def check_range(option: str, value: float | None, low: float, high: float) -> None:
    """Refuse ``value`` outside ``[low, high]`` (NaN too) with one clear ShopcastError."""
    if value is not None and not low <= value <= high:
        raise ShopcastError("option_range", option=option, value=value, low=low, high=high)


def check_horizon(h: int, freq: str | None = None, option: str = "--horizon") -> None:
    """``h`` periods in 1..``max_horizon(freq)``; any frequency's maximum before reading."""
    check_range(option, h, 1, MAX_HORIZON)
    if freq is not None and h > max_horizon(freq):
        most = max_horizon(freq)
        raise ShopcastError(
            "horizon_range", option=option, value=h, most=most, years=YEARS_MAX, freq=freq
        )


def check_common(args: argparse.Namespace) -> dict:
    """Check ``--horizon``, ``--level``, ``--seed``, ``--params``, ``--models`` and
    ``--country``.

    Returns:
        The parsed ``--params``, with ``--country`` given to the models that read the
        festival calendar (``with_country``).
    """
    from forecasting.models import parse_model_list
    from forecasting.schema import validate_levels

    check_horizon(args.horizon)
    validate_levels(list(args.level))
    check_range("--seed", args.seed, 0, MAX_SEED)
    params = parse_params(args.params)
    models = parse_model_list(args.models)
    return with_country(params, models, getattr(args, "country", None))


def check_inputs(*paths: str | None) -> None:
    """Every given input file exists."""
    for path in paths:
        if path and not Path(path).exists():
            raise ShopcastError("file_not_found", file=path)


def check_apart(outputs: list, inputs: list) -> None:
    """No output overwrites an input file or another output of the same run."""
    seen: set[Path] = {Path(p).resolve() for p in inputs if p}
    for out in outputs:
        where = Path(out).resolve()
        if where in seen:
            raise ShopcastError("out_is_input", file=str(out))
        seen.add(where)


def first_failure(errors: dict) -> ShopcastError:
    """The error to report when every model failed: the first model's own reason.

    One line on stderr: a user who asked for several models that all failed for the
    same reason (e.g. too short a history) reads that reason once.
    """
    for err in errors.values():
        if isinstance(err, ShopcastError):
            return err
    return ShopcastError("all_models_failed")


# ------------------------------------------------------------------ the engine
ENGINES = ("local", "dask")
MAX_DASK_WORKERS = 256


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """``--engine local|dask``, ``--dask-address`` and ``--dask-workers``."""
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where models are fitted: this process (local, default) or a Dask cluster (dask)",
    )
    p.add_argument(
        "--dask-address",
        metavar="tcp://HOST:PORT",
        help="scheduler of a running Dask cluster (with --engine dask; "
        "default: a local cluster of worker processes)",
    )
    p.add_argument(
        "--dask-workers",
        type=int,
        metavar="N",
        help="worker processes of the local Dask cluster (default: one per core)",
    )


def check_engine(args: argparse.Namespace) -> None:
    """The Dask options only with ``--engine dask``; ``--dask-workers`` only without an
    address (a running cluster has its own workers)."""
    address = getattr(args, "dask_address", None)
    workers = getattr(args, "dask_workers", None)
    if getattr(args, "engine", "local") != "dask":
        for option, value in (("--dask-address", address), ("--dask-workers", workers)):
            if value is not None:
                raise ShopcastError("engine_needs_dask", option=option)
        return
    if address and workers is not None:
        raise ShopcastError("engine_workers_with_address")
    check_range("--dask-workers", workers, 1, MAX_DASK_WORKERS)


@contextmanager
def engine_client(args: argparse.Namespace) -> Iterator[object | None]:
    """None for ``--engine local``; for ``--engine dask`` a Dask client for the block
    (``engine.distributed.dask_client``), after one line on stderr naming the cluster."""
    if getattr(args, "engine", "local") != "dask":
        yield None
        return
    from forecasting.engine.distributed import dask_client, describe
    from forecasting.i18n import t

    with dask_client(args.dask_address, args.dask_workers) as client:
        address, workers, threads = describe(client)
        lang = getattr(args, "lang", "zh")
        line = t("engine.dask_using", lang, address=address, workers=workers, threads=threads)
        print(line, file=sys.stderr)
        yield client
