"""Scenario files and tables: JSON in and out, and the editable one-row-per-scenario frame."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.spec import FORMAT, FORMAT_VERSION, Scenario


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
    check_unique(out, name)
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


def check_unique(scenarios: Sequence[Scenario], name: str) -> None:
    """Refuse two scenarios with one name (``name`` is the file or table, for the message)."""
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
    check_unique(items, "scenarios.json")
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
    check_unique(out, "table")
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
