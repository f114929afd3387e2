"""Streamlit glue of the Backtest page: settings, the cached run, tables and choices.

The backtest of the data the user chose on the Data page (level, grain,
series: ``actions.current_view()``) runs when the button is clicked, with a
progress bar per (window, model). Results are cached in server memory keyed by
the data's content hash and the settings, so the same backtest never runs
twice; the session keeps only the key of the latest successful report and the
names it shows (``bt_report``: a ``ReportRef``), and a failed or interrupted run
leaves it in place.

Why not ``st.cache_data`` around the run: a progress bar created outside a
cached function and updated inside it breaks Streamlit's element replay on the
next cache hit (``CacheReplayClosureError``). The run therefore happens in the
script and only its result is kept, in a store held by
``st.cache_resource`` — a private deep copy is returned on every hit, as
``st.cache_data`` would do.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from forecasting.charts.evaluation import festival_group_label, is_percent, metric_label
from forecasting.charts.forecast import model_label, series_label
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.ui import actions, state
from forecasting.ui.defaults import LEVEL_CHOICES, base_freq, default_horizon
from forecasting.ui.messages import error_text, keyed_text, md_escape
from forecasting.ui.nav import PAGES
from forecasting.ui.widgets import level_label

if TYPE_CHECKING:
    from forecasting.evaluation.backtest import BacktestResult, Step
    from forecasting.ui.actions import DataView

# Persistent session keys of this page (``bt_`` prefix).
DEFAULTS: dict[str, Any] = {
    "bt_models": None,  # None = the Train page's models + "auto"
    "bt_horizon": None,  # None = the Train page's horizon or a default for the grain
    "bt_windows": 3,
    "bt_step": 0,  # 0 = same as the horizon
    "bt_levels": [80, 95],
    "bt_report": None,  # ReportRef of the latest successful backtest (the report is in the memo)
    "bt_metric": "wape",
    "bt_h_metric": "wape",
    "bt_series": None,
    "bt_show": None,
    "bt_band": None,
    "bt_choice": None,
}
MAX_WINDOWS = 12
RANK_METRICS = ("wape", "mase", "mae", "rmse", "smape", "bias", "r2")
_MEMO_SIZE = 16


def init_state() -> None:
    """Fill missing ``bt_*`` keys (``setdefault``: the user's choices are kept)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value if not isinstance(value, list) else list(value))


# ------------------------------------------------------------------ settings
@dataclass(frozen=True)
class Settings:
    """What to backtest (hashable: part of the cache key)."""

    models: tuple[str, ...]
    horizon: int
    windows: int
    step: int  # 0 = same as the horizon
    levels: tuple[int, ...]
    params: str = ""  # JSON of per-model parameters (TensorFlow epochs...)

    @property
    def step_or_h(self) -> int:
        return self.step or self.horizon


def data_or_hint(lang: str) -> DataView | None:
    """The data to backtest, or None with a link to the Data page."""
    view = actions.current_view()
    if view is None:
        st.info(t("bt.no_data", lang), icon=":material/info:")
        st.page_link(PAGES["data"], label=t("nav.data", lang), icon=":material/table_chart:")
    return view


def default_models() -> list[str]:
    """The Train page's models plus ``auto``, so the choice table has something to show."""
    return list(dict.fromkeys([*actions.chosen_models(), "auto"]))


def settings_form(view: DataView, lang: str) -> Settings:
    """Models, horizon, windows (and step, levels in an expander)."""
    from forecasting.models import TENSORFLOW_MODELS, available

    unit = t(f"unit.{base_freq(view.freq)}", lang)
    names = available()
    chosen = [m for m in (state.get("bt_models") or default_models()) if m in names]
    st.multiselect(
        t("bt.models", lang),
        names,
        format_func=lambda m: model_label(m, lang),
        help=t("bt.models_help", lang),
        placeholder=t("train.models_placeholder", lang),
        **state.bind("bt_models", default=chosen),
    )
    c1, c2 = st.columns(2)
    horizon = state.get("train_horizon") or default_horizon(view.freq)
    c1.number_input(
        t("bt.horizon", lang, unit=unit),
        min_value=1,
        max_value=1000,
        step=1,
        **state.bind("bt_horizon", default=int(horizon)),
    )
    c2.number_input(
        t("bt.windows", lang),
        min_value=1,
        max_value=MAX_WINDOWS,
        step=1,
        help=t("bt.windows_help", lang),
        **state.bind("bt_windows"),
    )
    with st.expander(t("bt.advanced", lang)):
        a1, a2 = st.columns(2)
        a1.number_input(
            t("bt.step", lang), min_value=0, max_value=1000, step=1, **state.bind("bt_step")
        )
        a2.multiselect(t("bt.levels", lang), list(LEVEL_CHOICES), **state.bind("bt_levels"))
    picked = state.get("bt_models")  # None until the user edits the widget: its default shows
    models = tuple(m for m in (chosen if picked is None else picked) if m in names)
    h = int(state.get("bt_horizon") or horizon)
    params: dict[str, dict] = {}
    if any(m in TENSORFLOW_MODELS for m in models):
        train = actions.train_config(view.freq).model_params  # the Train page's epochs/window
        params = {m: train.get(m, {}) for m in models if m in TENSORFLOW_MODELS}
    settings = Settings(
        models=models,
        horizon=h,
        windows=int(state.get("bt_windows") or 1),
        step=int(state.get("bt_step") or 0),
        levels=tuple(sorted(int(lv) for lv in state.get("bt_levels") or [])),
        params=json.dumps(params, sort_keys=True) if params else "",
    )
    span = settings.horizon + settings.step_or_h * (settings.windows - 1)
    st.caption(
        t(
            "bt.plan",
            lang,
            windows=settings.windows,
            h=settings.horizon,
            unit=unit,
            span=span,
            n=len(models),
        )
    )
    return settings


# ------------------------------------------------------------------- the run
@dataclass
class Report:
    """A finished backtest and the tables the page shows, independent of later data changes."""

    key: str
    data_name: str
    level: str
    freq: str
    settings: Settings
    result: BacktestResult
    history: pd.DataFrame
    metrics: pd.DataFrame
    horizon: pd.DataFrame
    festival: pd.DataFrame
    choices: pd.DataFrame
    seconds: float = 0.0
    created: str = field(default_factory=lambda: datetime.now().strftime("%Y-%m-%d %H:%M"))


def run_key(view: DataView, settings: Settings) -> str:
    """Cache key: content hash of the history (with its frequency) and the settings."""
    from forecasting.engine.forecast import data_key

    blob = json.dumps(
        [
            data_key(view.history, view.freq),
            list(settings.models),
            settings.horizon,
            settings.windows,
            settings.step,
            list(settings.levels),
            settings.params,
        ]
    )
    import hashlib

    return hashlib.sha256(blob.encode()).hexdigest()[:32]


class _Memo:
    """A small LRU of reports shared by all sessions (content-keyed); each session gets
    a deep copy (no pickling: nothing here is ever read back from bytes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self.lock:
            value = self.items.get(key)
            if value is None:
                return None
            self.items.move_to_end(key)
        return copy.deepcopy(value)  # a private copy, like st.cache_data

    def put(self, key: str, value: Any) -> None:
        value = copy.deepcopy(value)
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _memo() -> _Memo:
    return _Memo(_MEMO_SIZE)


def reset_memo() -> None:
    """Forget every stored report (tests)."""
    _memo.clear()


@dataclass(frozen=True)
class ReportRef:
    """What the session keeps of its latest report: the memo key and its own names."""

    key: str
    data_name: str
    level: str


def compute(view: DataView, settings: Settings, report_step=None) -> Report:
    """Run the backtest and build every table of the page (no streamlit calls).

    Raises:
        ShopcastError: no models, bad settings, history too short, all models failed.
    """
    from forecasting.evaluation.backtest import auto_choices, backtest

    if not settings.models:
        raise ShopcastError("bt_no_models")
    t0 = time.perf_counter()
    result = backtest(
        view.history,
        view.freq,
        list(settings.models),
        settings.horizon,
        n_windows=settings.windows,
        step=settings.step or None,
        levels=list(settings.levels),
        model_params=json.loads(settings.params) if settings.params else None,
        report=report_step,
    )
    metrics = result.metrics(view.history)
    return Report(
        key=run_key(view, settings),
        data_name=view.source.name,
        level=view.level,
        freq=view.freq,
        settings=settings,
        result=result,
        history=_context(view.history, result),
        metrics=metrics,
        horizon=result.horizon_errors(),
        festival=result.festival_metrics(view.history),
        choices=auto_choices(result.explanations),
        seconds=time.perf_counter() - t0,
    )


def _context(history: pd.DataFrame, result: BacktestResult) -> pd.DataFrame:
    """The history the window chart needs: one horizon before the first cut-off onwards."""
    from forecasting.schema import CUTOFF, DS, ID, Y

    first = result.cv[CUTOFF].min()
    start = pd.date_range(end=first, periods=result.h + 1, freq=result.freq)[0]
    return history.loc[history[DS] >= start, [ID, DS, Y]].reset_index(drop=True)


def cached_report(view: DataView, settings: Settings, lang: str) -> Report:
    """The report for ``view`` + ``settings``: from the memo, or run with a progress bar.

    Raises:
        ShopcastError: as :func:`compute` (nothing is stored then).
    """
    if not settings.models:
        raise ShopcastError("bt_no_models")
    key = run_key(view, settings)
    memo = _memo()
    hit = memo.get(key)
    if hit is not None:
        return hit
    bar = st.progress(0.0, text=t("bt.progress_start", lang))
    last = [0.0]

    def on_step(s: Step) -> None:
        now = time.perf_counter()
        if s.model and now - last[0] < 0.15:  # keep the websocket quiet
            return
        last[0] = now
        text = t("bt.progress_start", lang)
        if s.model:
            own = s.detail and s.detail != s.model  # e.g. an ensemble member being fitted
            detail = md_escape(model_label(s.detail, lang)) if own else t("ui.working", lang)
            text = t(  # progress text is Markdown
                "bt.progress",
                lang,
                model=md_escape(model_label(s.model, lang)),
                window=s.window,
                n=s.n_windows,
                cutoff=s.cutoff.date() if s.cutoff is not None else "",
                detail=detail,
            )
        bar.progress(min(max(s.fraction, 0.0), 1.0), text=text)

    try:
        report = compute(view, settings, on_step)
    finally:
        bar.empty()
    memo.put(key, report)
    return report


def run_button(view: DataView, settings: Settings, lang: str) -> None:
    """The run button; a success replaces ``bt_report``, an error keeps the old one."""
    if not st.button(t("bt.run", lang), type="primary", key="bt_run", icon=":material/play_arrow:"):
        return
    try:
        report = cached_report(view, settings, lang)
    except ShopcastError as exc:
        st.error(error_text(exc, lang), icon=":material/error:")
        return
    # A memo hit may come from another session with the same content: show our own names.
    st.session_state["bt_report"] = ReportRef(report.key, view.source.name, view.level)
    for key in ("bt_series", "bt_show", "bt_band", "bt_choice"):
        state.reseed(key, None)
    st.success(t("bt.done", lang, seconds=f"{report.seconds:.1f}"), icon=":material/check_circle:")


def current_report(view: DataView | None, settings: Settings | None, lang: str) -> Report | None:
    """The session's latest report, with a note when it no longer matches the page."""
    ref = state.get("bt_report")
    report = _memo().get(ref.key) if ref is not None else None  # a private copy
    if report is None:
        st.info(t("bt.none", lang), icon=":material/info:")
        return None
    report.data_name, report.level = ref.data_name, ref.level
    if view is not None and settings is not None and ref.key != run_key(view, settings):
        st.caption(t("bt.stale", lang))
    return report


def stored_report() -> Report | None:
    """The session's latest report (a private copy), without any message; None when none."""
    ref = state.get("bt_report")
    return _memo().get(ref.key) if ref is not None else None


# ----------------------------------------------------------------- sections
def report_header(report: Report, lang: str) -> None:
    """Which data and settings the results come from, and the models that failed."""
    from forecasting.schema import CUTOFF

    unit = t(f"unit.{base_freq(report.freq)}", lang)
    cuts = sorted(report.result.cv[CUTOFF].unique())
    st.markdown(
        t(
            "bt.meta",
            lang,
            name=md_escape(report.data_name),
            level=md_escape(level_label(report.level, lang)),  # the column name is data
            windows=report.result.n_windows,
            h=report.result.h,
            unit=unit,
            first=pd.Timestamp(cuts[0]).date(),
            last=pd.Timestamp(cuts[-1]).date(),
            created=report.created,
        )
    )
    for model, k, reason in failure_lines(report.result.failures, lang):
        st.warning(
            t(
                "bt.failed",
                lang,
                model=md_escape(model_label(model, lang)),
                k=k,
                n=report.result.n_windows,
                reason=reason,
            ),
            icon=":material/warning:",
        )


def failure_lines(failures: list[dict], lang: str) -> list[tuple[str, int, str]]:
    """``(model, windows failed, first reason as Markdown)`` per model that failed somewhere.

    The reason is rendered here rather than by the library so that names in it are
    escaped and a key without a translation yet still reads as a clear sentence.
    """
    first: dict[str, list] = {}
    for f in failures:
        entry = first.setdefault(f["model"], [0, f])
        entry[0] += 1
    return [
        (model, k, keyed_text(f"error.{f['key']}", f.get("params"), lang))
        for model, (k, f) in first.items()
    ]


def leaderboard_table(report: Report, lang: str, sort_by: str = "wape") -> pd.DataFrame:
    """The leaderboard with translated headers (numbers stay numbers: sortable)."""
    from forecasting.evaluation.metrics import leaderboard

    board = leaderboard(report.metrics, sort_by=sort_by, models=list(report.settings.models))
    out = pd.DataFrame(
        {
            t("bt.col.rank", lang): board["rank"].to_numpy(),
            t("bt.col.model", lang): [model_label(m, lang) for m in board["model"]],
        }
    )
    for col in board.columns[2:]:
        if col == "mse":
            continue  # RMSE says the same in the data's units
        out[metric_label(col, lang)] = board[col].to_numpy(dtype=float)
    out[t("bt.col.seconds", lang)] = [
        round(report.result.seconds.get(m, np.nan), 1) for m in board["model"]
    ]
    return out


def _column_config(frame: pd.DataFrame, metrics: list[str], lang: str) -> dict[str, Any]:
    """Percent format for fractions, 1-3 decimals for the rest."""
    config: dict[str, Any] = {}
    for metric in metrics:
        label = metric_label(metric, lang)
        if label in frame.columns:
            fmt = (
                "percent" if is_percent(metric) else "%.3f" if metric in ("mase", "r2") else "%.1f"
            )
            config[label] = st.column_config.NumberColumn(label, format=fmt)
    return config


def leaderboard_section(report: Report, lang: str) -> tuple[pd.DataFrame, str]:
    """Rank-by picker, the sortable table and the per-series scores.

    Returns:
        The (untranslated) leaderboard and the metric it is ranked by.
    """
    from forecasting.evaluation.metrics import leaderboard

    st.subheader(t("bt.section.leaderboard", lang))
    options = [m for m in RANK_METRICS if (report.metrics["metric"] == m).any()]
    options += [
        f"coverage_{lv}"
        for lv in report.settings.levels
        if (report.metrics["metric"] == f"coverage_{lv}").any()
    ]
    if state.get("bt_metric") not in options:
        state.reseed("bt_metric", options[0] if options else "wape")
    metric = st.selectbox(
        t("bt.rank_by", lang),
        options,
        format_func=lambda m: metric_label(m, lang),
        **state.bind("bt_metric"),
    )
    table = leaderboard_table(report, lang, metric)
    shown = list(dict.fromkeys(report.metrics["metric"]))
    st.dataframe(
        table, hide_index=True, width="stretch", column_config=_column_config(table, shown, lang)
    )
    st.caption(t("bt.section.leaderboard_help", lang))
    member_gap_notes(report, lang)
    with st.expander(t("bt.per_series", lang, metric=metric_label(metric, lang))):
        st.dataframe(per_series_table(report, metric, lang), hide_index=True, width="stretch")
    board = leaderboard(report.metrics, sort_by=metric, models=list(report.settings.models))
    return board, metric


def member_gap_notes(report: Report, lang: str) -> None:
    """Say why a combination (auto/ensemble) ranks behind one of its own members."""
    from forecasting.evaluation.diagnosis import behind_members

    res = report.result
    for gap in behind_members(res.cv, res.models, res.explanations):
        params = {
            "model": md_escape(model_label(gap.model, lang)),
            "member": md_escape(model_label(gap.member, lang)),
            "a": f"{gap.wape_model:.1%}",
            "b": f"{gap.wape_member:.1%}",
            "wins": gap.member_wins,
            "n": gap.n_windows,
        }
        if gap.consistent:
            verdict = t("diag.verdict.consistent", lang, **params)
        elif np.isfinite(gap.spread):
            verdict = t("diag.verdict.noise", lang, spread=f"{100 * gap.spread:.1f}", **params)
        else:
            verdict = t("diag.verdict.one_window", lang)
        st.info(
            t("diag.behind", lang, **params) + " " + t("diag.why", lang, **params) + " " + verdict,
            icon=":material/help:",
        )


def per_series_table(report: Report, metric: str, lang: str) -> pd.DataFrame:
    """One row per series, one column per model, values of ``metric``."""
    from forecasting.evaluation.metrics import ALL
    from forecasting.schema import ID

    m = report.metrics
    rows = m[(m["metric"] == metric) & (m[ID].astype(str) != ALL)]
    models = [c for c in report.settings.models if c in m.columns]
    out = pd.DataFrame({t("bt.col.series", lang): [series_label(s, lang) for s in rows[ID]]})
    for alias in models:
        out[model_label(alias, lang)] = rows[alias].to_numpy(dtype=float).round(4)
    return out


def horizon_controls(lang: str) -> str:
    """WAPE or MAE for the error-over-horizon chart."""
    st.subheader(t("bt.section.horizon", lang))
    return st.radio(
        t("bt.horizon_metric", lang),
        ["wape", "mae"],
        horizontal=True,
        format_func=lambda m: metric_label(m, lang),
        **state.bind("bt_h_metric"),
    )


def window_controls(report: Report, lang: str) -> tuple[str, list[str], float | None]:
    """Series, models and band for the actual-vs-predicted chart."""
    from forecasting.schema import ID, Y

    st.subheader(t("bt.section.windows", lang))
    cv = report.result.cv
    sizes = cv.groupby(ID, observed=True)[Y].sum().sort_values(ascending=False)
    series = [str(s) for s in sizes.index]
    models = report.result.scored_models
    if state.get("bt_series") not in series:
        state.reseed("bt_series", series[0] if series else None)
    show = state.get("bt_show")
    if not show or not set(show) <= set(models):
        state.reseed("bt_show", models[: min(3, len(models))])
    # 0 = no band (a None option would show as "no selection" in st.selectbox)
    bands = [0, *report.settings.levels]
    if state.get("bt_band") not in bands:
        state.reseed("bt_band", report.settings.levels[0] if report.settings.levels else 0)
    c1, c2, c3 = st.columns([2, 3, 1])
    c1.selectbox(
        t("bt.series", lang),
        series,
        format_func=lambda s: series_label(s, lang),
        disabled=len(series) == 1,
        **state.bind("bt_series"),
    )
    c2.multiselect(
        t("bt.show_models", lang),
        models,
        format_func=lambda m: model_label(m, lang),
        **state.bind("bt_show"),
    )
    c3.selectbox(
        t("bt.band", lang),
        bands,
        format_func=lambda b: f"{b}%" if b else t("bt.band_none", lang),
        **state.bind("bt_band"),
    )
    band = state.get("bt_band") or None
    return state.get("bt_series"), list(state.get("bt_show") or []), band


def festival_table(report: Report, metric: str, lang: str) -> pd.DataFrame | None:
    """Rows: festival windows, ``any`` and ordinary days; columns: models' ``metric`` + points.

    None when no festival window falls in the backtest dates.
    """
    from forecasting.evaluation.metrics import ALL, ANY_FESTIVAL
    from forecasting.schema import ID

    fest = report.festival
    if fest.empty or not (fest["festival"] == ANY_FESTIVAL).any():
        return None
    pooled = fest[fest[ID].astype(str) == ALL]
    models = [c for c in report.result.scored_models if c in fest.columns]
    groups = list(dict.fromkeys(pooled["festival"]))
    rows = []
    for g in groups:
        part = pooled[pooled["festival"] == g].set_index("metric")
        row = {t("bt.col.festival", lang): festival_group_label(g, lang)}
        if "n_points" in part.index:
            row[t("bt.col.points", lang)] = int(
                np.nanmax(part.loc["n_points", models].to_numpy(float))
            )
        for alias in models:
            value = part.loc[metric, alias] if metric in part.index else np.nan
            row[model_label(alias, lang)] = float(value)
        rows.append(row)
    return pd.DataFrame(rows)


def festival_section(report: Report, metric: str, lang: str) -> bool:
    """The festival-window table; False (with a note) when there is none."""
    st.subheader(t("bt.section.festival", lang))
    st.caption(t("bt.festival_help", lang))
    table = festival_table(report, metric, lang)
    if table is None:
        st.info(t("bt.festival_none", lang), icon=":material/event_busy:")
        return False
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            model_label(m, lang): st.column_config.NumberColumn(
                model_label(m, lang), format="percent" if is_percent(metric) else "%.3f"
            )
            for m in report.result.scored_models
        },
    )
    return True


# ------------------------------------------------------------ auto / ensemble
def choice_table(choices: pd.DataFrame, model: str, lang: str) -> pd.DataFrame:
    """Per series: the chosen member, why (inner-backtest MAE), weights and window history."""
    from forecasting.evaluation.backtest import member_names
    from forecasting.schema import ID

    part = choices[choices["model"] == model]
    members = member_names(part)
    rows = []
    for _, r in part.iterrows():
        row = {
            t("bt.col.series", lang): series_label(r[ID], lang),
            t("bt.col.chosen", lang): model_label(r["chosen"], lang),
            t("bt.col.why", lang): why_text(r, members, model, lang),
        }
        for m in members:
            row[t("bt.col.weight", lang, model=model_label(m, lang))] = _num(r.get(f"weight_{m}"))
        for m in members:
            row[t("bt.col.mae", lang, model=model_label(m, lang))] = _num(r.get(f"mae_{m}"))
        counts = r.get("times_chosen") or {}
        row[t("bt.col.history", lang)] = ", ".join(
            f"{model_label(k, lang)} {v}/{int(r['n_windows'])}" for k, v in counts.items()
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def why_text(row: pd.Series, members: list[str], model: str, lang: str) -> str:
    """One sentence: the member MAE that decided the choice (auto) or the weights (ensemble)."""
    if bool(row.get("flat", False)):
        used = [m for m in members if _num(row.get(f"weight_{m}")) > 0]
        return t("bt.why.flat", lang, models=", ".join(model_label(m, lang) for m in used))
    if bool(row.get("panel", False)):
        return t("bt.why.panel", lang, best=model_label(row["chosen"], lang))
    if bool(row.get("pooled", False)):
        weights = {m: _num(row.get(f"weight_{m}")) for m in members}
        top = max(weights, key=lambda m: weights[m] if np.isfinite(weights[m]) else -1)
        return t("bt.why.pooled", lang, best=model_label(top, lang), weight=f"{weights[top]:.0%}")
    maes = {m: _num(row.get(f"mae_{m}")) for m in members}
    maes = {m: v for m, v in maes.items() if np.isfinite(v)}
    if not maes:
        return t("bt.why.no_backtest", lang)
    best = min(maes, key=maes.get)
    others = [
        f"{model_label(m, lang)} {v:,.1f}"
        for m, v in sorted(maes.items(), key=lambda x: x[1])
        if m != best
    ]
    weighted = bool(row.get("weighted", False))
    if model == "auto" and not weighted:
        vs = t("bt.why.vs", lang, items=", ".join(others)) if others else ""
        return t(
            "bt.why.auto",
            lang,
            best=model_label(row["chosen"], lang),
            best_mae=f"{maes.get(row['chosen'], maes[best]):,.1f}",
            others=vs,
        )
    weights = {m: _num(row.get(f"weight_{m}")) for m in members}
    top = max(weights, key=lambda m: weights[m] if np.isfinite(weights[m]) else -1)
    dropped = [model_label(m, lang) for m in maes if weights.get(m, 0) == 0]
    extra = t("bt.why.dropped", lang, items=", ".join(dropped)) if dropped else ""
    lead = t("bt.why.weighted", lang) if weighted and model == "auto" else ""
    return lead + t(
        "bt.why.ensemble",
        lang,
        best=model_label(top, lang),
        weight=f"{weights[top]:.0%}",
        dropped=extra,
    )


def choice_section(report: Report, lang: str) -> pd.DataFrame | None:
    """Which member ``auto``/``ensemble`` used per series at the latest cut-off, and why."""
    from forecasting.evaluation.backtest import member_names
    from forecasting.models import combining_models

    st.subheader(t("bt.section.choice", lang))
    choices = report.choices
    combining = sorted(combining_models())  # alphabetical: "auto" before "ensemble"
    models = [m for m in combining if len(choices) and (choices["model"] == m).any()]
    if not models:
        st.info(t("bt.choice_none", lang), icon=":material/info:")
        return None
    if state.get("bt_choice") not in models:
        state.reseed("bt_choice", models[0])
    model = st.radio(
        t("bt.choice_model", lang),
        models,
        horizontal=True,
        format_func=lambda m: model_label(m, lang),
        **state.bind("bt_choice"),
    )
    part = choices[choices["model"] == model]
    latest = pd.Timestamp(part["cutoff"].max()).date()
    st.caption(t("bt.choice_help", lang, cutoff=latest))
    table = choice_table(choices, model, lang)
    weight_cols = [t("bt.col.weight", lang, model=model_label(m, lang)) for m in member_names(part)]
    config = {c: st.column_config.NumberColumn(c, format="percent") for c in weight_cols}
    config.update(
        {
            c: st.column_config.NumberColumn(c, format="%.1f")
            for c in table.columns
            if c not in weight_cols and pd.api.types.is_float_dtype(table[c])
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    for line in choice_summary(part, lang):
        st.markdown(f"- {line}")
    return table


def choice_summary(part: pd.DataFrame, lang: str) -> list[str]:
    """How often each member was chosen at the latest cut-off, and how stable choices were."""
    n_series = len(part)
    if not n_series:
        return []
    lines = [
        t(
            "bt.choice_counts",
            lang,
            model=md_escape(model_label(member, lang)),
            k=int(k),
            total=n_series,
            share=f"{k / n_series:.0%}",
        )
        for member, k in part["chosen"].value_counts().items()
    ]
    if int(part["n_windows"].max()) > 1:
        changed = int(sum(len(c or {}) > 1 for c in part["times_chosen"]))
        lines.append(t("bt.choice_changed", lang, changed=changed, total=n_series))
    return lines
