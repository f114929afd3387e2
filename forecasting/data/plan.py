"""Plans of future drivers (price, discount, promo...) read into the forecast's grid."""

from __future__ import annotations

from typing import Any

import pandas as pd

from forecasting.data.aggregation import aggregate
from forecasting.data.cleaning import check_day_month, driver_values, id_values
from forecasting.data.frequency import snap
from forecasting.data.mapping import column_list, detect_date
from forecasting.data.parsing import parse_dates
from forecasting.data.readers import read_table
from forecasting.data.sales import SalesData, joined_labels
from forecasting.data.vocabulary import TOTAL, norm_name
from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID


def read_future(
    source: Any,
    data: SalesData,
    level: str | None = None,
    name: str | None = None,
    freq: str | None = None,
) -> pd.DataFrame:
    """Read a plan of future drivers (price, discount, promo...) for the forecast.

    The file uses the history file's column names without the target (canonical
    names such as ``price``/``promo``/``date`` are accepted too). Rows are aggregated
    to ``level`` and ``freq`` like :meth:`SalesData.history`. A file without id
    columns is one plan applied to every series at ``level``.

    Args:
        source: path, bytes or binary file-like.
        data: the loaded history (gives the mapping, levels and discount rule).
        level: aggregation level (default: the finest).
        name: file name for messages.
        freq: the forecast frequency (default: the history's).

    Returns:
        ``unique_id, ds`` and driver columns (canonical names). ``attrs`` holds
        ``dates_dropped`` and ``unknown_series`` counts (and ``dates_ambiguous``
        when dd/mm vs mm/dd could not be told, as in ``SalesData.notes``).

    Raises:
        ShopcastError: unreadable file, no date column, some but not all id columns,
            or only the ids of another level (a plan per category for a forecast per
            SKU: ``io_plan_level``).
    """
    raw = read_table(source, name=name)
    fname = raw.attrs["source_name"]
    level = data.resolve_level(level)
    want = data.target_freq(freq)
    m = data.mapping
    date_col = _find(raw, [m.date, "ds", "date", "日期"])
    if date_col is None:
        try:
            date_col = detect_date(raw, fname)
        except ShopcastError:
            raise ShopcastError(
                "io_column_not_found", file=fname, column=m.date, available=column_list(raw)
            ) from None
    notes: dict[str, Any] = {"discount_rule": data.notes.get("discount_rule")}
    check_day_month(raw[date_col], date_col, fname, notes)
    ds = parse_dates(raw[date_col], excel_serial=True)
    bad = ds.isna()
    df = pd.DataFrame({DS: ds.dt.normalize()}, index=raw.index)
    for canon in data.drivers:
        col = _find(raw, [m.drivers.get(canon, canon), canon])
        if col is not None:
            df[canon] = driver_values(
                canon,
                raw[col],
                notes,
                rule=notes.get("discount_rule") if canon == "discount" else None,
            )
    drivers = [c for c in data.drivers if c in df.columns]
    # which id columns identify a series at this level
    ids = [] if level == TOTAL else data.ids[: data.ids.index(level) + 1]
    need = [level] if level != TOTAL and data.is_nested(level) else ids
    present = {c: _find(raw, [c]) for c in need}
    df = df[~bad]
    if need and all(v is not None for v in present.values()):
        vals = pd.DataFrame({c: id_values(raw.loc[~bad, present[c]], {}, c) for c in need})
        df.insert(0, ID, vals[need[0]] if len(need) == 1 else joined_labels(vals))
        broadcast = False
    elif need and any(v is not None for v in present.values()):
        miss = next(c for c, v in present.items() if v is None)
        raise ShopcastError(
            "io_column_not_found", file=fname, column=miss, available=column_list(raw)
        )
    else:
        if need:
            _check_plan_level(raw, data, level, need, fname)
        df.insert(0, ID, "__all__")
        broadcast = True
    df[DS] = snap(df[DS], want)
    out = aggregate(df, [ID, DS], drivers)
    unknown = 0
    if broadcast:
        plan = out.drop(columns=ID)
        uids = pd.DataFrame({ID: data.series_ids(level)})
        out = uids.merge(plan, how="cross")
    else:
        known = set(data.series_ids(level))
        keep = out[ID].isin(known)
        unknown = int((~keep).sum())
        out = out[keep]
    out = out[[ID, DS, *drivers]].sort_values([ID, DS]).reset_index(drop=True)
    out[ID] = out[ID].astype(str)
    out.attrs = {"dates_dropped": int(bad.sum()), "unknown_series": unknown}
    if "dates_ambiguous" in notes:
        out.attrs["dates_ambiguous"] = notes["dates_ambiguous"]
    return out


def _check_plan_level(
    raw: pd.DataFrame, data: SalesData, level: str, need: list[str], fname: str
) -> None:
    """A plan without the forecast level's ids is one plan for every series, unless it has
    another level's ids: then it was written for that level and would be misapplied."""
    other = [c for c in data.ids if c not in need and _find(raw, [c]) is not None]
    if other:
        raise ShopcastError("io_plan_level", file=fname, plan_level=other[0], level=level)


def _find(raw: pd.DataFrame, names: list[str]) -> str | None:
    for n in names:
        if not n:
            continue
        if n in raw.columns:
            return n
        hits = [c for c in raw.columns if norm_name(c) == norm_name(n)]
        if len(hits) == 1:
            return hits[0]
    return None
