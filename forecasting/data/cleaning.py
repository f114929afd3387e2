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
from forecasting.data.parsing import (
    day_month_order,
    decimal_style,
    normalize_discount,
    parse_dates,
    to_flag,
    to_number,
)
from forecasting.data.readers import read_table
from forecasting.data.sales import SalesData
from forecasting.data.vocabulary import MISSING_ID, WIDE_ID, excluded_reason
from forecasting.errors import ShopcastError
from forecasting.schema import DS, Y, infer_freq

MIN_PERIODS = 4  # fewer dates than this: no model can tell a level from a change
MAX_ABS_VALUE = 1e15  # beyond any shop's sales; 1e308 would overflow every sum of squares


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
        ShopcastError: unreadable file, missing columns, no usable dates or target,
            a date column mixing day-first and month-first dates
            (``io_mixed_date_formats``), a target mixing decimal commas and points
            (``io_mixed_decimals``), fewer than ``MIN_PERIODS`` dates
            (``io_history_too_short``). Infinite or absurd targets (``inf``,
            ``1e308``) become missing and are counted in ``notes``.
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
    _reader_notes(raw, notes)
    check_day_month(raw[m.date], m.date, name, notes)
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
    n_dates = frame[DS].nunique()
    if n_dates < MIN_PERIODS:
        raise ShopcastError("io_history_too_short", file=name, n=n_dates, need=MIN_PERIODS)

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


def _reader_notes(raw: pd.DataFrame, notes: dict) -> None:
    """What the reader noticed (decimal commas, formula columns without values)."""
    if raw.attrs.get("decimal") == "comma":
        notes["decimal_comma"] = True
    if raw.attrs.get("formula_columns"):
        notes["formula_columns"] = list(raw.attrs["formula_columns"])


def check_day_month(s: pd.Series, col: str, name: str, notes: dict) -> None:
    """Refuse a date column mixing day-first and month-first dates; note an ambiguous one.

    Raises:
        ShopcastError: ``io_mixed_date_formats`` naming the file, the column and
            one date of each kind.
    """
    kind, examples = day_month_order(s)
    if kind == "mixed":
        raise ShopcastError(
            "io_mixed_date_formats", file=name, column=col, first=examples[0], second=examples[1]
        )
    if kind == "ambiguous":
        read = parse_dates(pd.Series(examples))
        notes["dates_ambiguous"] = {
            "column": col,
            "value": examples[0],
            "read_as": read.iloc[0].strftime("%Y-%m-%d"),
        }


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
    if decimal_style(s) == "mixed":
        raise ShopcastError("io_mixed_decimals", file=name, column=col, **_decimal_examples(s))
    parsed = to_number(s)
    y = _finite(parsed, raw, s, notes, "target_nonfinite")
    blank = s.isna() | (
        s.astype(str).str.strip().isin(["", "-", "—"]) if s.dtype == object else False
    )
    unparseable = parsed.isna() & ~blank & ~bad_date
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


def _decimal_examples(s: pd.Series) -> dict:
    txt = s.dropna().astype(str)
    comma = txt[txt.str.contains(r"\d,\d{1,2}$|\.\d{3},", regex=True)]
    dot = txt[txt.str.contains(r"\d\.\d{1,2}$|,\d{3}\.", regex=True)]
    return {
        "comma": comma.iloc[0] if len(comma) else "",
        "dot": dot.iloc[0] if len(dot) else "",
    }


def _finite(y: pd.Series, raw: pd.DataFrame, s: pd.Series, notes: dict, key: str) -> pd.Series:
    """``inf``, ``-inf`` and absurd values (1e308) as missing, counted in ``notes[key]``."""
    bad = y.notna() & ~(y.abs() <= MAX_ABS_VALUE)
    if not bad.any():
        return y
    i = bad.idxmax()
    notes[key] = {"count": int(bad.sum()), "row": _row(raw, i), "value": str(s.at[i])[:40]}
    return y.mask(bad)


def driver_values(canon: str, s: pd.Series, notes: dict, rule: str | None = None) -> pd.Series:
    """A driver column as floats: discounts normalised, flags 0/1, other drivers as numbers."""
    kind = agg_rule(canon)
    if canon == "discount":
        out, used = normalize_discount(s, rule)
        notes["discount_rule"] = used
        return out
    out = to_flag(s) if kind == "max" else to_number(s)
    return out.mask(~(out.abs() <= MAX_ABS_VALUE))  # inf, 1e308: unknown, like a blank


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
        y = _finite(to_number(raw.loc[keep, c]), raw, raw[c], notes, "target_nonfinite")
        part = pd.DataFrame({WIDE_ID: str(c), DS: ds[keep], Y: y})
        parts.append(pd.concat([part, drv[keep]], axis=1))
    return pd.concat(parts, ignore_index=True), [WIDE_ID]
