"""``python -m forecasting report``: the stakeholder report as HTML or PDF.

    python -m forecasting report sales.csv --future plan.csv --horizon 28 --out report.pdf

Trains (or loads from the model store) the models as ``forecast`` does, runs a
quick backtest of every model (``--windows``, default 2; 0 skips it), leads with
the model that backtest supports (``evaluation.recommend``; ``--recommend`` overrides),
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
        help="the model the report leads with (default: the one the quick backtest supports)",
    )
    r.add_argument(
        "--windows",
        type=int,
        default=2,
        help="backtest windows for the recommendation and its accuracy (default 2; 0 skips it)",
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
    html = _build(args, history, freq, data, result.forecast, result.models, config, store)
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


def _build(args, history, freq, data, forecast, trained, config, store=None) -> str:
    """The report page: the recommended model, its quick backtest, the builder.

    The quick backtest covers every trained model; the recommendation is the one
    ``evaluation.recommend`` picks from it (``--recommend`` overrides). With
    ``--windows 0`` a trained auto/ensemble's inner backtest recommends, when the
    model store holds it; else ``reports.report.recommended_model`` decides which model
    leads, and the report does not call it recommended.
    """
    from forecasting.evaluation.recommend import expected_error_text, recommend
    from forecasting.reports.report import build_report, recommended_model
    from forecasting.reports.summary import accuracy_from_cv, band_level
    from forecasting.schema import model_aliases

    accuracy, note, rec, cv = None, "", None, None
    if args.windows == 0:
        note = t("report.accuracy.skipped", args.lang)
        rec = _inner_recommendation(store, history, freq, config, trained)
    else:
        res, note = _quick_backtest(args, history, freq, trained, config)
        if res is not None:
            cv = res.cv
            rec = recommend(res, candidates=trained, level=_band(config))
    chosen = args.recommend or (rec.model if rec is not None else None)
    model = chosen or recommended_model(model_aliases(forecast))
    level = band_level(forecast, model, 80)
    if cv is not None:
        accuracy = accuracy_from_cv(cv, model, level)
        note = "" if accuracy is not None else t("report.accuracy.none", args.lang)
    if rec is not None and rec.model == model:
        from forecasting.charts.forecast import model_label

        error = expected_error_text(rec, None, freq, args.lang)
        print(t("insights.rec.title", args.lang, model=model_label(model, args.lang), error=error))
    series_name = args.aggregate or (data.ids[-1] if data.ids else "")
    return build_report(
        history,
        forecast,
        freq,
        data_name=Path(args.input).name,
        lang=args.lang,
        recommended=chosen,  # None: no backtest chose it, the report does not say "recommended"
        level=level,
        accuracy=accuracy,
        accuracy_note=note,
        country=args.country,
        series_name="" if series_name == "total" else series_name,
        top=args.top,
    )


def _band(config) -> float | None:
    """The band the backtest scores: 80% when trained with it, else the narrowest."""
    levels = sorted(float(lv) for lv in config.levels)
    if not levels:
        return None
    return 80.0 if 80.0 in levels else levels[0]


def _quick_backtest(args, history, freq, models, config):
    """``(BacktestResult, "")`` of ``models`` over ``--windows`` windows, or ``(None, reason)``.

    Only the band the report shows is scored (one level), which keeps the conformal
    refits of models without native bands to one set per window.
    """
    from forecasting.evaluation.backtest import backtest

    level = _band(config)
    try:
        res = backtest(
            history,
            freq,
            list(models),
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
    return res, ""


def _inner_recommendation(store, history, freq, config, trained):
    """The recommendation from a trained auto/ensemble's inner backtest (from the store)."""
    from forecasting.engine.forecast import data_key, store_key
    from forecasting.evaluation.recommend import recommend_from_models
    from forecasting.models import combining_models

    combos = [m for m in trained if m in combining_models()]
    if store is None or not combos:
        return None
    dkey = data_key(history, freq)
    fitted = {m: store.load(store_key(dkey, m, config)) for m in combos}
    fitted = {m: model for m, model in fitted.items() if model is not None}
    return recommend_from_models(fitted, config.horizon, candidates=trained, level=_band(config))


def _end_progress() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def _store():
    """The model store, after checking its signing key (a refused key stops here)."""
    from forecasting.engine.store import ModelStore

    store = ModelStore()
    store.check()
    return store
