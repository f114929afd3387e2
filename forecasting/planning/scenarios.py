"""What-if scenarios: "618 at 20% off with a 10-day presale on 护肤" and what it implies.

A :class:`Scenario` is a named change to the *future drivers* (discount, promotion
flag, list price) of chosen series over a date window, plus two clearly labelled
assumptions applied after the model (a traffic/ad multiplier and a manual
adjustment for effects never seen in history).

The effect of a discount or a promotion is never a hard-coded multiplier: the
changed driver plan is fed to the *same fitted model* (``model.predict(h,
future=...)``), so the response is whatever the model learned from history.
Nothing here trains a model. The functions are pure (frames in, frames out), so
the dashboard can cache each scenario's forecast separately and a slider moving
one scenario re-predicts only that scenario.

Flow::

    base = base_plan(model, h)                         # neutral or uploaded plan
    fc = run_scenarios(model, base, scenarios, h)      # baseline + each scenario
    table = kpis(fc, scenario_futures(base, scenarios), model.alias, scenarios, by="品类",
                 hierarchy=hier)

Fractions everywhere in the definition: ``discount=0.25`` is 25% off (七五折),
``price_change=0.05`` is +5% list price, ``manual_adjustment=-0.1`` is -10%.
KPI percentages (``*_pct`` columns) are in percent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import (
    DEFAULT_LEVELS,
    DS,
    ID,
    SCENARIO,
    Y,
    make_future_frame,
    validate_levels,
)

if TYPE_CHECKING:
    from forecasting.data.io import SalesData
    from forecasting.models.base import Forecaster

__all__ = [
    "ALL",
    "BASELINE",
    "Scenario",
    "ScenarioWarning",
    "apply_scenario",
    "base_plan",
    "discount_label",
    "estimate_response",
    "festival_lift",
    "hierarchy_from_data",
    "kpi_labels",
    "kpis",
    "load_scenarios",
    "predict_scenario",
    "presets",
    "range_warnings",
    "run_scenarios",
    "save_scenarios",
    "scenario_futures",
    "scenario_mask",
    "scenarios_from_frame",
    "scenarios_to_frame",
    "target_ids",
]

BASELINE = "baseline"  # scenario name of the unchanged plan; reserved
ALL = "all"
FORMAT, FORMAT_VERSION = "shopcast-scenarios", 1
MAX_SCENARIOS = 4  # how many the comparison chart shows next to the baseline
PRICE, DISCOUNT, PROMO = (
    "price",
    "discount",
    "promo",
)  # canonical driver names (forecasting.data.io)
PRESET_FESTIVALS = ("618", "double11", "double12")
PRESET_DISCOUNT = {"618": 0.25, "double11": 0.25, "double12": 0.20}
# Presets: the last MAIN_SALE_DAYS days before the peak, the peak and the days after it are
# the "main sale" window; the earlier part of the festival window is the presale.
MAIN_SALE_DAYS = 3

# field -> (low, high) inclusive; anything outside is a typo, not a bold plan
_RANGES: dict[str, tuple[float, float]] = {
    "discount": (0.0, 0.95),
    "price_change": (-0.9, 5.0),
    "traffic_multiplier": (0.1, 10.0),
    "manual_adjustment": (-0.9, 10.0),
    "presale_days": (0, 90),
}
_FIELDS = (
    "name",
    "target",
    "window",
    "discount",
    "promo",
    "presale_days",
    "price_change",
    "traffic_multiplier",
    "manual_adjustment",
    "note",
)
_MAX_WINDOW_DAYS = 366


# ------------------------------------------------------------------ definition
@dataclass
class Scenario:
    """A named change to future drivers of some series over a date window.

    Attributes:
        name: unique label, shown in charts and tables ("baseline" is reserved).
        start: first day of the sale window.
        end: last day of the sale window (inclusive).
        level: hierarchy level ``series`` refers to (e.g. ``"品类"``); ``None`` means
            the forecast's own series (``unique_id``).
        series: the targeted series / categories; ``None`` means all series.
        discount: fraction off the list price inside the window (0.25 = 25% off);
            ``None`` keeps the plan's discount.
        promo: promotion flag inside the window; ``None`` keeps the plan's flag.
        presale_days: the promotion (discount, flag, price change and the two
            assumptions below) starts this many days before ``start``.
        price_change: relative change of the list price in the window (0.05 = +5%).
        traffic_multiplier: ASSUMPTION, not learned: extra traffic from ads etc.;
            forecast and bands are multiplied by it after the model.
        manual_adjustment: ASSUMPTION, not learned: further relative change on top
            (0.1 = +10%) for effects never seen in history (a livestream, a new
            channel).
        note: free text.
    """

    name: str
    start: date
    end: date
    level: str | None = None
    series: list[str] | None = None
    discount: float | None = None
    promo: bool | None = None
    presale_days: int = 0
    price_change: float = 0.0
    traffic_multiplier: float = 1.0
    manual_adjustment: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        where = self.name if isinstance(self.name, str) and self.name.strip() else "?"
        self.name = _name(self.name, where)
        self.start = _date(self.start, "window.start", where)
        self.end = _date(self.end, "window.end", where)
        if self.end < self.start:
            raise ShopcastError(
                "scenario_end_before_start",
                where=where,
                start=self.start.isoformat(),
                end=self.end.isoformat(),
            )
        if (self.end - self.start).days + 1 > _MAX_WINDOW_DAYS:
            raise ShopcastError(
                "scenario_window_too_long",
                where=where,
                days=(self.end - self.start).days + 1,
                limit=_MAX_WINDOW_DAYS,
            )
        self.level = (
            None if self.level in (None, "", ALL) else _text(self.level, "target.level", where)
        )
        self.series = _series(self.series, where)
        if self.discount is not None:
            self.discount = _number(self.discount, "discount", where)
        if self.promo is not None:
            self.promo = _flag(self.promo, "promo", where)
        self.presale_days = _integer(self.presale_days, "presale_days", where)
        self.price_change = _number(self.price_change, "price_change", where)
        self.traffic_multiplier = _number(self.traffic_multiplier, "traffic_multiplier", where)
        self.manual_adjustment = _number(self.manual_adjustment, "manual_adjustment", where)
        self.note = "" if self.note is None else str(self.note)

    # ------------------------------------------------------------ derived
    @property
    def promo_start(self) -> pd.Timestamp:
        """First day the changes apply: ``start`` minus the presale days."""
        return pd.Timestamp(self.start) - pd.Timedelta(days=self.presale_days)

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``(promo_start, end)``: every day the scenario changes, presale included."""
        return self.promo_start, pd.Timestamp(self.end)

    @property
    def post_multiplier(self) -> float:
        """The assumed (not learned) factor applied to the forecast inside the window."""
        return float(self.traffic_multiplier) * (1.0 + float(self.manual_adjustment))

    @property
    def changes_drivers(self) -> bool:
        """True when the scenario changes a model input (so the model must re-predict)."""
        return self.discount is not None or self.promo is not None or self.price_change != 0

    @property
    def key(self) -> str:
        """Canonical JSON of the definition: a stable cache key (e.g. for ``st.cache_data``)."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)

    # ------------------------------------------------------------ (de)serialise
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict in the file format (``target`` and ``window`` nested)."""
        target: Any = ALL
        if self.series is not None:
            target = {"level": self.level, "series": list(self.series)}
        elif self.level is not None:
            target = {"level": self.level}
        return {
            "name": self.name,
            "target": target,
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "discount": self.discount,
            "promo": self.promo,
            "presale_days": self.presale_days,
            "price_change": self.price_change,
            "traffic_multiplier": self.traffic_multiplier,
            "manual_adjustment": self.manual_adjustment,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "scenario") -> Scenario:
        """Build a scenario from the file format, checking every field.

        Args:
            d: a dict as written by :meth:`to_dict` (``target``, ``window`` and
                ``name`` required; other fields optional).
            where: how to name this scenario in error messages (file and position).

        Raises:
            ShopcastError: unknown or missing fields, wrong types, bad dates or ranges.
        """
        if not isinstance(d, Mapping):
            raise ShopcastError("scenario_not_object", where=where, kind=_kind(d))
        unknown = [k for k in d if k not in _FIELDS]
        if unknown:
            raise ShopcastError(
                "scenario_unknown_field", where=where, field=unknown[0], allowed=", ".join(_FIELDS)
            )
        for req in ("name", "window"):
            if req not in d:
                raise ShopcastError("scenario_missing_field", where=where, field=req)
        name = d["name"]
        if isinstance(name, str) and name.strip():
            where = f"{where} ({name.strip()})"
        level, series = _target(d.get("target", ALL), where)
        win = d["window"]
        if not isinstance(win, Mapping):
            raise _type_error(where, "window", win, "window")
        bad = [k for k in win if k not in ("start", "end")]
        if bad:
            raise ShopcastError(
                "scenario_unknown_field",
                where=where,
                field=f"window.{bad[0]}",
                allowed="start, end",
            )
        for req in ("start", "end"):
            if req not in win:
                raise ShopcastError("scenario_missing_field", where=where, field=f"window.{req}")
        kwargs = {
            k: d[k]
            for k in (
                "discount",
                "promo",
                "presale_days",
                "price_change",
                "traffic_multiplier",
                "manual_adjustment",
                "note",
            )
            if k in d
        }
        for k in ("presale_days", "price_change", "traffic_multiplier", "manual_adjustment"):
            if k in kwargs and kwargs[k] is None:
                raise _type_error(where, k, None, "number")
        try:
            return cls(
                name=name,
                start=_date(win["start"], "window.start", where),
                end=_date(win["end"], "window.end", where),
                level=level,
                series=series,
                **kwargs,
            )
        except ShopcastError as exc:  # name the file position, not just the scenario
            if "where" not in exc.params:
                raise
            raise ShopcastError(exc.key, **{**exc.params, "where": where}) from None


@dataclass(frozen=True)
class ScenarioWarning:
    """Something a manager should know before trusting a scenario's numbers.

    Attributes:
        key: translation key under ``scenario.warn.``.
        params: values for the message.
        severity: ``"warning"`` (outside what the model learned) or ``"info"``
            (an assumption the user typed in).
    """

    key: str
    params: dict = field(default_factory=dict)
    severity: str = "warning"

    def message(self, lang: str = "zh") -> str:
        """The warning in ``lang``."""
        from forecasting.i18n import t

        return t(f"scenario.warn.{self.key}", lang, **self.params)


# ------------------------------------------------------------------ field checks
def _kind(v: Any) -> str:
    return {
        dict: "object",
        list: "list",
        str: "text",
        bool: "true/false",
        type(None): "null",
        int: "number",
        float: "number",
    }.get(type(v), type(v).__name__)


def _show(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_error(where: str, fld: str, value: Any, kind: str) -> ShopcastError:
    """Wrong JSON type; ``kind`` picks the message (number, whole, text, flag, list...)."""
    return ShopcastError(f"scenario_expected_{kind}", where=where, field=fld, value=_show(value))


def _name(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise _type_error(where, "name", v, "text")
    name = v.strip()
    if not name:
        raise ShopcastError("scenario_empty_name", where=where)
    if name.lower() == BASELINE:
        raise ShopcastError("scenario_reserved_name", where=where, name=name)
    return name


def _text(v: Any, fld: str, where: str) -> str:
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise _type_error(where, fld, v, "text")
    return str(v).strip()


def _series(v: Any, where: str) -> list[str] | None:
    if v is None or (isinstance(v, str) and v.strip().lower() in ("", ALL)):
        return None
    if isinstance(v, str):  # "护肤, 彩妆" typed in a table cell
        v = [p for p in v.replace("，", ",").split(",")]
    if not isinstance(v, list | tuple) or not v:
        raise _type_error(where, "target.series", v, "list")
    out = [_text(s, "target.series", where) for s in v]
    out = [s for s in dict.fromkeys(out) if s]
    if not out:
        raise _type_error(where, "target.series", v, "list")
    return out


def _target(v: Any, where: str) -> tuple[str | None, list[str] | None]:
    if v is None or (isinstance(v, str) and v.strip().lower() == ALL):
        return None, None
    if not isinstance(v, Mapping):
        raise _type_error(where, "target", v, "target")
    bad = [k for k in v if k not in ("level", "series")]
    if bad:
        raise ShopcastError(
            "scenario_unknown_field", where=where, field=f"target.{bad[0]}", allowed="level, series"
        )
    level = v.get("level")
    level = None if level in (None, "", ALL) else _text(level, "target.level", where)
    return level, _series(v.get("series"), where)


def _date(v: Any, fld: str, where: str) -> date:
    if isinstance(v, datetime | pd.Timestamp):
        return pd.Timestamp(v).date()
    if isinstance(v, date):
        return v
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v).date()
    if isinstance(v, str) and v.strip():
        try:
            ts = pd.Timestamp(v.strip().replace("/", "-"))
        except (ValueError, TypeError):
            ts = None
        if ts is not None and not pd.isna(ts):
            return ts.date()
    raise ShopcastError("scenario_bad_date", where=where, field=fld, value=_show(v))


def _finite(v: Any, fld: str, where: str, kind: str = "number") -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise _type_error(where, fld, v, kind)
    x = float(v)
    if not math.isfinite(x):
        raise _type_error(where, fld, v, kind)
    return x


def _number(v: Any, fld: str, where: str) -> float:
    x = _finite(v, fld, where)
    low, high = _RANGES[fld]
    if not low <= x <= high:
        if fld == "discount" and 1 < x <= 100:
            raise ShopcastError(
                "scenario_discount_percent", where=where, value=_show(v), fraction=f"{x / 100:g}"
            )
        raise ShopcastError(
            "scenario_out_of_range",
            where=where,
            field=fld,
            value=_show(v),
            low=f"{low:g}",
            high=f"{high:g}",
        )
    return x


def _integer(v: Any, fld: str, where: str) -> int:
    x = _finite(v, fld, where, kind="whole")
    if not x.is_integer():
        raise _type_error(where, fld, v, "whole")
    low, high = _RANGES[fld]
    if not low <= x <= high:
        raise ShopcastError(
            "scenario_out_of_range",
            where=where,
            field=fld,
            value=_show(v),
            low=f"{low:g}",
            high=f"{high:g}",
        )
    return int(x)


def _flag(v: Any, fld: str, where: str) -> bool:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | float | np.integer | np.floating) and float(v) in (0.0, 1.0):
        return bool(v)
    raise _type_error(where, fld, v, "flag")


# ------------------------------------------------------------------ files
def load_scenarios(source: str | Path | bytes, name: str | None = None) -> list[Scenario]:
    """Read scenarios from JSON text, bytes or a file path, validating everything.

    Accepts ``{"format": "shopcast-scenarios", "version": 1, "scenarios": [...]}``
    (what :func:`save_scenarios` writes) or a bare list of scenario objects.

    Args:
        source: JSON text, UTF-8 bytes (an upload), or a path to a ``.json`` file.
            A string that does not start with ``{`` or ``[`` is taken as a path.
        name: file name for messages (default: the path's name or "scenarios.json").

    Raises:
        ShopcastError: file missing, malformed JSON, wrong structure, types or
            values, duplicate names — naming the file and the scenario.
    """
    text, name = _read_source(source, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ShopcastError(
            "scenario_bad_json", file=name, line=exc.lineno, col=exc.colno, detail=exc.msg
        ) from None
    if isinstance(doc, Mapping):
        extra = [k for k in doc if k not in ("format", "version", "scenarios")]
        if extra:
            raise ShopcastError(
                "scenario_unknown_field",
                where=name,
                field=extra[0],
                allowed="format, version, scenarios",
            )
        if doc.get("format", FORMAT) != FORMAT:
            raise ShopcastError("scenario_bad_root", file=name)
        version = doc.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ShopcastError("scenario_bad_root", file=name)
        if version > FORMAT_VERSION:
            raise ShopcastError(
                "scenario_bad_version", file=name, version=version, supported=FORMAT_VERSION
            )
        items = doc.get("scenarios")
    else:
        items = doc
    if not isinstance(items, list):
        raise ShopcastError("scenario_bad_root", file=name)
    if not items:
        raise ShopcastError("scenario_empty", file=name)
    out = [Scenario.from_dict(d, where=f"{name} #{i + 1}") for i, d in enumerate(items)]
    _check_unique(out, name)
    return out


def _read_source(source: str | Path | bytes, name: str | None) -> tuple[str, str]:
    if isinstance(source, bytes | bytearray):
        try:
            return bytes(source).decode("utf-8-sig"), name or "scenarios.json"
        except UnicodeDecodeError:
            raise ShopcastError("scenario_encoding", file=name or "scenarios.json") from None
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("{", "["))
    ):
        path = Path(source)
        if not path.is_file():
            raise ShopcastError("file_not_found", file=str(source))
        if path.stat().st_size > 5_000_000:
            raise ShopcastError("scenario_too_big", file=path.name)
        return _read_source(path.read_bytes(), name or path.name)
    return str(source), name or "scenarios.json"


def _check_unique(scenarios: Sequence[Scenario], name: str) -> None:
    seen: set[str] = set()
    for s in scenarios:
        if s.name in seen:
            raise ShopcastError("scenario_duplicate_name", file=name, name=s.name)
        seen.add(s.name)


def save_scenarios(scenarios: Iterable[Scenario]) -> str:
    """Scenarios as pretty JSON text (UTF-8, Chinese kept readable), ready to download.

    Raises:
        ShopcastError: two scenarios share a name.
    """
    items = list(scenarios)
    _check_unique(items, "scenarios.json")
    doc = {"format": FORMAT, "version": FORMAT_VERSION, "scenarios": [s.to_dict() for s in items]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


_TABLE_COLUMNS = (
    "name",
    "level",
    "series",
    "start",
    "end",
    "discount",
    "promo",
    "presale_days",
    "price_change",
    "traffic_multiplier",
    "manual_adjustment",
    "note",
)


def scenarios_to_frame(scenarios: Iterable[Scenario]) -> pd.DataFrame:
    """One row per scenario (for ``st.data_editor``); ``series`` joined with commas."""
    rows = []
    for s in scenarios:
        d = asdict(s)
        d["series"] = ", ".join(s.series) if s.series else ""
        d["level"] = s.level or ""
        rows.append({c: d[c] for c in _TABLE_COLUMNS})
    return pd.DataFrame(rows, columns=list(_TABLE_COLUMNS))


def scenarios_from_frame(frame: pd.DataFrame) -> list[Scenario]:
    """Inverse of :func:`scenarios_to_frame` (an edited table back to scenarios).

    Empty rows are skipped; blank cells take the defaults.

    Raises:
        ShopcastError: naming the table row of the first bad cell.
    """
    out = []
    for i, row in enumerate(frame.to_dict("records")):
        vals = {k: (None if is_blank(v) else v) for k, v in row.items() if k in _TABLE_COLUMNS}
        if all(v is None for v in vals.values()):
            continue
        where = f"#{i + 1}"
        for req in ("name", "start", "end"):
            if vals.get(req) is None:
                raise ShopcastError("scenario_missing_field", where=where, field=req)
        kwargs = {k: v for k, v in vals.items() if v is not None}
        for k in (
            "presale_days",
            "discount",
            "price_change",
            "traffic_multiplier",
            "manual_adjustment",
        ):
            if isinstance(kwargs.get(k), np.generic):
                kwargs[k] = kwargs[k].item()
        out.append(Scenario(**kwargs))
    _check_unique(out, "table")
    return out


def is_blank(v: Any) -> bool:
    """True for None, empty/whitespace text and NaN (an empty editor cell)."""
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------ presets
def discount_label(discount: float, lang: str = "zh") -> str:
    """``0.25`` -> ``"7.5折"`` (zh) or ``"25% off"`` (en)."""
    if lang == "zh":
        return f"{round((1 - discount) * 10, 2):g}折"
    return f"{round(discount * 100, 1):g}% off"


def presets(
    when: int | tuple[Any, Any] | Sequence[Any] | pd.DatetimeIndex,
    lang: str = "zh",
    festivals: Sequence[str] = PRESET_FESTIVALS,
    discount: float | Mapping[str, float] | None = None,
    windows: Mapping[str, tuple[int, int]] | None = None,
) -> list[Scenario]:
    """Ready-made 618 / Double-11 / Double-12 scenarios from the festival calendar.

    Each preset's effective window is exactly the festival window of
    ``forecasting.data.festivals`` (editable through ``windows``): the main sale runs from
    ``MAIN_SALE_DAYS`` days before the peak to the window's last day, and the
    earlier part of the window is the presale (``presale_days``). All series,
    promotion flag on, discount from ``PRESET_DISCOUNT`` unless given.

    Args:
        when: a year (every preset festival of that year), or dates (a
            ``(start, end)`` pair or the forecast dates): the festivals whose window
            overlaps that span.
        lang: language of the scenario names ("zh" or "en").
        festivals: which festivals.
        discount: one discount for all, or per festival.
        windows: festival window overrides, as in ``calendar.festival_calendar``.

    Returns:
        Scenarios sorted by date; names like ``"双十一 · 7.5折"``.
    """
    from forecasting.data.festivals import festival_calendar, festival_label

    if isinstance(when, int | np.integer) and not isinstance(when, bool):
        years, span = [int(when)], None
    else:
        dates = pd.to_datetime(pd.Index(list(when) if not isinstance(when, pd.Index) else when))
        if len(dates) == 0:
            return []
        span = (dates.min(), dates.max())
        years = list(range(span[0].year - 1, span[1].year + 2))
    cal = festival_calendar(years, windows=windows, festivals=list(festivals))
    first = cal["ds"] + pd.to_timedelta(cal["lower_window"], unit="D")
    last = cal["ds"] + pd.to_timedelta(cal["upper_window"], unit="D")
    if span is None:
        keep = cal["ds"].dt.year == years[0]
    else:
        keep = (first <= span[1]) & (last >= span[0])
    cal, first, last = cal[keep], first[keep], last[keep]
    counts = cal["holiday"].value_counts()
    out = []
    for (_, row), a, b in zip(cal.iterrows(), first, last, strict=True):
        f = row["holiday"]
        d = discount.get(f, PRESET_DISCOUNT[f]) if isinstance(discount, Mapping) else discount
        d = PRESET_DISCOUNT.get(f, 0.2) if d is None else float(d)
        main = max(pd.Timestamp(a), row["ds"] - pd.Timedelta(days=MAIN_SALE_DAYS))
        label = f"{festival_label(f, lang)} · {discount_label(d, lang)}"
        if counts[f] > 1:
            label = f"{festival_label(f, lang)} {row['ds'].year} · {discount_label(d, lang)}"
        out.append(
            Scenario(
                name=label,
                start=main,
                end=b,
                discount=d,
                promo=True,
                presale_days=int((main - a).days),
                note=f"preset:{f}:{row['ds'].date().isoformat()}",
            )
        )
    return out


# ------------------------------------------------------------------ targets
def hierarchy_from_data(data: SalesData) -> pd.DataFrame:
    """Which finest-level series belongs to which value of every level.

    Returns:
        ``unique_id`` (the finest level's series id, as in ``data.history()``) and
        one column per id level (e.g. ``品类``, ``商品``), one row per series.
    """
    levels = data.ids
    if not levels or levels == ["series"]:
        ids = data.series_ids()
        return pd.DataFrame({ID: ids})
    # SalesData builds the labels (joined "a / b" when a level is not nested); reuse them.
    cols = {lv: data._uid(lv).to_numpy() for lv in levels}
    frame = pd.DataFrame({ID: cols[levels[-1]], **cols})
    return frame.drop_duplicates(ID).sort_values(ID).reset_index(drop=True).astype(str)


def _hierarchy_frame(hierarchy: pd.DataFrame | Mapping | None) -> pd.DataFrame | None:
    if hierarchy is None:
        return None
    if isinstance(hierarchy, pd.DataFrame):
        if ID not in hierarchy.columns:
            raise ShopcastError("missing_column", file="hierarchy", column=ID)
        return hierarchy.astype({ID: str})
    rows = [
        {ID: str(k), **{str(a): str(b) for a, b in dict(v).items()}} for k, v in hierarchy.items()
    ]
    return pd.DataFrame(rows)


def target_ids(
    scenario: Scenario, ids: Iterable[str], hierarchy: pd.DataFrame | Mapping | None = None
) -> list[str]:
    """The ``unique_id`` values a scenario changes, among ``ids``.

    Args:
        scenario: the scenario.
        ids: series present in the forecast.
        hierarchy: :func:`hierarchy_from_data` output (or ``{uid: {level: value}}``);
            needed when ``scenario.level`` is a coarser level such as ``品类``.

    Raises:
        ShopcastError: unknown level, unknown series, or a level without hierarchy.
    """
    ids = [str(i) for i in pd.unique(pd.Series(list(ids), dtype=object))]
    if scenario.series is None:
        return ids
    hier = _hierarchy_frame(hierarchy)
    if scenario.level is None or (hier is None and scenario.level == ID):
        members = pd.Series(ids, index=ids)
        level = scenario.level or ID
    else:
        level = scenario.level
        if hier is None:
            raise ShopcastError("scenario_no_hierarchy", name=scenario.name, level=level)
        if level not in hier.columns:
            choices = [c for c in hier.columns if c != ID] or [ID]
            raise ShopcastError(
                "scenario_unknown_level",
                name=scenario.name,
                level=level,
                choices=", ".join(choices),
            )
        members = hier.set_index(ID)[level].astype(str)
        members = members[members.index.isin(ids)]
    missing = [s for s in scenario.series if s not in set(members.to_numpy())]
    if missing:
        examples = ", ".join(sorted(set(members.to_numpy()))[:5])
        raise ShopcastError(
            "scenario_unknown_series",
            name=scenario.name,
            series=", ".join(missing[:5]),
            level=level,
            examples=examples,
        )
    return [u for u in ids if u in set(members.index[members.isin(scenario.series)])]


def scenario_mask(
    frame: pd.DataFrame, scenario: Scenario, hierarchy: pd.DataFrame | Mapping | None = None
) -> np.ndarray:
    """Boolean array: rows of ``frame`` (``unique_id, ds``) the scenario changes.

    Rows are chosen by series (:func:`target_ids`) and by date: ``ds`` between
    the presale start and the window end, inclusive. Weekly or monthly rows are
    chosen by their date label.
    """
    ids = target_ids(scenario, frame[ID].astype(str).unique(), hierarchy)
    a, b = scenario.window
    ds = pd.to_datetime(frame[DS])
    return (frame[ID].astype(str).isin(ids) & (ds >= a) & (ds <= b)).to_numpy()


# ------------------------------------------------------------------ applying
def base_plan(model: Forecaster, h: int, future: pd.DataFrame | None = None) -> pd.DataFrame:
    """The baseline driver plan for the ``h`` periods after the model's history.

    Drivers given in ``future`` (e.g. ``io.read_future``) are used as is, the rest
    follow the neutral plan of ``schema.make_future_frame`` (last list price, no
    discount, no promotion).
    """
    return make_future_frame(model.train_, h, model.freq, future)


def apply_scenario(
    base_future: pd.DataFrame, scenario: Scenario, hierarchy: pd.DataFrame | Mapping | None = None
) -> pd.DataFrame:
    """The driver plan with ``scenario``'s changes; other rows untouched.

    Inside the window (presale included) and for the targeted series only:
    ``discount`` and ``promo`` are set when the scenario sets them (the columns are
    created, 0 elsewhere, if the plan lacks them — a model that never saw them
    ignores them, and :func:`range_warnings` says so), and ``price`` is multiplied
    by ``1 + price_change``. The traffic multiplier and manual adjustment are not
    drivers: :func:`predict_scenario` applies them to the forecast.

    Args:
        base_future: ``unique_id, ds`` + driver columns (e.g. :func:`base_plan`).
        scenario: the changes.
        hierarchy: for scenarios targeting a coarser level (see :func:`target_ids`).

    Returns:
        A new frame with the same rows and order.
    """
    for col in (ID, DS):
        if col not in base_future.columns:
            raise ShopcastError("missing_column", file="future", column=col)
    out = base_future.copy()
    mask = scenario_mask(out, scenario, hierarchy)
    if scenario.discount is not None:
        if DISCOUNT not in out.columns:
            out[DISCOUNT] = 0.0
        out[DISCOUNT] = out[DISCOUNT].astype(float)
        out.loc[mask, DISCOUNT] = scenario.discount
    if scenario.promo is not None:
        if PROMO not in out.columns:
            out[PROMO] = 0.0
        out[PROMO] = out[PROMO].astype(float)
        out.loc[mask, PROMO] = float(scenario.promo)
    if scenario.price_change and PRICE in out.columns:
        out[PRICE] = out[PRICE].astype(float)
        out.loc[mask, PRICE] = out.loc[mask, PRICE] * (1.0 + scenario.price_change)
    return out


def scenario_futures(
    base_future: pd.DataFrame,
    scenarios: Sequence[Scenario],
    hierarchy: pd.DataFrame | Mapping | None = None,
) -> dict[str, pd.DataFrame]:
    """``{"baseline": base_future, name: apply_scenario(...), ...}`` (for :func:`kpis`)."""
    out = {BASELINE: base_future}
    for s in scenarios:
        out[s.name] = apply_scenario(base_future, s, hierarchy)
    return out


def _as_models(models: Forecaster | Sequence[Forecaster]) -> list[Forecaster]:
    return list(models) if isinstance(models, list | tuple) else [models]


def predict_scenario(
    models: Forecaster | Sequence[Forecaster],
    base_future: pd.DataFrame,
    scenario: Scenario | None,
    h: int,
    levels: Sequence[int | float] | None = DEFAULT_LEVELS,
    hierarchy: pd.DataFrame | Mapping | None = None,
    baseline: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast one scenario (``None`` = the baseline) with already fitted models.

    Predict-only: the models are not refitted or changed (their cached interval
    calibration for ``h`` is computed on first use and then reused). The
    scenario's assumed ``post_multiplier`` (traffic x manual adjustment) multiplies
    the forecast and its bands inside its window — an assumption, not learned.

    Args:
        models: one fitted model or several (their columns are merged).
        base_future: the baseline driver plan.
        scenario: the scenario, or ``None`` for the baseline.
        h: horizon.
        levels: interval levels.
        hierarchy: for scenarios targeting a coarser level.
        baseline: the baseline forecast (``scenario == "baseline"`` rows), reused
            when the scenario changes no driver, so only the multiplier is applied.

    Returns:
        Forecast contract plus ``scenario`` (after ``ds``).
    """
    levels = validate_levels(levels)
    name = BASELINE if scenario is None else scenario.name
    if scenario is not None and not scenario.changes_drivers and baseline is not None:
        fc = baseline.drop(columns=[SCENARIO], errors="ignore").copy()
    else:
        fut = base_future if scenario is None else apply_scenario(base_future, scenario, hierarchy)
        fc = None
        for m in _as_models(models):
            part = m.predict(h, future=fut, level=levels)
            fc = part if fc is None else fc.merge(part, on=[ID, DS], how="outer")
    if scenario is not None and scenario.post_multiplier != 1.0:
        mask = scenario_mask(fc, scenario, hierarchy)
        factor = np.where(mask, scenario.post_multiplier, 1.0)
        for col in fc.columns:
            if col not in (ID, DS):
                fc[col] = fc[col].to_numpy(dtype=float) * factor
    fc.insert(2, SCENARIO, name)
    return fc


def run_scenarios(
    models: Forecaster | Sequence[Forecaster],
    base_future: pd.DataFrame,
    scenarios: Sequence[Scenario],
    h: int,
    levels: Sequence[int | float] | None = DEFAULT_LEVELS,
    hierarchy: pd.DataFrame | Mapping | None = None,
    baseline: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Baseline and every scenario, stacked, in the forecast contract + ``scenario``.

    The models predict each changed driver plan (never retrained): the response
    to a discount or a promotion is what they learned from history.

    Args:
        models: fitted model(s); the history they were fitted on is ``model.train_``.
        base_future: baseline driver plan (:func:`base_plan`).
        scenarios: the scenarios (unique names; "baseline" is reserved).
        h: horizon in periods.
        levels: interval levels in percent.
        hierarchy: needed when a scenario targets a level such as ``品类``.
        baseline: a baseline forecast computed earlier (e.g. cached), reused as is.

    Returns:
        ``unique_id, ds, scenario, <alias>, <alias>-lo-95, ...`` with
        ``scenario == "baseline"`` first, then each scenario in order.
    """
    _check_unique(scenarios, "scenarios")
    if baseline is None:
        baseline = predict_scenario(models, base_future, None, h, levels, hierarchy)
    parts = [baseline]
    for s in scenarios:
        parts.append(predict_scenario(models, base_future, s, h, levels, hierarchy, baseline))
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------ KPIs
_KPI_COLUMNS = (
    "scenario",
    "level",
    "group",
    "units",
    "gmv",
    "incr_units",
    "incr_units_pct",
    "incr_gmv",
    "incr_gmv_pct",
    "window_units",
    "window_incr_units",
    "window_incr_pct",
    "post_units",
    "post_incr_units",
    "post_incr_pct",
    "peak_day",
    "peak_units",
)


def kpis(
    forecast: pd.DataFrame,
    futures: Mapping[str, pd.DataFrame] | None,
    alias: str,
    scenarios: Sequence[Scenario] | None = None,
    by: str | Mapping[str, str] | pd.Series | None = None,
    hierarchy: pd.DataFrame | Mapping | None = None,
    post_days: int = 7,
) -> pd.DataFrame:
    """KPI table per scenario: in total, and per group when ``by`` is given.

    Columns (``*_pct`` in percent, vs the baseline over the same rows and dates):

    * ``units``, ``gmv``: over the whole horizon. GMV = units x effective price,
      effective price = ``price x (1 - discount)`` of that scenario's plan (NaN
      when the data has no price).
    * ``incr_units``/``incr_gmv`` (+ ``_pct``): net change over the horizon, so a
      pull-forward dip after the window is already subtracted.
    * ``window_units``, ``window_incr_units``/``_pct``: inside the scenario's
      window (presale included).
    * ``post_units``, ``post_incr_units``/``_pct``: the ``post_days`` days after
      the window — negative means sales were pulled forward (cannibalisation).
    * ``peak_day``, ``peak_units``: the day with the most units.

    Args:
        forecast: :func:`run_scenarios` output.
        futures: :func:`scenario_futures` output (driver plans by scenario name).
        alias: which model column to use.
        scenarios: the scenarios (their windows); without them the window and
            post-window columns are NaN.
        by: ``None`` (total only), ``"series"`` (each ``unique_id``), a hierarchy
            level such as ``"品类"`` (needs ``hierarchy``), or a mapping
            ``unique_id -> group``.
        hierarchy: :func:`hierarchy_from_data` output, for ``by=<level>``.
        post_days: days after the window checked for a dip.

    Returns:
        One row per scenario and group: ``level`` is ``"total"`` for the totals,
        otherwise the ``by`` name; baseline rows have zero increments.
    """
    if alias not in forecast.columns:
        raise ShopcastError(
            "scenario_no_alias",
            alias=alias,
            choices=", ".join(c for c in forecast.columns if c not in (ID, DS, SCENARIO)),
        )
    df = forecast[[SCENARIO, ID, DS, alias]].rename(columns={alias: "units"}).copy()
    df["ds"] = pd.to_datetime(df[DS])
    df["gmv"] = df["units"] * _effective_price(df, futures)
    groups = [("total", pd.Series("total", index=df.index))]
    if by is not None:
        name, mapping = _grouping(by, hierarchy)
        groups.append((name, df[ID].map(mapping).fillna("?").astype(str)))
    windows = {s.name: s.window for s in (scenarios or [])}
    rows = []
    for level_name, g in groups:
        daily = (
            df.assign(group=g.to_numpy())
            .groupby([SCENARIO, "group", DS], sort=False)[["units", "gmv"]]
            .sum(min_count=1)
            .reset_index()
        )
        base = daily[daily[SCENARIO] == BASELINE].set_index(["group", DS])
        for (scn, grp), d in daily.groupby([SCENARIO, "group"], sort=False):
            b = base.loc[grp] if grp in base.index.get_level_values(0) else None
            rows.append(
                _kpi_row(scn, level_name, grp, d.set_index(DS), b, windows.get(scn), post_days)
            )
    out = pd.DataFrame(rows, columns=list(_KPI_COLUMNS))
    order = {BASELINE: -1, **{s.name: i for i, s in enumerate(scenarios or [])}}
    out["_o"] = out[SCENARIO].map(order).fillna(len(order))
    out["_l"] = (out["level"] != "total").astype(int)
    out = out.sort_values(["_l", "group", "_o"], kind="stable").drop(columns=["_o", "_l"])
    return out.reset_index(drop=True)


def _effective_price(df: pd.DataFrame, futures: Mapping[str, pd.DataFrame] | None) -> np.ndarray:
    if not futures:
        return np.full(len(df), np.nan)
    parts = []
    for name, fut in futures.items():
        if PRICE not in fut.columns:
            continue
        disc = fut[DISCOUNT].astype(float) if DISCOUNT in fut.columns else 0.0
        parts.append(
            pd.DataFrame(
                {
                    SCENARIO: name,
                    ID: fut[ID].astype(str),
                    DS: pd.to_datetime(fut[DS]),
                    "_p": fut[PRICE].astype(float) * (1.0 - disc),
                }
            )
        )
    if not parts:
        return np.full(len(df), np.nan)
    prices = pd.concat(parts, ignore_index=True).drop_duplicates([SCENARIO, ID, DS])
    merged = df[[SCENARIO, ID, DS]].merge(prices, on=[SCENARIO, ID, DS], how="left")
    return merged["_p"].to_numpy(dtype=float)


def _grouping(by: Any, hierarchy: Any) -> tuple[str, Mapping | pd.Series]:
    if isinstance(by, pd.Series):
        return str(by.name or "group"), by.astype(str)
    if isinstance(by, Mapping):
        return "group", {str(k): str(v) for k, v in by.items()}
    if by == "series" or by == ID:
        return "series", _Identity()
    hier = _hierarchy_frame(hierarchy)
    if hier is None or by not in hier.columns:
        choices = [] if hier is None else [c for c in hier.columns if c != ID]
        raise ShopcastError(
            "scenario_unknown_level", name="KPI", level=by, choices=", ".join(["series", *choices])
        )
    return str(by), hier.set_index(ID)[by].astype(str)


class _Identity(dict):
    def __missing__(self, key: str) -> str:
        return key


def _pct(new: float, old: float) -> float:
    if not (np.isfinite(new) and np.isfinite(old)) or old == 0:
        return float("nan")
    return 100.0 * (new - old) / old


def _sum(v: np.ndarray) -> float:
    """Sum ignoring NaN, but NaN when every value is NaN (e.g. GMV without prices)."""
    return float(np.nansum(v)) if np.isfinite(v).any() else float("nan")


def _kpi_row(
    scn: str,
    level: str,
    grp: str,
    d: pd.DataFrame,
    base: pd.DataFrame | None,
    window: tuple[pd.Timestamp, pd.Timestamp] | None,
    post_days: int,
) -> dict:
    # plain numpy: this runs once per scenario and group on every slider move
    dates = d.index.to_numpy(dtype="datetime64[ns]")
    u, g = d["units"].to_numpy(dtype=float), d["gmv"].to_numpy(dtype=float)
    units, gmv = float(np.nansum(u)), _sum(g)
    row: dict[str, Any] = {
        "scenario": scn,
        "level": level,
        "group": grp,
        "units": units,
        "gmv": gmv,
        "peak_day": pd.NaT,
        "peak_units": float("nan"),
    }
    if np.isfinite(u).any():
        k = int(np.nanargmax(u))
        row["peak_day"], row["peak_units"] = pd.Timestamp(dates[k]), float(u[k])
    if base is None:
        return row
    b = base.reindex(d.index)
    bu_arr = b["units"].to_numpy(dtype=float)
    bu, bg = float(np.nansum(bu_arr)), _sum(b["gmv"].to_numpy(dtype=float))
    row.update(
        incr_units=units - bu,
        incr_units_pct=_pct(units, bu),
        incr_gmv=gmv - bg,
        incr_gmv_pct=_pct(gmv, bg),
    )
    if window is not None:
        a, e = (np.datetime64(x, "ns") for x in window)
        stop = e + np.timedelta64(int(post_days), "D")
        inside = (dates >= a) & (dates <= e)
        after = (dates > e) & (dates <= stop)
        for key, sel in (("window", inside), ("post", after)):
            su, sb = float(np.nansum(u[sel])), float(np.nansum(bu_arr[sel]))
            row[f"{key}_units"] = su
            row[f"{key}_incr_units"] = su - sb
            row[f"{key}_incr_pct"] = _pct(su, sb)
    return row


def kpi_labels(lang: str = "zh") -> dict[str, str]:
    """Translated headers for the KPI columns (for tables and Excel)."""
    from forecasting.i18n import t

    return {c: t(f"scenario.kpi.{c}", lang) for c in _KPI_COLUMNS}


# ------------------------------------------------------------------ learned response
def estimate_response(
    model: Forecaster,
    base_future: pd.DataFrame,
    driver: str = DISCOUNT,
    values: Sequence[float] = (0.1, 0.2, 0.3),
    reference: float = 0.0,
    window: tuple[Any, Any] | None = None,
    series: Sequence[str] | None = None,
    link: str | Mapping[str, float] | None = "auto",
    n_boot: int = 300,
    seed: int = 0,
    rows: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """The response the model learned: uplift of units when a driver changes.

    Method: the fitted model predicts the plan with ``driver = reference`` and with
    ``driver = v`` for each value (inside ``window``, for the chosen series, all
    else equal); the uplift is the ratio of the summed units minus one. Nothing is
    refitted. For price-like drivers the values are relative changes (0.1 = +10%
    list price) and the reference is 0.

    Linked drivers: in shop data a deep discount nearly always comes with the
    promotion flag, so "20% off without a promotion" was never observed and a model
    cannot know it. With ``link="auto"`` and ``driver="discount"``, the promotion
    flag is set to the value it had in history at that depth (on in >= 90% of the
    rows with at least this discount -> 1; the reference 0% gets the usual flag of
    0%-discount rows). The ``linked`` column says what was set. The
    ``marginal_per_10pts_pct`` column compares consecutive values with the same
    flag, isolating the discount itself.

    Uncertainty (document it with the numbers): ``p10_pct``/``p90_pct`` are the
    10th/90th percentiles of the per-series uplifts (how much the learned response
    varies between products); ``ci_low_pct``/``ci_high_pct`` a 90% bootstrap
    interval of the pooled uplift, resampling series. Neither includes the
    uncertainty of the fitted model's own parameters (that needs refits on
    resampled history, too slow for an interactive page).

    Args:
        model: a fitted model (one that ``uses_drivers``; others show 0 uplift).
        base_future: the plan the perturbations start from (:func:`base_plan`).
        driver: driver column, e.g. ``"discount"``, ``"promo"``, ``"price"``.
        values: driver values to try (fractions for discount / price change).
        reference: value compared against (0 = no discount / no promotion).
        window: ``(start, end)`` dates; default the whole horizon.
        series: restrict to these ``unique_id`` values.
        link: ``"auto"``, ``None`` (change only ``driver``) or fixed values of other
            drivers, e.g. ``{"promo": 1}``.
        n_boot: bootstrap resamples.
        seed: bootstrap seed.
        rows: optional boolean mask over ``base_future``'s rows (e.g. only open
            weekdays), combined with ``window`` and ``series``.

    Returns:
        One row per value: ``driver, value, reference, linked, uplift_pct,
        median_pct, p10_pct, p90_pct, ci_low_pct, ci_high_pct, per_10pts_pct,
        marginal_per_10pts_pct, in_history, n_series`` (the per-10-points columns
        only for ``driver="discount"``).
    """
    train = model.train_
    if driver not in train.columns:
        raise ShopcastError(
            "scenario_unknown_driver",
            driver=driver,
            choices=", ".join(c for c in train.columns if c not in (ID, DS, Y)) or "-",
        )
    if not values:
        raise ShopcastError("scenario_no_values")
    fut = base_future.copy()
    fut[DS] = pd.to_datetime(fut[DS])
    h = int(fut.groupby(ID).size().max())
    if rows is None:
        rows = np.ones(len(fut), dtype=bool)
    else:
        rows = np.asarray(rows, dtype=bool).copy()
        if rows.shape != (len(fut),):
            raise ShopcastError("scenario_bad_rows", n=len(fut), got=rows.shape[0])
    if window is not None:
        a, b = pd.Timestamp(window[0]), pd.Timestamp(window[1])
        rows &= ((fut[DS] >= a) & (fut[DS] <= b)).to_numpy()
    if series is not None:
        rows &= fut[ID].astype(str).isin([str(s) for s in series]).to_numpy()
    if not rows.any():
        raise ShopcastError("scenario_empty_window")
    price_like = driver.lower().startswith(PRICE)
    hist = pd.to_numeric(train[driver], errors="coerce")

    def plan(v: float) -> tuple[pd.DataFrame, str]:
        f = fut.copy()
        if price_like:
            f.loc[rows, driver] = f.loc[rows, driver].astype(float) * (1.0 + v)
        else:
            f[driver] = f[driver].astype(float) if driver in f.columns else 0.0
            f.loc[rows, driver] = v
        linked = _linked(train, driver, v, link)
        for col, val in linked.items():
            f[col] = f[col].astype(float) if col in f.columns else 0.0
            f.loc[rows, col] = val
        return f, ", ".join(f"{k}={v:g}" for k, v in linked.items())

    def units(f: pd.DataFrame) -> pd.Series:
        p = model.predict(h, future=f, level=[])
        p = p.merge(fut.loc[rows, [ID, DS]], on=[ID, DS], how="inner")
        return p.groupby(ID)[model.alias].sum()

    ref_plan, ref_link = plan(reference)
    ref = units(ref_plan)
    rng = np.random.default_rng(seed)
    out, prev = [], None
    for v in values:
        f, linked = plan(float(v))
        u = units(f).reindex(ref.index)
        per = (u / ref).replace([np.inf, -np.inf], np.nan) - 1
        pooled = float(u.sum() / ref.sum() - 1) if ref.sum() > 0 else float("nan")
        boot = []
        if len(ref) > 1 and n_boot > 0:
            idx = rng.integers(0, len(ref), size=(n_boot, len(ref)))
            num, den = u.to_numpy()[idx].sum(axis=1), ref.to_numpy()[idx].sum(axis=1)
            boot = num[den > 0] / den[den > 0] - 1
        step = float(v) - reference
        per10 = _per10(pooled, step) if driver == DISCOUNT and step else float("nan")
        marginal = float("nan")
        if prev is not None and driver == DISCOUNT and float(v) != prev[0]:
            ratio = (1 + pooled) / (1 + prev[1]) if 1 + prev[1] > 0 else float("nan")
            marginal = _per10(ratio - 1, float(v) - prev[0])
        lo_hist, hi_hist = float(hist.min()), float(hist.max())
        in_hist = (
            lo_hist - 1e-9 <= float(v) <= hi_hist + 1e-9
            if not price_like
            else _price_in_history(train, driver, float(v))
        )
        out.append(
            {
                "driver": driver,
                "value": float(v),
                "reference": float(reference),
                "linked": "; ".join(x for x in (linked, ref_link and f"ref: {ref_link}") if x),
                "uplift_pct": 100 * pooled,
                "median_pct": 100 * float(per.median()),
                "p10_pct": 100 * float(per.quantile(0.1)),
                "p90_pct": 100 * float(per.quantile(0.9)),
                "ci_low_pct": 100 * float(np.quantile(boot, 0.05)) if len(boot) else float("nan"),
                "ci_high_pct": 100 * float(np.quantile(boot, 0.95)) if len(boot) else float("nan"),
                "per_10pts_pct": 100 * per10 if np.isfinite(per10) else float("nan"),
                "marginal_per_10pts_pct": 100 * marginal if np.isfinite(marginal) else float("nan"),
                "in_history": bool(in_hist),
                "n_series": int(per.notna().sum()),
            }
        )
        prev = (float(v), pooled)
    return pd.DataFrame(out)


def _per10(uplift: float, step: float) -> float:
    """Uplift per 10 points of the driver, assuming a constant multiplicative effect."""
    if not np.isfinite(uplift) or uplift <= -1 or step == 0:
        return float("nan")
    return float((1 + uplift) ** (0.1 / step) - 1)


def _linked(
    train: pd.DataFrame, driver: str, v: float, link: str | Mapping[str, float] | None
) -> dict[str, float]:
    if link is None:
        return {}
    if isinstance(link, Mapping):
        return {str(k): float(x) for k, x in link.items()}
    if link != "auto" or driver != DISCOUNT or PROMO not in train.columns:
        return {}
    d = pd.to_numeric(train[DISCOUNT], errors="coerce")
    p = pd.to_numeric(train[PROMO], errors="coerce")
    sel = d >= v - 1e-9 if v > 0 else d.abs() < 1e-9
    if not sel.any():
        sel = d >= d.max() - 1e-9  # beyond history: the deepest discount seen
    share = float((p[sel] > 0).mean())
    if share >= 0.9:
        return {PROMO: 1.0}
    if share <= 0.1:
        return {PROMO: 0.0}
    return {}


def _price_in_history(train: pd.DataFrame, col: str, change: float, window: int = 28) -> bool:
    """Was a price jump of ``change`` vs the recent mean price ever seen in history?

    Models see a price relative to its recent level (LightGBM: price / mean of the
    last ``window`` periods), so the range is that ratio over all series.
    """
    h = train.sort_values([ID, DS])
    price = pd.to_numeric(h[col], errors="coerce")
    recent = price.groupby(h[ID].to_numpy()).transform(
        lambda p: p.shift(1).rolling(window, min_periods=1).mean()
    )
    rel = (price / recent).replace([np.inf, -np.inf], np.nan).dropna()
    if rel.empty:
        return False
    return bool(rel.min() - 1e-9 <= 1 + change <= rel.max() + 1e-9)


def festival_lift(
    history: pd.DataFrame, festivals: Sequence[str] = PRESET_FESTIVALS, before_days: int = 28
) -> pd.DataFrame:
    """How much each festival lifted daily units in history (observed, not a model).

    For each festival and year in the history: mean daily units (all series summed)
    inside the festival window divided by the mean over the ``before_days`` days
    before the window (other festival windows excluded). It includes whatever
    discounts ran during the festival, so it is the *total* festival effect a
    manager saw, not the festival alone.

    Returns:
        ``festival, year, lift, days``, plus a row per festival with ``year ==
        "mean"`` (mean lift over the years).
    """
    from forecasting.data.festivals import festival_calendar, festival_offsets

    df = history[[DS, Y]].copy()
    df[DS] = pd.to_datetime(df[DS])
    daily = df.groupby(DS)[Y].sum()
    if daily.empty:
        return pd.DataFrame(columns=["festival", "year", "lift", "days"])
    days = daily.index
    offsets = festival_offsets(days)
    in_any = offsets.notna().any(axis=1).to_numpy()
    years = range(days.min().year, days.max().year + 1)
    cal = festival_calendar(years, festivals=list(festivals))
    rows = []
    for r in cal.itertuples(index=False):
        a = r.ds + pd.Timedelta(days=int(r.lower_window))
        b = r.ds + pd.Timedelta(days=int(r.upper_window))
        inside = (days >= a) & (days <= b)
        before = (days < a) & (days >= a - pd.Timedelta(days=before_days)) & ~in_any
        if inside.sum() < (b - a).days + 1 or before.sum() < before_days // 2:
            continue  # festival not fully inside the history
        lift = (
            float(daily[inside].mean() / daily[before].mean())
            if daily[before].mean() > 0
            else float("nan")
        )
        rows.append(
            {"festival": r.holiday, "year": str(r.ds.year), "lift": lift, "days": int(inside.sum())}
        )
    out = pd.DataFrame(rows, columns=["festival", "year", "lift", "days"])
    if len(out):
        mean = (
            out.groupby("festival", sort=False)
            .agg(lift=("lift", "mean"), days=("days", "mean"))
            .reset_index()
        )
        mean["year"] = "mean"
        out = pd.concat([out, mean[out.columns]], ignore_index=True)
    return out


# ------------------------------------------------------------------ warnings
def range_warnings(
    history: pd.DataFrame,
    scenario: Scenario,
    future: pd.DataFrame | None = None,
    hierarchy: pd.DataFrame | Mapping | None = None,
    model: Forecaster | None = None,
) -> list[ScenarioWarning]:
    """Where a scenario leaves what the history (and so the model) has seen.

    Checks: the driver exists at all; discount deeper than ever seen; a discount
    with a promotion flag it never came with; a promotion longer than any run in
    history; a list price outside the range seen; a window outside the forecast
    dates (when ``future`` is given); a model that ignores drivers (when ``model``
    is given); and, as ``info``, the assumed traffic multiplier and manual
    adjustment. Global models learn from every series, so ranges are over the
    whole history.

    Args:
        history: the training history (``unique_id, ds, y`` + drivers).
        scenario: the scenario to check.
        future: the forecast's driver plan (gives the forecast dates).
        hierarchy: for targets at a coarser level.
        model: the model that will predict it.

    Returns:
        Warnings, most important first (empty when the scenario is well inside history).
    """
    out: list[ScenarioWarning] = []
    name = scenario.name
    if model is not None and not getattr(model, "uses_drivers", False) and scenario.changes_drivers:
        out.append(ScenarioWarning("model_ignores_drivers", {"name": name, "model": model.alias}))
    for col, val in ((DISCOUNT, scenario.discount), (PROMO, scenario.promo)):
        if val is not None and col not in history.columns:
            out.append(ScenarioWarning("no_driver", {"name": name, "driver": col}))
    if scenario.price_change and PRICE not in history.columns:
        out.append(ScenarioWarning("no_driver", {"name": name, "driver": PRICE}))
    if scenario.discount is not None and DISCOUNT in history.columns:
        disc = pd.to_numeric(history[DISCOUNT], errors="coerce")
        top = float(disc.max()) if disc.notna().any() else 0.0
        if scenario.discount > top + 1e-9:
            out.append(
                ScenarioWarning(
                    "discount_above_range",
                    {"name": name, "value": _pctxt(scenario.discount), "max": _pctxt(top)},
                )
            )
        elif scenario.discount > 0 and scenario.promo is not None and PROMO in history.columns:
            flag = pd.to_numeric(history[PROMO], errors="coerce") > 0
            near = (disc - scenario.discount).abs() <= 0.05 + 1e-9
            if not (near & (flag == scenario.promo)).any():
                out.append(
                    ScenarioWarning(
                        "combo_unseen",
                        {
                            "name": name,
                            "value": _pctxt(scenario.discount),
                            "promo": int(scenario.promo),
                        },
                    )
                )
    promo_on = (scenario.promo is True) or bool(scenario.discount)
    if promo_on:
        longest = _longest_run(history)
        days = (scenario.window[1] - scenario.window[0]).days + 1
        if longest is not None and days > longest:
            out.append(
                ScenarioWarning(
                    "longer_than_history", {"name": name, "days": days, "longest": longest}
                )
            )
    if scenario.price_change and PRICE in history.columns:
        if not _price_in_history(history, PRICE, scenario.price_change):
            out.append(
                ScenarioWarning(
                    "price_outside_range", {"name": name, "change": f"{scenario.price_change:+.0%}"}
                )
            )
    if future is not None and len(future):
        ds = pd.to_datetime(future[DS])
        a, b = scenario.window
        if b < ds.min() or a > ds.max():
            out.append(
                ScenarioWarning(
                    "window_outside_horizon",
                    {
                        "name": name,
                        "start": a.date().isoformat(),
                        "end": b.date().isoformat(),
                        "first": ds.min().date().isoformat(),
                        "last": ds.max().date().isoformat(),
                    },
                )
            )
        elif a < ds.min() or b > ds.max():
            out.append(
                ScenarioWarning(
                    "window_partly_outside",
                    {
                        "name": name,
                        "first": ds.min().date().isoformat(),
                        "last": ds.max().date().isoformat(),
                    },
                )
            )
        if hierarchy is not None or scenario.level is None:
            try:
                target_ids(scenario, future[ID].astype(str).unique(), hierarchy)
            except ShopcastError as exc:
                out.append(
                    ScenarioWarning("bad_target", {"name": name, "detail": exc.message("en")})
                )
    if scenario.traffic_multiplier != 1.0:
        out.append(
            ScenarioWarning(
                "assumption_traffic",
                {"name": name, "value": f"{scenario.traffic_multiplier:g}"},
                "info",
            )
        )
    if scenario.manual_adjustment != 0.0:
        out.append(
            ScenarioWarning(
                "assumption_manual",
                {"name": name, "value": f"{scenario.manual_adjustment:+.0%}"},
                "info",
            )
        )
    return out


def _pctxt(x: float) -> str:
    return f"{x * 100:.0f}%"


def _longest_run(history: pd.DataFrame) -> int | None:
    """Longest run of consecutive promotion periods (promo flag or discount > 0) in any series."""
    cols = [c for c in (PROMO, DISCOUNT) if c in history.columns]
    if not cols:
        return None
    h = history.sort_values([ID, DS])
    on = np.zeros(len(h), dtype=bool)
    for c in cols:
        on |= (pd.to_numeric(h[c], errors="coerce").fillna(0) > 0).to_numpy()
    if not on.any():
        return 0
    ids = h[ID].to_numpy()
    # a new run starts where "on" switches on or the series changes
    new = np.r_[True, (ids[1:] != ids[:-1]) | (on[1:] != on[:-1])]
    run_id = np.cumsum(new)
    lengths = pd.Series(on).groupby(run_id).sum()
    return int(lengths.max())
