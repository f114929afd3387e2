"""Which column is the date, the target, the hierarchy ids and the drivers.

:func:`detect_mapping` guesses from Chinese or English header names and the values;
any override given wins. :class:`ColumnMapping` records the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.data.parsing import parse_dates, to_number
from forecasting.data.vocabulary import (
    WIDE_ID,
    code_like,
    date_named,
    driver_name,
    excluded_reason,
    id_role,
    norm_name,
    plain_target_name,
    target_rank,
)
from forecasting.errors import ShopcastError
from forecasting.schema import RESERVED


@dataclass
class ColumnMapping:
    """Which source column plays which role.

    Attributes:
        date: source column holding dates.
        target: source column holding the quantity to forecast (units or GMV).
            Empty for a wide file, whose series are its numeric columns.
        ids: hierarchy columns, coarse to fine (e.g. ``["品类", "商品"]``);
            ``[]`` means one series called ``"total"``.
        drivers: canonical driver name to source column, e.g. ``{"price": "价格"}``.
        layout: ``"long"`` (one row per series and date) or ``"wide"`` (one
            column per series; ``ids`` ignored).
    """

    date: str
    target: str
    ids: list[str] = field(default_factory=list)
    drivers: dict[str, str] = field(default_factory=dict)
    layout: str = "long"

    def to_dict(self) -> dict:
        """Plain JSON-able dict (for saving a mapping next to a model)."""
        return {
            "date": self.date,
            "target": self.target,
            "ids": list(self.ids),
            "drivers": dict(self.drivers),
            "layout": self.layout,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ColumnMapping:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        layout = str(d.get("layout") or "long")
        if layout not in ("long", "wide"):
            raise ShopcastError("io_bad_layout", layout=layout)
        return cls(
            date=str(d["date"]),
            target=str(d.get("target") or ""),
            ids=[str(c) for c in d.get("ids") or []],
            drivers={str(k): str(v) for k, v in (d.get("drivers") or {}).items()},
            layout=layout,
        )

    def columns(self) -> list[str]:
        """Every source column the mapping uses."""
        cols = [self.date, *([self.target] if self.target else []), *self.ids]
        return cols + list(self.drivers.values())


def _sample(raw: pd.DataFrame, n: int = 5000) -> pd.DataFrame:
    if len(raw) <= n:
        return raw
    return raw.iloc[:: len(raw) // n + 1]


def _date_score(s: pd.Series, col: str) -> float:
    named = date_named(col)
    if pd.api.types.is_bool_dtype(s):
        return 0.0
    if (
        pd.api.types.is_numeric_dtype(s)
        and not pd.api.types.is_datetime64_any_dtype(s)
        and not named
    ):
        # numbers count as dates only as YYYYMMDD (amounts would otherwise look like serials)
        ok = parse_dates(s, excel_serial=False).notna().mean()
        return float(ok) if ok >= 0.9 else 0.0
    ok = float(parse_dates(s, excel_serial=named).notna().mean())
    return ok + (0.3 if named else 0.0)


def detect_date(raw: pd.DataFrame, name: str) -> str:
    """The column that holds dates (names and values both count).

    Raises:
        ShopcastError: no column parses as dates for at least half its rows.
    """
    sample = _sample(raw)
    scores = {c: _date_score(sample[c], c) for c in raw.columns}
    best = max(scores, key=lambda c: scores[c])
    named = date_named(best)
    if scores[best] - (0.3 if named else 0.0) < 0.5:
        raise ShopcastError("io_no_date_column", file=name, columns=column_list(raw))
    return best


def numeric_share(s: pd.Series) -> float:
    """Share of non-blank values that read as numbers (0 for booleans)."""
    if pd.api.types.is_bool_dtype(s):
        return 0.0
    nonnull = s.dropna()
    if nonnull.empty:
        return 0.0
    if pd.api.types.is_numeric_dtype(s):
        return 1.0
    return float(to_number(nonnull).notna().mean())


def _detect_drivers(raw: pd.DataFrame, candidates: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for c in candidates:
        canon = driver_name(c)
        if canon and canon not in found and target_rank(c) is None:
            found[canon] = c
    return found


def _detect_ids(raw: pd.DataFrame, candidates: list[str]) -> list[str]:
    sample = raw
    nrows = len(raw)
    roles: dict[str, list[str]] = {}
    for c in candidates:
        role = id_role(c)
        if role is None or target_rank(c) is not None:
            continue
        s = sample[c]
        if pd.api.types.is_float_dtype(s) and not (s.dropna() == s.dropna().round()).all():
            continue  # amounts are not identifiers
        nu = s.nunique()
        if nu < 2 or (nu == nrows and nrows > 50):  # constant, or a row number
            continue
        roles.setdefault(role, []).append(c)
    chosen: list[str] = []
    for role, cols in roles.items():
        cols = sorted(cols, key=lambda c: (not code_like(c), raw.columns.get_loc(c)))
        if role == "product":  # one product key: a code and a title name the same thing
            chosen.append(cols[0])
            continue
        for c in cols:  # keep nested levels (一级类目/二级类目), drop 1:1 duplicates
            if not any(_one_to_one(raw, c, k) for k in chosen):
                chosen.append(c)
    nunique = {c: raw[c].nunique() for c in chosen}
    return sorted(chosen, key=lambda c: (nunique[c], raw.columns.get_loc(c)))[:4]


def _one_to_one(raw: pd.DataFrame, a: str, b: str) -> bool:
    pair = len(raw[[a, b]].drop_duplicates())
    return min(raw[a].nunique(), raw[b].nunique()) >= 0.95 * pair


def _detect_target(raw: pd.DataFrame, candidates: list[str], name: str) -> str:
    ranked = []
    for c in candidates:
        rank = target_rank(c)
        if rank is not None and numeric_share(_sample(raw)[c]) >= 0.5:
            ranked.append((rank, raw.columns.get_loc(c), c))
    if ranked:
        return min(ranked)[2]
    numeric = [
        c
        for c in candidates
        if excluded_reason(c) is None
        and numeric_share(raw[c]) >= 0.8
        and id_role(c) is None
        and driver_name(c) is None
    ]
    if len(numeric) == 1:
        return numeric[0]
    raise ShopcastError("io_no_target_column", file=name, columns=column_list(raw))


def column_list(raw: pd.DataFrame, limit: int = 30) -> str:
    """The columns of ``raw`` for a message, at most ``limit`` of them."""
    cols = [str(c) for c in raw.columns]
    return ", ".join(cols[:limit]) + (" ..." if len(cols) > limit else "")


def resolve_column(raw: pd.DataFrame, col: Any, name: str) -> str:
    """Find an override column: exact name first, then ignoring case and spacing."""
    if col in raw.columns:
        return col
    matches = [c for c in raw.columns if norm_name(c) == norm_name(col)]
    if len(matches) == 1:
        return matches[0]
    raise ShopcastError("io_column_not_found", file=name, column=col, available=column_list(raw))


def detect_mapping(
    raw: pd.DataFrame,
    date: str | None = None,
    target: str | None = None,
    ids: list[str] | str | None = None,
    drivers: dict[str, str] | None = None,
    layout: str | None = None,
    *,
    name: str | None = None,
) -> ColumnMapping:
    """Guess which column is which; every argument given overrides the guess.

    Rules (checked in this order):

    * **date**: the column parseable as dates (see :func:`parse_dates`) for most
      rows; date-like names (日期, 时间, date, update_time...) win ties.
    * **drivers** by name: ``price`` (价格/单价/售价/price), ``discount``
      (折扣/discount, normalised by :func:`normalize_discount` to the fraction
      off: 0.8 read as 8折 = 0.2 off, 20 as 20% = 0.2, 0.2 as 0.2),
      ``promo`` (促销/活动/promo), ``holiday`` (节假日/IsHoliday/StateHoliday),
      ``school_holiday`` (SchoolHoliday), ``open`` (营业/Open).
      Columns measured on the day and unknown in advance (customers, 访客, 评论,
      库存...) and day-of-week are never drivers: a forecast could not use them.
    * **ids**: text or integer columns named like stores (店铺/店名/store/shop),
      categories (品类/类目/Dept/category), brands or products (商品/SKU/宝贝/id/
      item); one product column is kept (a code beats a title); ordered coarse to
      fine by their number of distinct values.
    * **target**: numeric columns named like units (销量/数量/件数/sales/units/qty)
      are preferred over money (销售额/GMV/成交金额/revenue); a lone unnamed numeric
      column is used when nothing matches.
    * **layout**: ``"wide"`` when there is no id column, each date appears once and
      at least two numeric columns are not plain target names (日期, 口红, 面霜...);
      every such column is then one series.

    Args:
        raw: the frame from :func:`read_table`.
        date, target: source column names.
        ids: hierarchy columns coarse to fine (``[]`` = one total series).
        drivers: canonical name -> source column (``{}`` = no drivers).
        layout: ``"long"`` or ``"wide"``.
        name: file name for messages (default ``raw.attrs["source_name"]``).

    Raises:
        ShopcastError: an override names a missing column, a column is given two
            roles, or no date / target column can be found.
    """
    name = name or raw.attrs.get("source_name", "data")
    if layout is not None and layout not in ("long", "wide"):
        raise ShopcastError("io_bad_layout", layout=layout)
    date_col = resolve_column(raw, date, name) if date else detect_date(raw, name)
    used = {date_col}
    free = [c for c in raw.columns if c not in used]
    if drivers is not None:
        drv = {str(k): resolve_column(raw, v, name) for k, v in drivers.items()}
    else:
        drv = _detect_drivers(raw, [c for c in free if excluded_reason(c) is None])
    used |= set(drv.values())
    tgt = resolve_column(raw, target, name) if target else None
    if tgt:
        used.add(tgt)
    free = [c for c in raw.columns if c not in used and excluded_reason(c) is None]
    if ids is not None:
        id_cols = [resolve_column(raw, c, name) for c in ([ids] if isinstance(ids, str) else ids)]
    else:
        id_cols = _detect_ids(raw, free)
    if layout is None:
        layout = "long"
        if ids is None and tgt is None and not id_cols:
            layout = "wide" if _looks_wide(raw, date_col, free) else "long"
    if layout == "wide":
        mapping = ColumnMapping(date_col, tgt or "", [], drv, "wide")
    else:
        if tgt is None:
            tgt = _detect_target(raw, [c for c in free if c not in id_cols], name)
        mapping = ColumnMapping(date_col, tgt, id_cols, drv, "long")
    check_roles(mapping, name)
    return mapping


def _looks_wide(raw: pd.DataFrame, date_col: str, free: list[str]) -> bool:
    dates = raw[date_col].dropna()
    if dates.duplicated().any():
        return False
    sample = _sample(raw)
    numeric = [c for c in free if numeric_share(sample[c]) >= 0.8]
    not_target = [c for c in numeric if not plain_target_name(c)]
    return len(not_target) >= 2


def check_roles(m: ColumnMapping, name: str) -> None:
    """Refuse a mapping that gives one column two roles or uses a reserved name.

    Raises:
        ShopcastError: ``io_mapping_conflict`` naming the column and its roles.
    """
    seen: dict[str, str] = {}
    roles = (
        [("date", m.date), ("target", m.target)]
        + [("id", c) for c in m.ids]
        + [(f"driver:{k}", c) for k, c in m.drivers.items()]
    )
    for role, col in roles:
        if not col:
            continue
        if col in seen:
            raise ShopcastError(
                "io_mapping_conflict", file=name, column=col, roles=f"{seen[col]}, {role}"
            )
        seen[col] = role
    clash = (set(m.drivers) | set(m.ids)) & (RESERVED | {WIDE_ID})
    clash |= set(m.drivers) & set(m.ids)
    if clash:
        col = sorted(clash)[0]
        raise ShopcastError("io_mapping_conflict", file=name, column=col, roles="reserved name")
