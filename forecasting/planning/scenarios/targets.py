"""Which series a scenario changes: the hierarchy, target ids and row masks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.planning.scenarios.spec import Scenario
from forecasting.schema import DS, ID

if TYPE_CHECKING:
    from forecasting.data import SalesData


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
    cols = {lv: data.uid(lv).to_numpy() for lv in levels}
    frame = pd.DataFrame({ID: cols[levels[-1]], **cols})
    return frame.drop_duplicates(ID).sort_values(ID).reset_index(drop=True).astype(str)


def hierarchy_frame(hierarchy: pd.DataFrame | Mapping | None) -> pd.DataFrame | None:
    """A hierarchy given as a frame or as ``{uid: {level: value}}``, as a frame (or None)."""
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
    hier = hierarchy_frame(hierarchy)
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


def hierarchy_at(data: SalesData, level: str, ids: Iterable[str]) -> pd.DataFrame | None:
    """``unique_id`` at ``level`` -> the values of ``level`` and every coarser id level.

    Args:
        data: the ``SalesData`` the history was cut from.
        level: the history's level ("total" or an id column).
        ids: the history's series; the hierarchy must cover every one of them.

    Returns:
        A frame for :func:`target_ids` / ``kpis(by=...)``, or None when the level
        has no coarser structure worth targeting (total, one series) or the data
        does not match.
    """
    ids = list(ids)
    if level not in getattr(data, "ids", []) or len(ids) < 2:
        return None
    finest = hierarchy_from_data(data)
    cols = data.ids[: data.ids.index(level) + 1]
    if not set(cols) <= set(finest.columns):
        return None
    out = finest[cols].copy()
    out.insert(0, ID, finest[level].astype(str))
    out = out.drop_duplicates(ID).astype(str).reset_index(drop=True)
    if not set(map(str, ids)) <= set(out[ID]):
        return None
    return out[out[ID].isin(set(map(str, ids)))].reset_index(drop=True)
