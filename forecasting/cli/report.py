"""``python -m forecasting report``: the stakeholder report as HTML or PDF.

    python -m forecasting report sales.csv --future plan.csv --horizon 28 --out report.pdf

Trains (or loads from the model store) the models as ``forecast`` does, runs a
quick backtest of the recommended model (``--windows``, default 2; 0 skips it),
and writes one self-contained page (``reports.report.build_report``): ``.html``
opens offline, ``.pdf`` is that page printed by headless Chromium.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from forecasting.cli.common import (
    add_input_args,
    check_apart,
    check_common,
    check_horizon,
    check_inputs,
    check_range,
    first_failure,
    load_input,
    progress_printer,
    read_plan,
)
from forecasting.errors import ShopcastError
from forecasting.i18n import LANGUAGES, t
from forecasting.models import DEFAULT_MODELS, available

OUT_FORMATS = ("html", "pdf")
MAX_WINDOWS = 10
MAX_TOP = 100


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``subparsers`` and return its parser."""
    r = subparsers.add_parser("report", help="stakeholder report (summary, chart, KPIs): HTML/PDF")
    r.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    r.add_argument(
        "--future", help="file with drivers (price, discount, promo...) for the forecast"
    )
    r.add_argument("--horizon", "-H", type=int, default=28, help="periods to forecast (default 28)")
    r.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated: {','.join(available())}",
    )
    r.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    r.add_argument(
        "--recommend",
        metavar="MODEL",
        help="the model the report leads with (default: auto when among --models, else the first)",
    )
    r.add_argument(
        "--windows",
        type=int,
        default=2,
        help="backtest windows for the recommended model's accuracy (default 2; 0 skips it)",
    )
    r.add_argument("--top", type=int, default=10, help="series in the top table (default 10)")
    add_input_args(r, "forecast")
    r.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    r.add_argument(
        "--lang",
        dest="report_lang",
        choices=LANGUAGES,
        help="report language (default: the global --lang, zh)",
    )
    r.add_argument(
        "--out", "-o", required=True, help="report.html (opens offline) or report.pdf (Chromium)"
    )
    return r


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report described by ``args``; returns the exit code (0).

    Every option and the output path (and, for a PDF, Chromium) are checked before
    INPUT is read.

    Raises:
        ShopcastError: a bad option or output path, no Chromium for a PDF, unreadable
            input, every model failing.
    """
    from forecasting.engine.forecast import TrainConfig, forecast, run_summary
    from forecasting.reports.files import output_format, write_bytes

    args.lang = args.report_lang or args.lang  # messages follow the report's language
    lang = args.lang
    fmt, models, params = _check_options(args)
    store = None if args.no_cache else _store()
    t0 = time.perf_counter()
    history, freq, data = load_input(args)
    check_horizon(args.horizon, freq)
    future = read_plan(args.future, data, args.aggregate, history.attrs.get("freq"))
    config = TrainConfig(
        models=models,
        horizon=args.horizon,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
    )
    result = forecast(history, freq, config, future=future, progress=progress_printer, store=store)
    _end_progress()
    if not result.models:
        raise first_failure(result.errors)
    for name, err in result.errors.items():
        print(f"{name}: {err.message(lang)}", file=sys.stderr)
    print(run_summary(result).to_string(index=False))
    html = _build(args, history, freq, data, result.forecast, result.models, config)
    output_format(args.out, OUT_FORMATS)  # still writable after the work
    if fmt == "pdf":
        from forecasting.reports.pdf import html_to_pdf

        payload = html_to_pdf(html)
    else:
        payload = html.encode("utf-8")
    write_bytes(payload, args.out)
    print(
        t(
            "report.cli.wrote",
            lang,
            file=args.out,
            kb=f"{len(payload) / 1024:,.0f}",
            seconds=f"{time.perf_counter() - t0:.1f}",
        )
    )
    return 0


def _check_options(args: argparse.Namespace) -> tuple[str, list[str], dict]:
    """Output path, options, inputs and (for a PDF) Chromium, before any file is read.

    Returns:
        ``(format, models, params)``.
    """
    from forecasting.models import parse_model_list
    from forecasting.reports.files import output_format

    fmt = output_format(args.out, OUT_FORMATS)
    check_apart([args.out], [args.input, args.future])
    params = check_common(args)
    check_range("--windows", args.windows, 0, MAX_WINDOWS)
    check_range("--top", args.top, 1, MAX_TOP)
    models = parse_model_list(args.models)
    if args.recommend is not None and args.recommend not in models:
        raise ShopcastError(
            "report_recommend_unknown", model=args.recommend, choices=", ".join(models)
        )
    if fmt == "pdf":
        from forecasting.reports.pdf import require_chromium

        require_chromium()
    check_inputs(args.input, args.future)
    return fmt, models, params


def _build(args, history, freq, data, forecast, trained, config) -> str:
    """The report page: the recommended model, its quick backtest, the builder."""
    from forecasting.reports.report import build_report, recommended_model
    from forecasting.reports.summary import band_level

    model = recommended_model(trained, args.recommend)
    level = band_level(forecast, model, 80)
    accuracy, note = None, ""
    if args.windows == 0:
        note = t("report.accuracy.skipped", args.lang)
    else:
        accuracy, note = _quick_backtest(args, history, freq, model, config, level)
    series_name = args.aggregate or (data.ids[-1] if data.ids else "")
    return build_report(
        history,
        forecast,
        freq,
        data_name=Path(args.input).name,
        lang=args.lang,
        recommended=model,
        level=level,
        accuracy=accuracy,
        accuracy_note=note,
        country=args.country,
        series_name="" if series_name == "total" else series_name,
        top=args.top,
    )


def _quick_backtest(args, history, freq, model, config, level):
    """``(accuracy, "")`` of ``model`` over ``--windows`` windows, or ``(None, reason)``."""
    from forecasting.evaluation.backtest import backtest
    from forecasting.reports.summary import accuracy_from_cv

    try:
        res = backtest(
            history,
            freq,
            [model],
            config.horizon,
            n_windows=args.windows,
            levels=[level] if level is not None else [],
            model_params=config.model_params,
            seed=config.seed,
            progress=progress_printer,
        )
    except ShopcastError as exc:
        _end_progress()
        return None, t("report.accuracy.failed", args.lang, reason=exc.message(args.lang))
    _end_progress()
    acc = accuracy_from_cv(res.cv, model, level)
    if acc is None:
        return None, t("report.accuracy.none", args.lang)
    return acc, ""


def _end_progress() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def _store():
    """The model store, after checking its signing key (a refused key stops here)."""
    from forecasting.engine.store import ModelStore

    store = ModelStore()
    store.check()
    return store
