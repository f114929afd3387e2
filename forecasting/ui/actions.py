"""What buttons do: change the data source, build the training config, train.

Every action validates before it touches the session, so a failure leaves the
previous data and results in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecasting.errors import ShopcastError
from forecasting.ui import cache, interruption, state, training
from forecasting.ui.defaults import LEVEL_CHOICES, base_freq, default_horizon, level_candidates
from forecasting.ui.messages import md_escape
from forecasting.ui.state import Source

if TYPE_CHECKING:
    from forecasting.data import SalesData
    from forecasting.engine.forecast import TrainConfig
    from forecasting.ui.training import Result, RunInfo

__all__ = [
    "LEVEL_CHOICES",
    "DataView",
    "base_freq",
    "chosen_models",
    "current_inputs",
    "current_view",
    "data_args",
    "default_horizon",
    "default_level",
    "drop_plan",
    "quickstart",
    "readable_sheet",
    "retrain",
    "run_training",
    "set_mapping",
    "set_plan",
    "set_source",
    "stale_reasons",
    "train_config",
    "use_plan_upload",
    "use_sample",
    "use_upload",
]
TF_PARAMS = ("epochs", "window")
# What a forecast depends on, in the order the "outdated" message names them.
INPUT_NAMES = (
    "data",
    "sheet",
    "mapping",
    "level",
    "freq",
    "series",
    "plan",
    "country",
    "models",
    "horizon",
    "levels",
    "params",
)


@dataclass(frozen=True)
class DataView:
    """The current data at the chosen level and frequency."""

    source: Source
    data: SalesData
    history: pd.DataFrame
    freq: str
    level: str
    series: tuple[str, ...]
    future: pd.DataFrame | None = None
    plan: Source | None = None

    @property
    def args(self) -> tuple[Any, ...]:
        """Arguments shared by the data caches (key, name, sheet, mapping)."""
        return _args(self.source)


def data_args(src: Source) -> tuple[Any, ...]:
    """Keys of the data caches for ``src`` with the session's sheet and mapping."""
    return _args(src)


def _args(src: Source, sheet: Any = ..., mapping: Any = ...) -> tuple[Any, ...]:
    """Cache arguments of ``src``: the session's sheet and mapping unless given."""
    return (
        src.digest,
        src.name,
        state.get("data_sheet") if sheet is ... else sheet,
        cache.mapping_key(state.get("data_mapping") if mapping is ... else mapping),
    )


# ----------------------------------------------------------------- data source
def set_source(name: str, data: bytes, kind: str) -> Source:
    """Make ``data`` the current file after checking that it can be read.

    A workbook whose automatic reading fails is still taken when one of its
    sheets reads: the Data page then offers the sheet picker on that sheet.

    Raises:
        ShopcastError: unreadable file (the current data stays).
    """
    key = cache.digest(data)
    sheet = _first_sheet(key, name, data)  # fail here, before touching the session
    cache.keep_file(data)
    src = Source(name=name, digest=key, kind=kind)
    old = state.get("data_source")
    if old is None or old.digest != src.digest:
        # the slow part first: a rerun cut short here (the user opens another page at
        # once) leaves the session on the old file, and the next run takes the new one
        # whole, instead of the new file at the old file's level
        level = default_level(src, sheet=sheet, mapping=None)
        st.session_state["data_source"] = src
        st.session_state["data_sheet"] = sheet
        st.session_state["data_mapping"] = None
        state.reseed("data_level", level)
        state.reseed("data_series", [])
        state.reseed("data_freq", "auto")
        state.reseed("train_horizon", None)
        st.session_state["data_plan"] = None
    elif old.name != src.name:  # the same bytes under another name: keep the choices
        st.session_state["data_source"] = src
    return src


def _first_sheet(key: str, name: str, data: bytes) -> str | None:
    """None when automatic reading works, else the first sheet that reads.

    Raises:
        Exception: automatic reading's own error when no sheet reads.
    """
    try:
        cache.raw_table(key, name, None, data)
        return None
    except Exception:
        sheets = cache.sheet_names(key, name, data)
        sheet = _readable(key, name, data, sheets) if len(sheets) > 1 else None
        if sheet is None:
            raise
        return sheet


def readable_sheet(src: Source, sheets: list[str]) -> str | None:
    """The first of ``sheets`` of the current workbook that reads as a table (None: none)."""
    return _readable(src.digest, src.name, cache.file_bytes(src), sheets)


def _readable(key: str, name: str, data: bytes, sheets: list[str]) -> str | None:
    for sheet in sheets:
        try:
            cache.raw_table(key, name, sheet, data)
        except Exception:  # noqa: BLE001 - a cover or notes sheet: try the next
            continue
        return sheet
    return None


def use_sample() -> Source:
    """Load the bundled sample CSV and its promotion plan (``sample_data/``)."""
    from forecasting.data.sample import sample_path

    path = Path(sample_path("csv"))
    src = set_source(path.name, path.read_bytes(), "sample")
    plan = Path(sample_path("future"))
    if plan.exists():
        set_plan(plan.name, plan.read_bytes(), "sample")
    return src


def set_plan(name: str, data: bytes, kind: str = "upload") -> Source:
    """Attach a future driver plan (prices, promotions) after checking it reads.

    Raises:
        ShopcastError: unreadable plan, or no data loaded yet (the old plan stays).
    """
    from forecasting.data import read_future

    src = state.get("data_source")
    if src is None:
        raise ShopcastError("no_data")
    sales = cache.sales_data(*_args(src), cache.file_bytes(src))
    read_future(data, sales, level="total", name=name)  # fail before touching the session
    plan = Source(name=name, digest=cache.keep_file(data), kind=kind)
    st.session_state["data_plan"] = plan
    return plan


def use_plan_upload(uploaded: Any) -> Source | None:
    """Take the plan uploader's value; None when it is empty."""
    if uploaded is None:
        return None
    return set_plan(uploaded.name, uploaded.getvalue())


def drop_plan() -> None:
    """Forecast without a plan (neutral: last prices, no promotions)."""
    st.session_state["data_plan"] = None


PENDING_UPLOAD = "_data_upload_pending"


def take_upload(uploaded: Any) -> Source | None:
    """:func:`use_upload` that survives a run cut short: the upload is noted first, and
    if the run stops before the file is taken (the user opened another page at once),
    the next run of any page finishes it (:func:`finish_upload`)."""
    st.session_state[PENDING_UPLOAD] = uploaded
    try:
        src = use_upload(uploaded)
    except Exception:  # refused (unreadable): done with it. A stop is not an Exception.
        st.session_state.pop(PENDING_UPLOAD, None)
        raise
    st.session_state.pop(PENDING_UPLOAD, None)
    return src


def finish_upload() -> None:
    """Take an upload that a cut-short run left pending (see :func:`take_upload`). A
    file that cannot be read leaves the current data as it is; the Data page says why
    when the user uploads it again."""
    uploaded = st.session_state.get(PENDING_UPLOAD)
    if uploaded is None:
        return
    try:
        take_upload(uploaded)
    except Exception:  # noqa: BLE001, S110 - the current data stays; nothing half-changed
        pass


def use_upload(uploaded: Any) -> Source | None:
    """Take a ``st.file_uploader`` value; None when nothing (new) was uploaded."""
    if uploaded is None:
        return None
    data = uploaded.getvalue()
    src = state.get("data_source")
    if src is not None and src.name == uploaded.name and src.digest == cache.digest(data):
        cache.keep_file(data)  # the same file again: make sure the store still has it
        return src
    return set_source(uploaded.name, data, "upload")


def set_mapping(mapping: dict | None) -> None:
    """Use a corrected mapping (None = automatic) and reset level-dependent choices."""
    if mapping != state.get("data_mapping"):
        st.session_state["data_mapping"] = mapping
        src = state.get("data_source")
        state.reseed("data_level", default_level(src) if src is not None else "total")
        state.reseed("data_series", [])


def default_level(src: Source, sheet: Any = ..., mapping: Any = ...) -> str:
    """The level a new file is forecast at: the finest (per SKU) that fits, else coarser.

    A level fits when it has at most ``defaults.MAX_DEFAULT_SERIES`` series and its
    date grid is accepted (``history`` refuses grids that are too large); "total"
    otherwise, and for files without an id column. Reads the session's sheet and mapping
    unless ``sheet``/``mapping`` are given.
    """
    try:
        args, raw = _args(src, sheet, mapping), cache.file_bytes(src)
        data = cache.sales_data(*args, raw)
        counts = {lv: len(data.series_ids(lv)) for lv in data.levels()[1:]}
        for level in level_candidates(data.levels(), counts)[:-1]:
            try:
                cache.history(*args, level, "auto", (), raw)
            except ShopcastError:
                continue
            return level
    except Exception:  # noqa: BLE001 - the Data page reports an unreadable file itself
        pass
    return "total"


def current_view() -> DataView | None:
    """The current data at the chosen level/frequency/series, or None when no data.

    Raises:
        ShopcastError: the file cannot be mapped or cut as chosen.
    """
    src = state.get("data_source")
    if src is None:
        return None
    args = _args(src)
    raw = cache.file_bytes(src)
    data = cache.sales_data(*args, raw)
    level = state.get("data_level")
    if level not in data.levels():
        level = "total"
        state.reseed("data_level", level)
    series = tuple(str(s) for s in state.get("data_series") or ())
    if series and level == "total":
        series = ()
    grain = state.get("data_freq")
    hist, freq = cache.history(*args, level, grain, series, raw)
    plan = state.get("data_plan")
    future = None
    if plan is not None:
        future = cache.future_plan(
            *args, level, grain, series, plan.digest, plan.name, raw, cache.file_bytes(plan)
        )
    return DataView(src, data, hist, freq, level, series, future, plan)


# ---------------------------------------------------------------- train config
def chosen_models() -> list[str]:
    """The Train page's models (the registry's defaults until the user picks)."""
    from forecasting.models import DEFAULT_MODELS, available

    models = state.get("train_models")
    models = list(DEFAULT_MODELS) if models is None else list(models)
    return [m for m in models if m in available()]


def train_config(freq: str) -> TrainConfig:
    """The training configuration from the Train page's choices."""
    from forecasting.engine.forecast import TrainConfig
    from forecasting.models import TENSORFLOW_MODELS

    models = chosen_models()
    horizon = state.get("train_horizon") or default_horizon(freq)
    params: dict[str, dict] = {}
    tf = {"epochs": int(state.get("train_epochs"))}
    if state.get("train_window"):
        tf["window"] = int(state.get("train_window"))
    for m in models:
        if m in TENSORFLOW_MODELS:
            params[m] = dict(tf)
    country = state.get("data_country") or "CN"
    if country != "CN":  # the default calendar leaves parameters (and stored models) as they are
        from forecasting.data.festivals import normalize_country
        from forecasting.models.registry import country_params

        params = country_params(params, models, normalize_country(country))
    levels = sorted(int(lv) for lv in state.get("train_levels") or [])
    return TrainConfig(models=models, horizon=int(horizon), levels=levels, model_params=params)


# ---------------------------------------------------------------- freshness
def data_inputs() -> tuple:
    """The session's data choices that a forecast depends on, as ``(name, value)`` pairs."""
    src, plan = state.get("data_source"), state.get("data_plan")
    level = state.get("data_level")
    series = () if level == "total" else tuple(sorted(map(str, state.get("data_series") or ())))
    return (
        ("data", src.digest if src is not None else None),
        ("sheet", state.get("data_sheet")),
        ("mapping", cache.mapping_key(state.get("data_mapping"))),
        ("level", level),
        ("freq", state.get("data_freq")),
        ("series", series),
        ("plan", plan.digest if plan is not None else None),
        ("country", state.get("data_country") or "CN"),
    )


def config_inputs(config: TrainConfig) -> tuple:
    """A training configuration as ``(name, value)`` pairs (hashable, comparable)."""
    import json

    return (
        ("models", tuple(config.models)),
        ("horizon", int(config.horizon)),
        ("levels", tuple(sorted(int(lv) for lv in config.levels))),
        ("params", json.dumps(config.model_params, sort_keys=True, default=str)),
    )


def current_inputs(freq: str, config: TrainConfig | None = None) -> tuple:
    """Fingerprint of what a forecast made now would depend on (data + settings)."""
    return data_inputs() + config_inputs(config or train_config(freq))


def stale_reasons() -> list[str] | None:
    """What changed since the session's forecast was made (``INPUT_NAMES`` order).

    Returns:
        None without a forecast, ``[]`` when it is up to date, else the names of
        the inputs that differ ("level", "models"...).
    """
    result, stored = state.current_result(), state.result_inputs()
    if result is None or stored is None:
        return None
    if not stored:  # a forecast made without a fingerprint: nothing to compare
        return []
    try:
        now = dict(current_inputs(result.freq))
    except Exception:  # noqa: BLE001 - unreadable settings: the forecast cannot be current
        return ["data"]
    old = dict(stored)
    return [k for k in INPUT_NAMES if now.get(k) != old.get(k)]


# ----------------------------------------------------------------------- train
def run_training(view: DataView, config: TrainConfig, lang: str) -> Result | None:
    """Train with a progress bar; the session gets each model's result as it lands.

    Raises:
        ShopcastError: before training, for no model / bad horizon / bad levels.
    """
    from forecasting.charts.forecast import model_label
    from forecasting.i18n import t

    # Validate first: a refused config leaves the previous results untouched.
    if not config.models:
        raise ShopcastError("no_models")
    training.check_horizon(view.history, config.horizon)
    bar = st.progress(0.0, text=t("train.progress_start", lang))
    n = len(config.models)
    last = {"time": 0.0, "index": -1}

    def on_progress(frac: float, name: str, i: int, label: str) -> None:
        import time

        now = time.perf_counter()
        # keep the websocket quiet, but always show a new model starting or a model done
        if frac < 1.0 and i == last["index"] and now - last["time"] < 0.15:
            return
        last.update(time=now, index=i)
        shown = md_escape(label) if label and label != name else t("ui.working", lang)
        model = md_escape(model_label(name, lang))  # progress text is Markdown
        text = t("train.progress", lang, model=model, i=i + 1, n=n, label=shown)
        bar.progress(min(max(frac, 0.0), 1.0), text=text)

    inputs = current_inputs(view.freq, config)  # what this forecast is made from
    runs: dict[str, RunInfo] = {}
    st.session_state["train_runs"] = runs
    interruption.clear_stopped()

    def on_run(info: RunInfo) -> None:
        runs[info.name] = info
        st.session_state["train_runs"] = dict(runs)

    def on_result(result: Result) -> None:
        result.plan_name = view.plan.name if view.plan is not None else ""
        state.keep_result(result, inputs)
        for key in ("fc_series", "fc_models", "fc_levels"):
            state.reseed(key, None)

    result, _ = training.train(
        view.history,
        view.freq,
        config,
        data_name=view.source.name,
        level=view.level,
        future=view.future,
        on_progress=on_progress,
        on_result=on_result,
        on_run=on_run,
        lang=lang,
    )
    bar.empty()
    return result


def quickstart(lang: str) -> Result | None:
    """Sample data at its default level (per SKU), the default fast models and horizon: train.

    The background pre-training (``prewarm``) trains exactly this, so the click
    usually finds every model in the store.
    """
    from forecasting.models import DEFAULT_MODELS

    src = use_sample()
    state.reseed("data_level", default_level(src))
    state.reseed("data_series", [])
    state.reseed("data_freq", "auto")
    state.reseed("train_models", list(DEFAULT_MODELS))
    state.reseed("train_horizon", None)
    view = current_view()
    config = train_config(view.freq)
    return run_training(view, config, lang)


def retrain(lang: str, level: str | None = None) -> Result | None:
    """Forecast again with the session's current data and settings, optionally at ``level``.

    Models already trained for the same data and settings come from the caches,
    so switching back to a level seen before is instant.

    Raises:
        ShopcastError: no data, or a level the data does not have.
    """
    if level is not None:
        src = cache.require(state.get("data_source"))
        data = cache.sales_data(*_args(src), cache.file_bytes(src))
        if level not in data.levels():
            raise ShopcastError("level_unknown", level=level)
        state.reseed("data_level", level)
        state.reseed("data_series", [])
    view = cache.require(current_view())
    return run_training(view, train_config(view.freq), lang)
