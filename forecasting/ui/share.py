"""Shareable links of the Forecast page: the view in the URL, and back from it.

The URL carries content keys (SHA-256 of the uploaded bytes, of the driver plan and
of a corrected column mapping kept in the server's file store), never file contents,
plus the choices that make the view: level, series, models, horizon, bands. Opening
the link in a fresh browser on the same server finds the files in the file store and
the models in the caches (memory, then the disk store); when the upload is gone the
page says so. Every parameter is validated: a hostile or stale value is ignored and
named in a message, never a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from forecasting.errors import ShopcastError
from forecasting.ui import cache, state
from forecasting.ui.defaults import CALENDARS, LEVEL_CHOICES
from forecasting.ui.state import Source

__all__ = ["Link", "follow", "parse", "query", "view_params", "write"]

HEX64 = re.compile(r"^[0-9a-f]{64}$")
INT = re.compile(r"^[0-9]{1,4}$")
FILE_TYPES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".zip")
GRAINS = ("auto", "W", "MS")
LISTS = ("sub", "models", "bands", "show")  # parameters that repeat (?models=a&models=b)
KNOWN = ("d", "f", "k", "sheet", "map", "plan", "pf", "grain", "cal", "level", "h", "ep", "win")
KNOWN += ("series", *LISTS)
MAX_TEXT = 200  # file, sheet, level and series names
MAX_ITEMS = 500  # a list parameter longer than this is not from this app
_LINK_KEY = "fc_link"  # the query last written or followed by this session


@dataclass
class Link:
    """A validated link: what to load, how to train, what to show."""

    data: str
    name: str
    kind: str = "upload"
    sheet: str | None = None
    mapping: dict | None = None
    plan: str | None = None
    plan_name: str | None = None
    grain: str = "auto"
    country: str = "CN"
    level: str | None = None
    subset: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    horizon: int | None = None
    bands: list[int] | None = None
    epochs: int | None = None
    window: int | None = None
    series: str | None = None
    show: list[str] | None = None


# ------------------------------------------------------------------ reading
def query() -> dict[str, list[str]]:
    """The page's query parameters, every value as a list (canonical for comparing)."""
    qp = st.query_params
    return {k: list(qp.get_all(k)) for k in sorted(qp.keys())}


def _text(value: str) -> str | None:
    ok = 0 < len(value) <= MAX_TEXT and not any(ord(ch) < 32 for ch in value)
    return value if ok else None


def _file_name(value: str) -> str | None:
    name = _text(value)
    if name is None or "/" in name or "\\" in name or not name.lower().endswith(FILE_TYPES):
        return None
    return name


def _int(value: str, low: int, high: int) -> int | None:
    return int(value) if INT.match(value) and low <= int(value) <= high else None


def parse(params: Mapping[str, list[str]]) -> tuple[Link | None, list[str]]:
    """A validated ``Link`` from query parameters, and the names of those ignored.

    Returns:
        ``(None, bad)`` when the link names no usable data (no ``d`` / ``f``, or
        invalid ones); unknown parameters are ignored and named in ``bad``.
    """
    from forecasting.models import available

    bad = [k for k in params if k not in KNOWN]
    one = {k: v[-1] for k, v in params.items() if k in KNOWN and k not in LISTS and v}
    many = {k: [x for x in v if x][:MAX_ITEMS] for k, v in params.items() if k in LISTS}
    if "d" not in one and "f" not in one:
        return None, bad
    data, name = one.get("d", ""), _file_name(one.get("f", ""))
    if not HEX64.match(data) or name is None:
        return None, bad + [k for k in ("d", "f") if k in one]
    link = Link(data=data, name=name)

    def check(key: str, value: Any) -> Any:
        if key in one and value is None:
            bad.append(key)
        return value

    kind = one.get("k", "upload")
    link.kind = check("k", kind if kind in ("sample", "upload") else None) or "upload"
    link.sheet = check("sheet", _text(one["sheet"])) if "sheet" in one else None
    link.mapping = check("map", _mapping(one["map"])) if "map" in one else None
    if "plan" in one or "pf" in one:
        plan, plan_name = one.get("plan", ""), _file_name(one.get("pf", ""))
        if HEX64.match(plan) and plan_name is not None:
            link.plan, link.plan_name = plan, plan_name
        else:
            bad += [k for k in ("plan", "pf") if k in one]
    link.grain = check("grain", one.get("grain") if one.get("grain") in GRAINS else None) or "auto"
    link.country = check("cal", one.get("cal") if one.get("cal") in CALENDARS else None) or "CN"
    link.level = check("level", _text(one["level"])) if "level" in one else None
    link.horizon = check("h", _int(one["h"], 1, 1000)) if "h" in one else None
    link.epochs = check("ep", _int(one["ep"], 1, 200)) if "ep" in one else None
    link.window = check("win", _int(one["win"], 0, 400)) if "win" in one else None
    link.series = check("series", _text(one["series"])) if "series" in one else None
    link.subset = [s for s in (_text(x) for x in many.get("sub", [])) if s]
    if len(link.subset) != len(many.get("sub", [])):
        bad.append("sub")
    names = set(available())
    link.models = [m for m in dict.fromkeys(many.get("models", [])) if m in names]
    if len(link.models) != len(set(many.get("models", []))):
        bad.append("models")
    if "show" in many:
        link.show = [m for m in dict.fromkeys(many["show"]) if m in link.models]
        if len(link.show) != len(set(many["show"])):
            bad.append("show")
    if "bands" in many:
        bands = [_int(b, 1, 99) for b in many["bands"]]
        link.bands = sorted({b for b in bands if b in LEVEL_CHOICES})
        if len(link.bands) != len(set(many["bands"])):
            bad.append("bands")
    return link, list(dict.fromkeys(bad))


def _mapping(key: str) -> dict | None:
    """A corrected column mapping kept in the file store under ``key`` (None: gone/bad)."""
    if not HEX64.match(key):
        return None
    blob = cache.file_store().get(key)
    try:
        mapping = json.loads(blob.decode("utf-8")) if blob else None
    except (UnicodeDecodeError, ValueError):
        return None
    return mapping if isinstance(mapping, dict) else None


# ------------------------------------------------------------------ writing
def view_params(series: str | None, shown: list[str], trained: list[str]) -> dict[str, list[str]]:
    """The query of the session's current view (its data, settings and chart choices)."""
    from forecasting.ui import actions

    src, plan = state.get("data_source"), state.get("data_plan")
    if src is None:
        return {}
    params: dict[str, list[str]] = {"d": [src.digest], "f": [src.name], "k": [src.kind]}
    if state.get("data_sheet"):
        params["sheet"] = [str(state.get("data_sheet"))]
    if state.get("data_mapping"):
        blob = json.dumps(state.get("data_mapping"), sort_keys=True, ensure_ascii=False)
        params["map"] = [cache.keep_file(blob.encode("utf-8"))]
    if plan is not None:
        params["plan"], params["pf"] = [plan.digest], [plan.name]
    if state.get("data_freq") != "auto":
        params["grain"] = [str(state.get("data_freq"))]
    if (state.get("data_country") or "CN") != "CN":
        params["cal"] = [str(state.get("data_country"))]
    params["level"] = [str(state.get("data_level"))]
    if state.get("data_series"):
        params["sub"] = [str(s) for s in state.get("data_series")]
    config = dict(actions.config_inputs(actions.train_config(_freq())))
    params["models"] = list(config["models"])
    params["h"] = [str(config["horizon"])]
    params["bands"] = [str(b) for b in config["levels"]]
    if '"epochs"' in config["params"]:
        params["ep"] = [str(int(state.get("train_epochs")))]
        if state.get("train_window"):
            params["win"] = [str(int(state.get("train_window")))]
    if series is not None:
        params["series"] = [str(series)]
    if shown != trained:
        params["show"] = list(shown)
    return {k: params[k] for k in sorted(params)}


def _freq() -> str:
    result = state.current_result()
    return result.freq if result is not None else "D"


def write(params: dict[str, list[str]]) -> None:
    """Put ``params`` in the page's URL (only when they changed) and remember them."""
    if query() != params:
        st.query_params.from_dict({k: v if len(v) > 1 else v[0] for k, v in params.items()})
    st.session_state[_LINK_KEY] = params


# ------------------------------------------------------------------ following
def follow(lang: str) -> list[str]:
    """Reproduce the view of the URL's link, once per new link.

    Loads the linked files from the server's file store, takes the linked
    settings, forecasts (models come from the caches when they were trained
    before) and selects the linked series and models.

    Returns:
        Translated messages for the page (data gone, parameters ignored); [] when
        there is no new link or all went well.
    """
    from forecasting.i18n import t
    from forecasting.ui.messages import error_text, md_escape

    params = query()
    if not params or params == st.session_state.get(_LINK_KEY):
        return []
    st.session_state[_LINK_KEY] = params  # follow each link once, even when it fails
    link, bad = parse(params)
    notes: list[str] = []
    if link is None:
        return [t("views.link.no_data", lang)] if bad or params else []
    src = Source(link.name, link.data, link.kind)
    gone = t("views.link.data_gone", lang, name=md_escape(link.name))  # names are data
    try:
        raw = cache.file_bytes(src)
    except ShopcastError:
        return [gone]
    if cache.digest(raw) != link.data:
        return [gone]
    bad += _take_settings(link, src, notes, lang)
    try:
        _train_if_needed(lang)
    except ShopcastError as exc:  # e.g. a horizon too long for this data
        notes.append(error_text(exc, lang))
    bad += _select(link)
    if bad:
        notes.append(t("views.link.ignored", lang, params=", ".join(sorted(set(bad)))))
    return notes


def _take_settings(link: Link, src: Source, notes: list[str], lang: str) -> list[str]:
    """Make the link's data and settings the session's; returns parameters ignored."""
    from forecasting.i18n import t
    from forecasting.models import DEFAULT_MODELS
    from forecasting.ui import actions
    from forecasting.ui.messages import md_escape

    bad: list[str] = []
    cache.keep_file(cache.file_bytes(src))
    st.session_state["data_source"] = src
    st.session_state["data_sheet"] = link.sheet
    st.session_state["data_mapping"] = link.mapping
    data = cache.sales_data(*actions.data_args(src), cache.file_bytes(src))
    level = link.level if link.level in data.levels() else None
    if link.level is not None and level is None:
        bad.append("level")
    level = level or actions.default_level(src)
    state.reseed("data_level", level)
    subset = [] if level == "total" else [s for s in link.subset if s in data.series_ids(level)]
    if len(subset) != len(link.subset) and level != "total":
        bad.append("sub")
    state.reseed("data_series", subset)
    state.reseed("data_freq", link.grain)
    state.reseed("data_country", link.country)
    st.session_state["data_plan"] = None
    if link.plan is not None:
        try:
            plan = Source(link.plan_name or "plan.csv", link.plan, "upload")
            if cache.digest(cache.file_bytes(plan)) == link.plan:
                st.session_state["data_plan"] = plan
        except ShopcastError:
            name = md_escape(link.plan_name or "")
            notes.append(t("views.link.plan_gone", lang, name=name))
    state.reseed("train_models", link.models or list(DEFAULT_MODELS))
    state.reseed("train_horizon", link.horizon)
    if link.bands is not None:
        state.reseed("train_levels", link.bands)
    if link.epochs is not None:
        state.reseed("train_epochs", link.epochs)
    state.reseed("train_window", link.window or None)
    return bad


def _train_if_needed(lang: str) -> None:
    from forecasting.ui import actions, widgets

    if actions.stale_reasons() != []:
        with widgets.training_session():
            actions.retrain(lang)


def _select(link: Link) -> list[str]:
    """Select the linked series and models on the chart; returns parameters ignored."""
    result = state.current_result()
    if result is None:
        return []
    bad = []
    if link.series is not None:
        if link.series in result.series:
            state.reseed("fc_series", link.series)
        else:
            bad.append("series")
    if link.show is not None:
        shown = [m for m in link.show if m in result.models]
        state.reseed("fc_models", shown or list(result.models))
    return bad
