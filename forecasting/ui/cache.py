"""Cached library calls: the only place the dashboard touches the heavy work.

* Uploaded files: a store shared by all sessions, keyed by the SHA-256 of the
  bytes (``keep_file`` / ``file_bytes``); the session keeps only that key.
* Data (reading, mapping, cleaning, histories): ``st.cache_data`` keyed by the
  SHA-256 of the uploaded bytes (the bytes themselves are an ``_``-argument,
  left out of the hash) plus the choices that change the result.
* Fitted models: ``st.cache_resource`` keyed by ``(data_key, model name,
  config.model_key(name))`` — content hashes, never the session — and backed by
  the on-disk ``ModelStore``, so neither a rerun, a page switch nor a server
  restart retrains. Cached models are shared by all sessions: nothing here
  mutates them except the forecast memo their own ``predict`` keeps, which is
  serialised by a lock.
* Forecasts: ``st.cache_data`` per (model key, horizon, levels).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecasting.errors import ShopcastError

if TYPE_CHECKING:
    from forecasting.data import SalesData
    from forecasting.engine.forecast import ModelRun, TrainConfig
    from forecasting.engine.store import ModelStore
    from forecasting.models.base import Forecaster
    from forecasting.ui.state import Source

# Held while predicting with a shared cached model: predict memoises its calibration on it.
PREDICT_LOCK = threading.Lock()
_KEY_LOCKS: dict[str, threading.Lock] = {}
_KEY_LOCKS_GUARD = threading.Lock()
FILE_STORE_BYTES = 512 * 2**20  # uploads kept in server memory (least recently used go first)
RESULT_STORE_ITEMS = 64  # forecast results kept in server memory for all sessions


def key_lock(store_key: str) -> threading.Lock:
    """One lock per stored model: whoever trains it first, the others wait and load it."""
    with _KEY_LOCKS_GUARD:
        return _KEY_LOCKS.setdefault(store_key, threading.Lock())


def digest(data: bytes) -> str:
    """SHA-256 of an upload (the cache key of everything derived from it)."""
    return hashlib.sha256(data).hexdigest()


def mapping_key(mapping: dict | None) -> str:
    """Canonical JSON of a mapping override ("" = automatic detection)."""
    return json.dumps(mapping, sort_keys=True, ensure_ascii=False) if mapping else ""


# ----------------------------------------------------------------------- files
class FileStore:
    """Uploaded bytes by content key, shared by all sessions (same file = one copy)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self.lock:
            self.items[key] = data
            self.items.move_to_end(key)
            total = sum(len(v) for v in self.items.values())
            while total > self.max_bytes and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                total -= len(old)

    def get(self, key: str) -> bytes | None:
        with self.lock:
            data = self.items.get(key)
            if data is not None:
                self.items.move_to_end(key)
            return data


class ResultStore:
    """Forecast results by key, shared by the server's sessions (sessions hold only keys).

    Bounded by count: the least recently used result goes first. A session whose
    result was dropped is told so and retrains from the model store (no refit).
    """

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def put(self, key: str, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.max_items:
                self.items.popitem(last=False)

    def get(self, key: str) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value


# A plain module-level object (not st.cache_resource) so that page tests running
# the app in-process read the same store as the pages.
RESULTS = ResultStore(RESULT_STORE_ITEMS)


@st.cache_resource(show_spinner=False)
def file_store() -> FileStore:
    """The server's store of uploaded files."""
    return FileStore(FILE_STORE_BYTES)


def keep_file(data: bytes) -> str:
    """Keep ``data`` in the file store; returns its content key (``digest``)."""
    key = digest(data)
    file_store().put(key, data)
    return key


def file_bytes(src: Source) -> bytes:
    """The bytes of a file the session chose.

    A bundled sample file is read again from disk when the store has dropped it.

    Raises:
        ShopcastError: ``no_data`` when the upload is no longer in server memory.
    """
    data = file_store().get(src.digest)
    if data is None and src.kind == "sample":
        from forecasting.data.sample import sample_path

        for which in ("csv", "future"):
            path = sample_path(which)
            if path.exists() and path.name == src.name:
                data = path.read_bytes()
                if digest(data) == src.digest:
                    file_store().put(src.digest, data)
                    break
                data = None
    if data is None:
        raise ShopcastError("no_data")
    return data


# ------------------------------------------------------------------------ data
@st.cache_data(show_spinner=False, max_entries=1)
def sample_file() -> tuple[str, str, bytes]:
    """Name, digest and bytes of the bundled sample CSV."""
    from forecasting.data.sample import sample_path

    path = sample_path("csv")
    data = path.read_bytes()
    return path.name, digest(data), data


@st.cache_data(show_spinner=False, max_entries=8)
def raw_table(key: str, name: str, sheet: str | None, _data: bytes) -> pd.DataFrame:
    """The upload as a raw frame (``forecasting.data.read_table``)."""
    from forecasting.data import read_table

    return read_table(_data, name=name, sheet=sheet)


@st.cache_data(show_spinner=False, max_entries=8)
def sheet_names(key: str, name: str, _data: bytes) -> list[str]:
    """Sheet names of an Excel upload ([] for other files)."""
    if not name.lower().endswith((".xlsx", ".xlsm")):
        return []
    import io as _io

    try:
        from openpyxl import load_workbook

        wb = load_workbook(_io.BytesIO(_data), read_only=True)
        return list(wb.sheetnames)
    except Exception:  # noqa: BLE001 - read_table gives the real error message
        return []


@st.cache_data(show_spinner=False, max_entries=8)
def detected_mapping(key: str, name: str, sheet: str | None, _data: bytes) -> dict:
    """The automatically detected column mapping, as a plain dict."""
    from forecasting.data import detect_mapping

    raw = raw_table(key, name, sheet, _data)
    return detect_mapping(raw, name=name).to_dict()


@st.cache_data(show_spinner=False, max_entries=8)
def sales_data(key: str, name: str, sheet: str | None, mapping: str, _data: bytes) -> SalesData:
    """Cleaned ``SalesData`` for an upload and a mapping (``mapping_key`` JSON)."""
    from forecasting.data import ColumnMapping, load_frame

    raw = raw_table(key, name, sheet, _data)
    chosen = ColumnMapping.from_dict(json.loads(mapping)) if mapping else None
    return load_frame(raw, name=name, mapping=chosen)


@st.cache_data(show_spinner=False, max_entries=16)
def history(
    key: str,
    name: str,
    sheet: str | None,
    mapping: str,
    level: str,
    freq: str,
    series: tuple[str, ...],
    _data: bytes,
) -> tuple[pd.DataFrame, str]:
    """The contract history at ``level`` / ``freq`` ("auto" = the data's own) and its freq."""
    data = sales_data(key, name, sheet, mapping, _data)
    hist = data.history(
        level=level, freq=None if freq == "auto" else freq, series=list(series) or None
    )
    return hist, hist.attrs.get("freq") or data.freq


@st.cache_data(show_spinner=False, max_entries=16)
def future_plan(
    key: str,
    name: str,
    sheet: str | None,
    mapping: str,
    level: str,
    freq: str,
    series: tuple[str, ...],
    plan_key: str,
    plan_name: str,
    _data: bytes,
    _plan: bytes,
) -> pd.DataFrame:
    """The future driver plan (prices, promotions) at the history's level and grain."""
    from forecasting.data import read_future

    data = sales_data(key, name, sheet, mapping, _data)
    _, hfreq = history(key, name, sheet, mapping, level, freq, series, _data)
    plan = read_future(_plan, data, level=level, name=plan_name, freq=hfreq)
    if series:
        plan = plan[plan["unique_id"].isin(series)].reset_index(drop=True)
    return plan


@st.cache_data(show_spinner=False, max_entries=16)
def data_checks(
    key: str,
    name: str,
    sheet: str | None,
    mapping: str,
    level: str,
    freq: str,
    series: tuple[str, ...],
    horizon: int | None,
    _data: bytes,
) -> tuple[dict, list]:
    """``quality.summary`` and the findings (cleaning notes + history checks)."""
    from forecasting.data import quality

    data = sales_data(key, name, sheet, mapping, _data)
    hist, hfreq = history(key, name, sheet, mapping, level, freq, series, _data)
    findings = []
    if hasattr(quality, "load_findings"):
        findings += list(quality.load_findings(data.notes))
    findings += list(quality.check_history(hist, hfreq, horizon=horizon))
    return quality.summary(hist, hfreq), findings


@st.cache_data(show_spinner=False, max_entries=64)
def festivals(start: pd.Timestamp, end: pd.Timestamp, lang: str) -> pd.DataFrame:
    """Festival markers between two dates (``calendar.festival_markers``)."""
    from forecasting.data.festivals import festival_markers

    return festival_markers(start, end, lang)


# ---------------------------------------------------------------------- models
def model_store_uncached() -> ModelStore:
    """A ``ModelStore`` at ``SHOPCAST_CACHE_DIR`` (or ``~/.cache/shopcast``)."""
    from forecasting.engine.store import ModelStore

    return ModelStore()


@st.cache_resource(show_spinner=False)
def model_store() -> ModelStore:
    """The on-disk model store, one per server."""
    return model_store_uncached()


@dataclass
class _Slot:
    """Where one fitted model lives once trained (filled at most once)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    value: tuple[Forecaster, ModelRun] | None = None


@st.cache_resource(show_spinner=False, max_entries=48)
def _model_slot(data_key: str, name: str, model_key: str) -> _Slot:
    """The shared slot of a fitted model, keyed by content hashes (never the session).

    Training happens outside the cached function, under the slot's lock: the
    progress bar is updated while training, and Streamlit must not record
    those updates for replay on later cache hits.
    """
    return _Slot()


def fitted_model(
    history: pd.DataFrame,
    freq: str,
    name: str,
    config: TrainConfig,
    data_key: str,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[Forecaster | None, ModelRun, str]:
    """A fitted model from memory, disk or fresh training.

    Returns:
        ``(model, run, status)``; status is "cache" (this server's memory),
        "disk" (the model store), "trained" or "failed" (model None, the
        translated reason in ``run.error``). Failures are not cached.
    """
    from forecasting.engine import forecast as pipeline

    slot = _model_slot(data_key, name, config.model_key(name))
    with slot.lock:
        if slot.value is not None:
            model, run = slot.value
            return model, run, "cache"
        with key_lock(pipeline.store_key(data_key, name, config)):
            model, run = pipeline.fit_model(
                history, freq, name, config, progress=progress, store=model_store(), dkey=data_key
            )
        if model is None:
            return None, run, "failed"
        slot.value = (model, run)
        return model, run, run.source


@st.cache_data(show_spinner=False, max_entries=128)
def _predicted(
    data_key: str,
    name: str,
    model_key: str,
    horizon: int,
    levels: tuple,
    future_key: str,
    _model: Forecaster,
    _config: TrainConfig,
    _future: pd.DataFrame | None,
) -> pd.DataFrame:
    from forecasting.engine import forecast as pipeline

    with PREDICT_LOCK:  # predict memoises calibration on the shared model
        forecast = pipeline.predict_model(
            _model, _config, _future, model_store(), pipeline.store_key(data_key, name, _config)
        )
    return forecast


def predicted(
    model: Forecaster,
    name: str,
    config: TrainConfig,
    data_key: str,
    future: pd.DataFrame | None = None,
    future_key: str = "",
) -> pd.DataFrame:
    """The forecast of a fitted model for ``config``'s horizon and levels (cached).

    ``future_key`` identifies the driver plan ``future`` ("" when there is none).
    """
    levels = tuple(sorted(config.levels))
    return _predicted(
        data_key,
        name,
        config.model_key(name),
        int(config.horizon),
        levels,
        future_key,
        model,
        config,
        future,
    )


def clear_all() -> None:
    """Drop every in-memory cache (tests; the disk store is kept)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def require(value: Any, key: str = "no_data") -> Any:
    """``value`` or a translated ``ShopcastError(key)`` when it is missing."""
    if value is None:
        raise ShopcastError(key)
    return value
