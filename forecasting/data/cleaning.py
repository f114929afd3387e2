"""Read, map and clean a sales file into :class:`~forecasting.data.sales.SalesData`.

Everything dropped or repaired while cleaning is counted in ``SalesData.notes``
so the warnings page can tell the user, rather than silently changing data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecasting.data.aggregation import agg_rule, aggregate
from forecasting.data.frequency import snap
from forecasting.data.mapping import (
    ColumnMapping,
    check_roles,
    column_list,
    detect_mapping,
    numeric_share,
    resolve_column,
)
from forecasting.data.parsing import normalize_discount, parse_dates, to_flag, to_number
from forecasting.data.readers import read_table
from forecasting.data.sales import SalesData
from forecasting.data.vocabulary import MISSING_ID, WIDE_ID, excluded_reason
from forecasting.errors import ShopcastError
from forecasting.schema import DS, Y, infer_freq


def load(
    source: Any,
    name: str | None = None,
    mapping: ColumnMapping | None = None,
    sheet: str | int | None = None,
    **overrides: Any,
) -> SalesData:
    """Read, map and clean a sales file.

    Args:
        source: path, bytes or binary file-like (see :func:`read_table`).
        name: file name for messages.
        mapping: a known mapping (e.g. saved from an earlier upload); overrides
            given as keywords replace its fields.
        sheet: Excel sheet name or index.
        **overrides: ``date``, ``target``, ``ids``, ``drivers``, ``layout`` as in
            :func:`detect_mapping`.

    Returns:
        SalesData at the finest level; ``notes`` counts what cleaning did.

    Raises:
        ShopcastError: unreadable file, missing columns, no usable dates or target.
    """
    raw = read_table(source, name=name, sheet=sheet)
    return load_frame(raw, name=raw.attrs["source_name"], mapping=mapping, **overrides)


def load_frame(
    raw: pd.DataFrame,
    name: str | None = None,
    mapping: ColumnMapping | None = None,
    **overrides: Any,
) -> SalesData:
    """:func:`load` for a frame already in memory (e.g. from :func:`read_table`)."""
    name = name or raw.attrs.get("source_name", "data")
    bad = set(overrides) - {"date", "target", "ids", "drivers", "layout"}
    if bad:
        raise TypeError(f"unknown override(s): {sorted(bad)}")
    if mapping is None:
        mapping = detect_mapping(raw, name=name, **overrides)
    else:
        d = mapping.to_dict()
        d.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(d["ids"], str):
            d["ids"] = [d["ids"]]
        mapping = ColumnMapping.from_dict(d)
        mapping = ColumnMapping(
            resolve_column(raw, mapping.date, name),
            resolve_column(raw, mapping.target, name) if mapping.target else "",
            [resolve_column(raw, c, name) for c in mapping.ids],
            {k: resolve_column(raw, v, name) for k, v in mapping.drivers.items()},
            mapping.layout,
        )
        check_roles(mapping, name)
    return _clean(raw, mapping, name)


def _row(raw: pd.DataFrame, i: Any) -> int:
    """Spreadsheet row number (header = row 1 after any title lines) of index ``i``."""
    return int(i) + int(raw.attrs.get("header_row", 0)) + 2


def _clean(raw: pd.DataFrame, m: ColumnMapping, name: str) -> SalesData:
    notes: dict[str, Any] = {"rows_read": len(raw)}
    ds = parse_dates(raw[m.date], excel_serial=True)
    bad = ds.isna()
    if bad.all():
        raise ShopcastError(
            "io_no_valid_dates",
            file=name,
            column=m.date,
            example=str(raw[m.date].dropna().iloc[0])[:40] if raw[m.date].notna().any() else "",
        )
    if bad.any():
        i = bad.idxmax()
        notes.update(
            dates_dropped=int(bad.sum()),
            dates_dropped_row=_row(raw, i),
            dates_dropped_value=str(raw.at[i, m.date])[:40],
        )
    timed = (ds != ds.dt.normalize()) & ~bad
    if timed.any():  # order-level timestamps: add up per day
        notes["times_floored"] = int(timed.sum())
    ds = ds.dt.normalize()

    if m.layout == "wide":
        frame, id_cols = _melt_wide(raw, m, ds, notes, name)
    else:
        id_cols = list(m.ids)
        frame = pd.DataFrame({c: id_values(raw[c], notes, c) for c in id_cols}, index=raw.index)
        frame[DS] = ds
        frame[Y] = _target_values(raw, m.target, bad, notes, name)
        for canon, col in m.drivers.items():
            frame[canon] = driver_values(canon, raw[col], notes)
        frame = frame[~bad]
    drivers = [c for c in frame.columns if c not in (*id_cols, DS, Y)]

    try:
        freq = infer_freq(frame[DS])
    except ShopcastError as exc:
        key = "io_too_few_dates" if exc.key == "too_few_dates" else "io_unknown_freq"
        raise ShopcastError(key, file=name, **exc.params) from None
    snapped = snap(frame[DS], freq)
    moved = int((snapped != frame[DS]).sum())
    if moved:
        notes["dates_snapped"] = moved
    frame[DS] = snapped

    n_before = len(frame)
    keys = [*id_cols, DS]
    if frame.duplicated(keys).any():
        frame = aggregate(frame, keys, drivers)
        notes["duplicates_merged"] = n_before - len(frame)
    else:
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    frame[Y] = frame[Y].astype(float)
    notes["rows_used"] = len(frame)
    used = set(m.columns())
    if m.layout == "wide":
        used |= set(notes.get("wide_series", []))
    unused = [c for c in raw.columns if c not in used]
    if unused:
        notes["ignored_columns"] = {c: excluded_reason(c) or "unused" for c in unused}
    return SalesData(frame=frame, mapping=m, freq=freq, name=name, notes=notes)


def id_values(s: pd.Series, notes: dict, col: str) -> pd.Series:
    """Id values as text ("1", not "1.0"); blanks become ``MISSING_ID``, counted in notes."""
    if pd.api.types.is_float_dtype(s) and (s.dropna() == s.dropna().round()).all():
        s = s.astype("Int64")  # ids read as 1.0 because of blanks should print as "1"
    codes, uniques = pd.factorize(s)  # work on distinct values: ids repeat a lot
    labels = pd.Series(uniques.astype(str), dtype=object).str.strip()
    labels[labels.eq("")] = MISSING_ID
    out = pd.Series(np.append(labels.to_numpy(), MISSING_ID)[codes], index=s.index, dtype=object)
    missing = out.eq(MISSING_ID)
    if missing.any():
        notes.setdefault("ids_missing", {})[col] = int(missing.sum())
    return out


def _target_values(
    raw: pd.DataFrame, col: str, bad_date: pd.Series, notes: dict, name: str
) -> pd.Series:
    s = raw[col]
    y = to_number(s)
    blank = s.isna() | (
        s.astype(str).str.strip().isin(["", "-", "—"]) if s.dtype == object else False
    )
    unparseable = y.isna() & ~blank & ~bad_date
    if unparseable.any():
        i = unparseable.idxmax()
        notes.update(
            target_unparseable=int(unparseable.sum()),
            target_unparseable_row=_row(raw, i),
            target_unparseable_value=str(s.at[i])[:40],
        )
    missing = blank & ~bad_date
    if missing.any():
        notes["target_missing"] = int(missing.sum())
    if y[~bad_date].notna().sum() == 0:
        raise ShopcastError(
            "io_no_valid_target",
            file=name,
            column=col,
            example=str(s.dropna().iloc[0])[:40] if s.notna().any() else "",
        )
    return y


def driver_values(canon: str, s: pd.Series, notes: dict, rule: str | None = None) -> pd.Series:
    """A driver column as floats: discounts normalised, flags 0/1, other drivers as numbers."""
    kind = agg_rule(canon)
    if canon == "discount":
        out, used = normalize_discount(s, rule)
        notes["discount_rule"] = used
        return out
    if kind == "max":
        return to_flag(s)
    return to_number(s)


def _melt_wide(
    raw: pd.DataFrame, m: ColumnMapping, ds: pd.Series, notes: dict, name: str
) -> tuple[pd.DataFrame, list[str]]:
    skip = {m.date, *m.drivers.values()}
    cols = [
        c
        for c in raw.columns
        if c not in skip and excluded_reason(c) is None and numeric_share(raw[c]) >= 0.5
    ]
    if not cols:
        raise ShopcastError("io_wide_no_series", file=name, columns=column_list(raw))
    notes["wide_series"] = cols
    keep = ~ds.isna()
    drv = pd.DataFrame(
        {k: driver_values(k, raw[c], notes) for k, c in m.drivers.items()}, index=raw.index
    )
    parts = []
    for c in cols:
        part = pd.DataFrame({WIDE_ID: str(c), DS: ds[keep], Y: to_number(raw.loc[keep, c])})
        parts.append(pd.concat([part, drv[keep]], axis=1))
    return pd.concat(parts, ignore_index=True), [WIDE_ID]
