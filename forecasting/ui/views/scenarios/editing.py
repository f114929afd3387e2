"""The scenario list as the editor shows it: targets, names, the table and its edits.

No widgets here: functions from scenarios (and the page's choices) to labels and
frames, and back.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting.charts.forecast import series_label
from forecasting.errors import ShopcastError
from forecasting.i18n import t
from forecasting.planning import scenarios as sc
from forecasting.schema import ID
from forecasting.ui.views.scenarios.session import MAX_SCENARIOS

if TYPE_CHECKING:
    from forecasting.ui.views.scenarios.context import Setup

PROMO_CHOICES = ("on", "off", "plan")


def target_options(setup: Setup, lang: str, scenarios: list[sc.Scenario] = ()) -> dict[str, tuple]:
    """Label -> ``(level, series tuple)`` of every target offered (all, each group, ...)."""
    sep = "：" if lang == "zh" else ": "
    out: dict[str, tuple] = {t("sc.target.all", lang): (None, None)}
    if setup.hierarchy is not None:
        for lv in [c for c in setup.hierarchy.columns if c != ID]:
            for v in sorted(setup.hierarchy[lv].unique()):
                out[f"{lv}{sep}{v}"] = (lv, (str(v),))
    elif len(setup.ids) > 1:
        for uid in sorted(setup.ids):
            out[series_label(uid, lang)] = (None, (uid,))
    known = set(out.values())
    for s in scenarios:  # an uploaded target that is not a single group still shows
        key = target_key(s)
        if key not in known:
            out[f"{s.level or ID}{sep}{', '.join(s.series or ())}"] = key
            known.add(key)
    return out


def target_key(s: sc.Scenario) -> tuple:
    return (s.level, tuple(s.series)) if s.series else (None, None)


def unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    k = 2
    while f"{name} ({k})" in taken:
        k += 1
    return f"{name} ({k})"


def next_preset(festival: str, first: pd.Timestamp, lang: str) -> sc.Scenario | None:
    """The next ``festival`` preset whose window ends on or after ``first``."""
    for year in (first.year, first.year + 1):
        for s in sc.presets(year, lang, festivals=[festival]):
            if pd.Timestamp(s.end) >= first:
                return s
    return None


def default_scenarios(first: pd.Timestamp, lang: str) -> list[sc.Scenario]:
    """The first festival coming up after ``first`` (a starting point to edit)."""
    found = [p for f in sc.PRESET_FESTIVALS if (p := next_preset(f, first, lang)) is not None]
    return sorted(found, key=lambda s: s.end)[:1]


def renamed(scenario: sc.Scenario, new_discount: float | None) -> str:
    """The name with its discount label updated ("618 · 7.5折" -> "618 · 6.5折")."""
    old = scenario.discount
    if old is None or new_discount is None or old == new_discount:
        return scenario.name
    for lang in ("zh", "en"):
        label = sc.discount_label(old, lang)
        if label in scenario.name:
            return scenario.name.replace(label, sc.discount_label(new_discount, lang))
    return scenario.name


def update(scenarios: list[sc.Scenario], index: int, **changes: Any) -> list[sc.Scenario]:
    """A copy of ``scenarios`` with ``changes`` applied to one (validated, renamed)."""
    out = list(scenarios)
    s = out[index]
    if "discount" in changes:
        taken = {x.name for i, x in enumerate(out) if i != index}
        name = renamed(s, changes["discount"])
        if name != s.name:  # a copy's " (2)" is not needed once its label differs
            name = unique_name(re.sub(r" \(\d+\)$", "", name), taken)
        changes.setdefault("name", unique_name(name, taken))
    out[index] = dataclasses.replace(s, **changes)
    return out


def follow_discounts(old: list[sc.Scenario], new: list[sc.Scenario]) -> list[sc.Scenario]:
    """Rename rows whose discount changed but whose name did not ("7.5折" -> "8.5折")."""
    out = list(new)
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a.name == b.name and a.discount != b.discount:
            out = update(
                out[:i] + [dataclasses.replace(b, discount=a.discount)] + out[i + 1 :],
                i,
                discount=b.discount,
            )
    return out


# --------------------------------------------------------------- the table
_COLUMNS = (
    "name",
    "target",
    "start",
    "end",
    "presale_days",
    "discount",
    "promo",
    "price_change",
    "traffic_multiplier",
    "manual_adjustment",
    "note",
)


def editor_frame(
    scenarios: list[sc.Scenario], options: dict[str, tuple], lang: str
) -> pd.DataFrame:
    """The scenarios as the table shows them: percentages in points, labels for targets."""
    labels = {v: k for k, v in options.items()}
    rows = []
    for s in scenarios:
        rows.append(
            {
                "name": s.name,
                "target": labels.get(target_key(s), next(iter(options))),
                "start": s.start,
                "end": s.end,
                "presale_days": int(s.presale_days),
                "discount": None if s.discount is None else round(s.discount * 100, 2),
                "promo": t(
                    f"sc.promo.{'plan' if s.promo is None else 'on' if s.promo else 'off'}", lang
                ),
                "price_change": round(s.price_change * 100, 2),
                "traffic_multiplier": s.traffic_multiplier,
                "manual_adjustment": round(s.manual_adjustment * 100, 2),
                "note": s.note,
            }
        )
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    for c in ("discount", "price_change", "traffic_multiplier", "manual_adjustment"):
        frame[c] = frame[c].astype(float)
    frame["presale_days"] = frame["presale_days"].astype("Int64")
    return frame


def scenarios_from_editor(
    frame: pd.DataFrame, options: dict[str, tuple], lang: str, first: pd.Timestamp
) -> list[sc.Scenario]:
    """The edited table back to scenarios (inverse of :func:`editor_frame`).

    Blank rows are skipped; a new row gets a name and the first forecast week when
    those cells are empty, so it is valid as soon as it is added.

    Raises:
        ShopcastError: a bad cell (naming the row), duplicate names, more than four.
    """
    promo = {
        t(f"sc.promo.{k}", lang): {"on": True, "off": False, "plan": None}[k] for k in PROMO_CHOICES
    }
    out: list[sc.Scenario] = []
    records = [
        {k: (None if sc.is_blank(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]
    taken = {str(r["name"]).strip() for r in records if r.get("name") is not None}
    for i, vals in enumerate(records):
        if all(vals.get(k) is None for k in _COLUMNS):
            continue
        if vals.get("name") is None:  # a row just added: give it a free name
            vals["name"] = unique_name(t("sc.new_name", lang, n=len(out) + 1), taken)
            taken.add(vals["name"])
        where = t("sc.table.row", lang, row=i + 1)
        level, series = (
            options.get(vals.get("target"), (None, None))
            if vals.get("target") is not None
            else (None, None)
        )
        start = vals.get("start") or first.date()
        end = vals.get("end") or max(pd.Timestamp(start), first + pd.Timedelta(days=6)).date()
        kwargs = {
            "name": vals["name"],
            "start": _cell_date(start),
            "end": _cell_date(end),
            "level": level,
            "series": list(series) if series else None,
            "discount": None if vals.get("discount") is None else _num(vals["discount"]) / 100,
            "promo": promo.get(vals.get("promo"), None),
            "presale_days": _num(vals.get("presale_days") or 0),
            "price_change": _num(vals.get("price_change") or 0) / 100,
            "traffic_multiplier": _num(
                1 if vals.get("traffic_multiplier") is None else vals["traffic_multiplier"]
            ),
            "manual_adjustment": _num(vals.get("manual_adjustment") or 0) / 100,
            "note": str(vals.get("note") or ""),
        }
        if float(kwargs["presale_days"]).is_integer():
            kwargs["presale_days"] = int(kwargs["presale_days"])
        try:
            out.append(sc.Scenario(**kwargs))
        except ShopcastError as exc:
            params = {**exc.params, "where": where} if "where" in exc.params else exc.params
            raise ShopcastError(exc.key, **params) from None
    seen: set[str] = set()
    for s in out:
        if s.name in seen:
            raise ShopcastError("scenario_duplicate_name", file=t("sc.table", lang), name=s.name)
        seen.add(s.name)
    if len(out) > MAX_SCENARIOS:
        raise ShopcastError("sc_too_many", n=len(out), max=MAX_SCENARIOS)
    return out


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")  # Scenario names the field and the value


def _cell_date(v: Any) -> Any:
    if isinstance(v, str) and "T" in v:  # the editor sends ISO date-times for date cells
        return v.split("T", 1)[0]
    return v


def apply_delta(base: pd.DataFrame, delta: dict) -> pd.DataFrame:
    """The table after an ``st.data_editor`` change set (edited, added, deleted rows)."""
    frame = base.copy().astype(object)
    for idx, changes in (delta.get("edited_rows") or {}).items():
        for col, value in changes.items():
            if col in frame.columns:
                frame.at[int(idx), col] = value
    deleted = [int(i) for i in delta.get("deleted_rows") or []]
    frame = frame.drop(index=[i for i in deleted if i in frame.index])
    added = [dict(r) for r in delta.get("added_rows") or []]
    if added:
        frame = pd.concat([frame, pd.DataFrame(added, columns=frame.columns)], ignore_index=True)
    return frame.reset_index(drop=True)
