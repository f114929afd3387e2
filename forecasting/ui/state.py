"""Session state: defaults, page-prefixed keys and widget binding.

Streamlit deletes a widget's state when a page run does not draw that widget
(switching pages does exactly that). Values that must survive a page switch
therefore live under a *persistent* key (``train_models``) and the widget uses
a shadow key (``_w_train_models``) that is re-seeded from it whenever the
widget is drawn again: ``st.multiselect(..., **bind("train_models"))``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from forecasting.i18n import DEFAULT_LANG, LANGUAGES

if TYPE_CHECKING:
    from forecasting.ui.training import Result

# Persistent keys, prefixed by the page that owns them.
DEFAULTS: dict[str, Any] = {
    "lang": DEFAULT_LANG,
    # data page
    "data_source": None,  # Source (name + content key) of the current upload / sample
    "data_mapping": None,  # dict of user overrides, None = automatic detection
    "data_sheet": None,
    "data_level": "total",  # set_source picks the finest level that fits (per SKU)
    "data_series": [],
    "data_freq": "auto",
    "data_plan": None,  # Source of the future driver plan (prices, promotions), optional
    "data_country": "CN",  # holiday calendar: CN festivals, or a country's public holidays
    # train page
    "train_models": None,  # None = the registry's DEFAULT_MODELS
    "train_horizon": None,  # None = a default for the data's frequency
    "train_levels": [80, 95],
    "train_epochs": 30,
    "train_window": None,  # None = the model's own default
    "train_runs": {},  # model name -> RunInfo of the latest training
    "train_message": None,  # (kind, key, params) shown once after a rerun
    # forecast page
    "result": None,  # ResultRef (key into cache.RESULTS) of the latest successful training
    "fc_series": None,
    "fc_models": None,
    "fc_levels": None,
    "fc_festivals": True,
}
_WIDGET = "_w_"


@dataclass(frozen=True)
class Source:
    """The file the user is working on: its name and content key.

    The bytes live in ``cache``'s content-keyed file store (``cache.file_bytes``),
    not in the session.
    """

    name: str
    digest: str
    kind: str  # "sample" | "upload"


def init_defaults() -> None:
    """Fill missing persistent keys (``setdefault``, so user choices are kept)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, copy.deepcopy(value))
    if st.session_state["lang"] not in LANGUAGES:
        st.session_state["lang"] = DEFAULT_LANG


def widget_key(key: str) -> str:
    """Shadow widget key of persistent ``key``."""
    return _WIDGET + key


def bind(key: str, default: Any = None) -> dict[str, Any]:
    """Keyword arguments that bind a widget to persistent ``key``.

    Seeds the widget from the persistent value (or ``default`` when it is None)
    on every run, and copies the widget's value back on every change. Seeding
    every run matters: a widget drawn on another page is a new widget to
    Streamlit, which would otherwise show its default, not the user's choice.
    """
    wkey = widget_key(key)
    value = st.session_state.get(key)
    st.session_state[wkey] = default if value is None else value
    return {"key": wkey, "on_change": _sync, "args": (key,)}


def reseed(key: str, value: Any) -> None:
    """Set persistent ``key`` and make its widget show ``value`` on the next draw."""
    st.session_state[key] = value
    st.session_state.pop(widget_key(key), None)


def _sync(key: str) -> None:
    st.session_state[key] = st.session_state[widget_key(key)]


def lang() -> str:
    """The session's language."""
    return st.session_state.get("lang", DEFAULT_LANG)


def get(key: str) -> Any:
    """Persistent value of ``key`` (its default when unset)."""
    return st.session_state.get(key, DEFAULTS.get(key))


@dataclass(frozen=True)
class ResultRef:
    """What the session keeps of its forecast: its key in the server's store and its inputs.

    ``inputs`` is the fingerprint of the data and settings the forecast was made
    from (``actions.current_inputs``): comparing it with the session's current
    choices tells whether the forecast is outdated.
    """

    key: str
    inputs: tuple = ()


def current_result() -> Result | None:
    """The session's latest forecast (None before the first training, or once dropped).

    The frames live in ``cache.RESULTS``; the session holds only a ``ResultRef``.
    """
    from forecasting.ui import cache

    ref = st.session_state.get("result")
    return cache.RESULTS.get(ref.key) if isinstance(ref, ResultRef) else None


def result_inputs() -> tuple | None:
    """The inputs fingerprint of the session's forecast (None without one)."""
    ref = st.session_state.get("result")
    return ref.inputs if isinstance(ref, ResultRef) else None


def keep_result(result: Result, inputs: tuple = ()) -> None:
    """Make ``result`` the session's forecast (its frames stay in the server's store).

    Args:
        result: the forecast.
        inputs: the fingerprint of the data and settings it was made from.
    """
    import uuid

    from forecasting.ui import cache

    # One entry per session, overwritten by each training (the store is bounded by count).
    key = st.session_state.setdefault("result_key", f"fc-{uuid.uuid4().hex}")
    cache.RESULTS.put(key, result)
    st.session_state["result"] = ResultRef(key, tuple(inputs))
