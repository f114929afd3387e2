"""``python -m forecasting forecast``: train models and write a forecast CSV, workbook or page.

    python -m forecasting forecast sales.csv --horizon 28 --models ets,lightgbm \\
        --level 80 95 --out f.csv

Uses the engine's one train -> predict -> keep loop (``engine.forecast.forecast``)
with the on-disk model store, so the same data + settings never retrain; with
``--engine dask`` the same loop runs on a Dask cluster (``engine.distributed``).
"""

from __future__ import annotations

import argparse
import sys
import time

from forecasting.cli.common import (
    add_engine_args,
    add_input_args,
    check_apart,
    check_common,
    check_engine,
    check_horizon,
    check_inputs,
    engine_client,
    first_failure,
    load_input,
    progress_printer,
    read_plan,
)
from forecasting.data.vocabulary import TOTAL
from forecasting.engine.hierarchy import CHOICES as RECONCILE_CHOICES
from forecasting.engine.hierarchy import NONE, check_method
from forecasting.i18n import note_text, t
from forecasting.models import DEFAULT_MODELS, available

OUT_FORMATS = ("csv", "xlsx", "html")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``forecast`` subcommand to ``subparsers`` and return its parser."""
    f = subparsers.add_parser("forecast", help="train models and write the forecast")
    f.add_argument("input", help="sales history: CSV (UTF-8/GBK), XLSX or Parquet")
    f.add_argument("--horizon", "-H", type=int, default=28, help="periods to forecast (default 28)")
    f.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated: {','.join(available())}",
    )
    f.add_argument("--level", type=float, nargs="*", default=[80, 95], help="interval levels in %%")
    f.add_argument(
        "--future", help="file with drivers (price, discount, promo...) for the forecast dates"
    )
    add_input_args(f, "forecast")
    f.add_argument("--no-cache", action="store_true", help="do not read or write the model store")
    add_engine_args(f)
    f.add_argument(
        "--reconcile",
        default="none",
        metavar="{" + ",".join(RECONCILE_CHOICES) + "}",
        help="forecast every level (total, category..., SKU) and make them add up with this "
        "method; the output gets a 'level' column (default none: the chosen level only)",
    )
    f.add_argument(
        "--out",
        "-o",
        required=True,
        help="output file: .csv, .xlsx or .html (the forecast charts); its folder must exist",
    )
    return f


def cmd_forecast(args: argparse.Namespace) -> int:
    """Run the forecast described by ``args``; returns the exit code (0).

    Every option and the output path are checked before INPUT is read, and the
    horizon against the data's frequency before any model is trained.

    Raises:
        ShopcastError: a bad option or output path, unreadable input, every model failing.
    """
    from forecasting.engine.forecast import TrainConfig, forecast, run_summary
    from forecasting.models import parse_model_list
    from forecasting.reports.files import check_rows, output_format

    fmt = output_format(args.out, OUT_FORMATS)
    check_apart([args.out], [args.input, args.future])
    params = check_common(args)
    check_engine(args)
    method = check_method(args.reconcile)
    check_inputs(args.input, args.future)
    store = None if args.no_cache else _store()
    history, freq, data = load_input(args)
    check_horizon(args.horizon, freq)
    config = TrainConfig(
        models=parse_model_list(args.models),
        horizon=args.horizon,
        levels=list(args.level),
        model_params=params,
        seed=args.seed,
    )
    if method != NONE:
        grain = history.attrs.get("freq")
        return _forecast_reconciled(args, data, freq, grain, config, store, fmt)
    check_rows(history["unique_id"].nunique() * args.horizon, fmt, args.out)
    future = read_plan(args.future, data, args.aggregate, history.attrs.get("freq"))

    t0 = time.perf_counter()
    with engine_client(args) as client:
        if client is None:
            result = forecast(
                history, freq, config, future=future, progress=progress_printer, store=store
            )
        else:  # the same forecasts, fitted on the cluster (engine.distributed)
            from forecasting.engine.distributed import forecast as on_cluster

            result = on_cluster(
                history, freq, config, client, future, progress=progress_printer, store=store
            )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if not result.models:  # one line: the first model's reason stands for all
        raise first_failure(result.errors)
    for name, err in result.errors.items():
        print(f"{name}: {err.message(args.lang)}", file=sys.stderr)
    for name, run in result.runs.items():
        for key, params in run.notes:
            print(f"{name}: {note_text(key, params, args.lang)}", file=sys.stderr)
    out = result.forecast
    _write(out, history, args.out, fmt, args.lang)
    summary = run_summary(result)
    print(summary.to_string(index=False))
    n_series = out["unique_id"].nunique()
    print(
        t(
            "cli.wrote",
            args.lang,
            rows=len(out),
            series=n_series,
            file=args.out,
            seconds=f"{time.perf_counter() - t0:.1f}",
        )
    )
    return 0


def _store():
    """The model store, after checking its signing key (a refused key stops here)."""
    from forecasting.engine.store import ModelStore

    store = ModelStore()
    store.check()
    return store


def _write(out, history, path: str, fmt: str, lang: str) -> None:
    """The forecast as inert CSV, an inert workbook or the HTML chart page."""
    from forecasting.reports.files import write_bytes, write_table

    if fmt != "html":
        write_table(out, path, fmt, sheet="forecast")
        return
    from forecasting.reports.html import MAX_SERIES, forecast_page

    n = out["unique_id"].nunique()
    write_bytes(forecast_page(history, out, lang, title="Shopcast").encode("utf-8"), path)
    if n > MAX_SERIES:
        print(t("report.html_more_series", lang, shown=MAX_SERIES, n=n))


# ------------------------------------------------------------------ --reconcile
def _forecast_reconciled(args, data, freq: str, grain: str | None, config, store, fmt) -> int:
    """Every level forecast and reconciled (``engine.hierarchy.forecast_coherent``),
    written with a ``level`` column; prints the method and the incoherence it removed."""
    from forecasting.engine.hierarchy import (
        RESIDUAL_WINDOWS,
        forecast_coherent,
        hierarchy_of,
        run_table,
    )
    from forecasting.engine.reconcile import LEVEL, NEEDS_RESIDUALS
    from forecasting.reports.files import check_rows

    hier = hierarchy_of(data, args.aggregate)  # a file without a hierarchy stops here
    check_rows(len(hier.nodes) * args.horizon, fmt, args.out)
    futures = None
    if args.future:
        futures = {lv: read_plan(args.future, data, lv, grain) for lv in hier.level_names()}
    if args.reconcile in NEEDS_RESIDUALS:
        print(t("reconcile.cli.residuals", args.lang, windows=RESIDUAL_WINDOWS), file=sys.stderr)
    t0 = time.perf_counter()
    with engine_client(args) as client:
        result = forecast_coherent(
            data,
            config,
            args.reconcile,
            freq,
            bottom=args.aggregate,
            grain=args.freq,
            futures=futures,
            store=store,
            progress=progress_printer,
            runner=None if client is None else _cluster_runner(client),
        )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for level, run in result.runs.items():
        for name, err in run.errors.items():
            print(f"{level} · {name}: {err.message(args.lang)}", file=sys.stderr)
    for name, level in result.left_out.items():
        print(t("reconcile.cli.left_out", args.lang, model=name, level=level), file=sys.stderr)
    out = result.forecast
    if fmt == "html":
        _write(out.drop(columns=[LEVEL]), result.history, args.out, fmt, args.lang)
    else:
        _write(out, result.history, args.out, fmt, args.lang)
    print(run_table(result).to_string(index=False))
    for line in _reconcile_lines(result, args.lang):
        print(line)
    seconds = f"{time.perf_counter() - t0:.1f}"
    n_series = out["unique_id"].nunique()
    print(t("cli.wrote", args.lang, rows=len(out), series=n_series, file=args.out, seconds=seconds))
    return 0


def _cluster_runner(client):
    """The Dask engine's forecast with the local engine's signature."""
    from forecasting.engine.distributed import forecast as on_cluster

    def run(history, freq, config, future=None, progress=None, store=None):
        return on_cluster(history, freq, config, client, future, progress=progress, store=store)

    return run


def _reconcile_lines(result, lang: str) -> list[str]:
    """Which method was used (and why, when MinT fell back) and each model's largest
    incoherence before and after."""
    label = t(f"reconcile.method.{result.method}", lang)
    names = [t("level.total", lang) if n == TOTAL else n for n in result.hierarchy.level_names()]
    chain = " → ".join(reversed(names))  # 商品 → 品类 → 全部汇总
    lines = [t("reconcile.cli.method", lang, method=result.method, label=label, levels=chain)]
    if result.fallback is not None:
        reason = " ".join(result.fallback.message(lang).split())
        lines.append(
            t(
                "reconcile.cli.fallback",
                lang,
                asked=result.requested,
                reason=reason,
                method=result.method,
            )
        )
    if result.shrinkage:
        values = ", ".join(f"{m} {v:.2f}" for m, v in result.shrinkage.items())
        lines.append(t("reconcile.shrinkage", lang, values=values))
    for model in result.models:
        before, after = result.before[model], result.after[model]
        lines.append(
            t(
                "reconcile.cli.incoherence",
                lang,
                model=model,
                before=_gap(before, lang),
                after=_gap(after, lang),
            )
        )
    return lines


def _gap(gap, lang: str) -> str:
    """``12.3 (4.5%, 护肤 2026-11-03)``; ``0`` when coherent; ``–`` when nothing compared."""
    if gap.relative != gap.relative:  # NaN: no aggregate forecast to compare
        return "–"
    if gap.relative < 1e-9:
        return t("reconcile.cli.coherent", lang)
    when = gap.ds.strftime("%Y-%m-%d") if gap.ds is not None else ""
    return t(
        "reconcile.cli.gap",
        lang,
        gap=f"{gap.gap:,.1f}",
        pct=f"{gap.relative:.1%}",
        node=gap.node,
        date=when,
    )
