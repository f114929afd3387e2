"""The scenario definition: :class:`Scenario`, :class:`ScenarioWarning` and field checks.

Fractions everywhere in the definition: ``discount=0.25`` is 25% off (七五折),
``price_change=0.05`` is +5% list price, ``manual_adjustment=-0.1`` is -10%.
Every field is checked on construction, so a bad value names the scenario, the
field and what to type instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError

BASELINE = "baseline"  # scenario name of the unchanged plan; reserved
ALL = "all"
FORMAT, FORMAT_VERSION = "shopcast-scenarios", 1
MAX_SCENARIOS = 4  # how many the comparison chart shows next to the baseline
PRICE, DISCOUNT, PROMO = (
    "price",
    "discount",
    "promo",
)  # canonical driver names (forecasting.data)

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
