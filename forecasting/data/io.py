"""Reading shop exports (CSV / Excel / Parquet, any common Chinese encoding) into the contract.

Three steps, each usable on its own:

1. :func:`read_table` — bytes to a raw frame. File type from magic bytes, CSV
   encoding (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) and delimiter sniffed.
   Nothing is ever unpickled: only CSV text, XLSX (openpyxl) and Parquet (pyarrow).
2. :func:`detect_mapping` — which column is the date, the target, the hierarchy
   ids and the drivers, from Chinese or English header names; any override wins.
3. :func:`load` — both, plus cleaning, into :class:`SalesData`, whose
   :meth:`SalesData.history` returns contract frames at any level and frequency.

Everything dropped or repaired while cleaning is counted in ``SalesData.notes``
so the warnings page can tell the user, rather than silently changing data.
"""

from __future__ import annotations

import csv
import io as _io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime as _datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, RESERVED, Y, infer_freq

__all__ = [
    "TOTAL",
    "WIDE_ID",
    "ColumnMapping",
    "SalesData",
    "detect_mapping",
    "load",
    "load_frame",
    "normalize_discount",
    "parse_dates",
    "read_future",
    "read_table",
    "to_flag",
    "to_number",
]

MAX_BYTES = 200_000_000
TOTAL = "total"
WIDE_ID = "series"  # id column of a wide file once melted (one series per source column)
LABEL_SEP = " / "  # joins hierarchy values when a level is not nested in the coarser one
MISSING_ID = "(missing)"
DRIVER_ORDER = ("price", "discount", "promo", "holiday", "school_holiday", "open")
FILLS = ("zero", "interpolate", "none")

# ----------------------------------------------------------------- header vocabulary
# Names are compared after _norm(): lower case, no spaces/underscores/punctuation.
_DATE_EXACT = {
    "date",
    "ds",
    "day",
    "time",
    "datetime",
    "dt",
    "timestamp",
    "week",
    "month",
    "period",
    "日期",
    "时间",
    "日",
    "周",
    "月",
    "月份",
    "年月",
    "统计日期",
    "下单日期",
}
_DATE_SUB = ("date", "time", "日期", "时间", "day", "月份")
_UNIT_EXACT = {
    "y",
    "销量",
    "数量",
    "件数",
    "销售量",
    "销售数量",
    "sales",
    "sale",
    "units",
    "unit",
    "qty",
    "quantity",
    "volume",
    "demand",
    "sold",
    "成交件数",
    "单量",
    "订单量",
}
_UNIT_SUB = ("销量", "数量", "件数", "sales", "sale", "units", "qty", "quantity", "sold")
_MONEY_EXACT = {
    "销售额",
    "gmv",
    "成交金额",
    "金额",
    "revenue",
    "amount",
    "营业额",
    "成交额",
    "支付金额",
    "turnover",
}
_MONEY_SUB = ("销售额", "gmv", "金额", "revenue", "amount", "营业额", "成交额", "turnover")
# Columns that are never a target, id or driver unless the user says so. Customers and
# visitors are *outcomes* measured on the day, not known in advance, so they cannot drive
# a forecast; day-of-week is derived from the date by the feature builder.
_EXCLUDE_SUB = {
    "not_known_in_advance": (
        "customer",
        "客流",
        "访客",
        "visitor",
        "traffic",
        "浏览",
        "uv",
        "pv",
        "comment",
        "评论",
        "评价",
        "收藏",
        "加购",
        "转化",
        "conversion",
        "库存",
        "stock",
        "inventory",
    ),
    "calendar": ("dayofweek", "weekday", "星期", "周几", "weekofyear"),
    "row_id": ("订单号", "订单编号", "orderid", "orderno", "备注", "remark", "note"),
}
# Driver names, checked in this order (a "促销价" is a price, not a promo flag).
_DRIVER_WORDS = (
    ("price", ("price", "价")),  # 价格, 单价, 售价, 折后价, 促销价... (but not 评价, see below)
    ("discount", ("discount", "折扣", "折")),
    ("school_holiday", ("schoolholiday", "学校假期")),
    ("holiday", ("holiday", "节假日", "假日", "节日", "假期")),
    ("promo", ("promo", "promotion", "促销", "活动", "campaign")),
    ("open", ("open", "isopen", "营业", "是否营业")),
)
_ID_ROLES = (  # role, name fragments; coarse-to-fine order is decided from the data
    (
        "store",
        (
            "store",
            "shop",
            "店铺",
            "店名",
            "门店",
            "商家",
            "seller",
            "渠道",
            "channel",
            "平台",
            "platform",
            "region",
            "地区",
            "城市",
            "city",
            "warehouse",
            "仓",
        ),
    ),
    ("category", ("category", "dept", "department", "品类", "类目", "类别", "分类", "family")),
    ("brand", ("brand", "品牌")),
    (
        "product",
        (
            "sku",
            "spu",
            "商品",
            "宝贝",
            "item",
            "product",
            "货号",
            "款号",
            "款式",
            "asin",
            "article",
            "条码",
            "barcode",
        ),
    ),
)
_CODE_LIKE = ("id", "sku", "编码", "编号", "货号", "code", "条码", "款号")
_GENERIC_ID = re.compile(r"(^|[^a-z])id$")
_CAMEL_ID = re.compile(r"[a-z](ID|Id)$")

# ----------------------------------------------------------------------- mapping


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


# ---------------------------------------------------------------------- reading


def read_table(
    source: Any, name: str | None = None, sheet: str | int | None = None, max_bytes: int = MAX_BYTES
) -> pd.DataFrame:
    """Read an upload into a raw frame, guessing its type, encoding and delimiter.

    Args:
        source: a path (str or Path), raw bytes, or a binary file-like object
            (e.g. Streamlit's ``UploadedFile``).
        name: file name used in messages (default: the path's or upload's name).
        sheet: Excel sheet name or 0-based index (default: the first non-empty one).
        max_bytes: refuse files (or zip members) larger than this.

    Returns:
        The table with header names stripped and numeric-looking text columns
        converted to numbers (codes with leading zeros such as ``00123`` stay
        text). ``attrs["source_name"]`` holds the file name and
        ``attrs["header_row"]`` the 0-based line of the header.

    Raises:
        ShopcastError: empty, too big, binary or unreadable files, naming the file.
    """
    data, name = _read_bytes(source, name, max_bytes)
    df, header_row = _table_from_bytes(data, name, sheet, max_bytes, depth=0)
    df = _tidy(df, name)
    df.attrs["source_name"] = name
    df.attrs["header_row"] = header_row
    return df


def _read_bytes(source: Any, name: str | None, max_bytes: int) -> tuple[bytes, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise ShopcastError("io_not_found", file=str(source))
        if path.stat().st_size > max_bytes:
            raise ShopcastError(
                "io_too_big", file=name, mb=_mb(path.stat().st_size), limit=_mb(max_bytes)
            )
        return path.read_bytes(), name
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), name or "upload"
    elif hasattr(source, "read"):
        name = name or Path(str(getattr(source, "name", "") or "upload")).name
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > max_bytes:
            raise ShopcastError("io_too_big", file=name, mb=_mb(size), limit=_mb(max_bytes))
        if hasattr(source, "seek"):
            try:  # Streamlit re-uses the same buffer across reruns
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(max_bytes + 1)
        if isinstance(data, str):  # a text-mode handle
            data = data.encode("utf-8")
    else:
        raise ShopcastError("io_bad_source", kind=type(source).__name__)
    if len(data) > max_bytes:
        raise ShopcastError("io_too_big", file=name, mb=_mb(len(data)), limit=_mb(max_bytes))
    return data, name


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f}"


def _table_from_bytes(
    data: bytes, name: str, sheet: str | int | None, max_bytes: int, depth: int
) -> tuple[pd.DataFrame, int]:
    if not data.strip():
        raise ShopcastError("io_empty", file=name)
    if data[:4] == b"PAR1":
        return _read_parquet(data, name), 0
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            names = zf.namelist()
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return _read_excel(data, name, sheet)
            members = [
                i
                for i in zf.infolist()
                if not i.is_dir()
                and not i.filename.startswith("__MACOSX")
                and not Path(i.filename).name.startswith(".")
            ]
            if len(members) != 1 or depth > 0:
                raise ShopcastError("io_zip_contents", file=name, n=len(members))
            member = members[0]
            if member.file_size > max_bytes:  # also guards against zip bombs
                raise ShopcastError(
                    "io_too_big",
                    file=f"{name}/{member.filename}",
                    mb=_mb(member.file_size),
                    limit=_mb(max_bytes),
                )
            inner = zf.read(member)
        return _table_from_bytes(inner, f"{name}/{member.filename}", sheet, max_bytes, depth + 1)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ShopcastError("io_old_excel", file=name)
    return _read_text(data, name)


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    try:  # pyarrow: the pandas metadata it restores is JSON, never a pickle
        df = pd.read_parquet(_io.BytesIO(data), engine="pyarrow")
    except Exception as exc:  # noqa: BLE001 — any pyarrow failure means "not readable"
        raise ShopcastError(
            "io_unreadable", file=name, kind="Parquet", detail=str(exc)[:120]
        ) from None
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object)
    return df


def _excel_engine() -> str:
    """calamine (Rust) reads a 33k-row sheet ~5x faster than openpyxl."""
    try:
        import python_calamine  # noqa: F401

        return "calamine"
    except ImportError:
        return "openpyxl"


def _read_excel(data: bytes, name: str, sheet: str | int | None) -> tuple[pd.DataFrame, int]:
    try:
        book = pd.ExcelFile(_io.BytesIO(data), engine=_excel_engine())
    except Exception as exc:  # noqa: BLE001
        raise ShopcastError(
            "io_unreadable", file=name, kind="Excel", detail=str(exc)[:120]
        ) from None
    sheets = list(book.sheet_names)
    if sheet is not None:
        if isinstance(sheet, int) and 0 <= sheet < len(sheets):
            chosen = [sheets[sheet]]
        elif str(sheet) in sheets:
            chosen = [str(sheet)]
        else:
            raise ShopcastError("io_sheet", file=name, sheet=sheet, sheets=", ".join(sheets))
    else:
        chosen = sheets
    for sh in chosen:  # first sheet with data: exports often start with a blank cover sheet
        raw = book.parse(sh, header=None, dtype=object)
        raw = raw.dropna(how="all").dropna(axis=1, how="all")
        if len(raw) >= 2:
            break
    else:
        raise ShopcastError("io_empty", file=name)
    # Reports often put a title and a date-range line above the header row.
    counts = raw.head(20).notna().sum(axis=1).to_numpy()
    hdr = int(np.argmax(counts >= 0.8 * counts.max()))
    header = [f"Unnamed: {j}" if pd.isna(v) else str(v) for j, v in enumerate(raw.iloc[hdr])]
    df = raw.iloc[hdr + 1 :].reset_index(drop=True)
    df.columns = _dedupe(header)
    return df.infer_objects(), int(raw.index[hdr])


def _read_text(data: bytes, name: str) -> tuple[pd.DataFrame, int]:
    head = data[:65536]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel "Unicode text" export
        text = _decode(data, "utf-16", name)
    else:
        if b"\x00" in head or head[:1] == b"\x80":  # binary: pickles, images, databases...
            raise ShopcastError("io_binary", file=name)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # GB18030 is a superset of GBK and GB2312, the usual back-office encodings.
            text = _decode(data, "gb18030", name)
    sample = text[:200_000]
    ctrl = sum(1 for ch in sample[:20_000] if ord(ch) < 32 and ch not in "\t\r\n")
    if ctrl > 0.01 * min(len(sample), 20_000):
        raise ShopcastError("io_binary", file=name)
    sep, skip = _sniff(sample)
    try:
        header = pd.read_csv(_io.StringIO(sample), sep=sep, skiprows=skip, nrows=0)
        # Codes such as SKU 00123 must keep their zeros: id-like columns stay text.
        as_text = {
            c: str
            for c in header.columns
            if _id_role(str(c)) is not None
            and _target_rank(str(c)) is None
            and _driver_name(str(c)) is None
        }
        df = pd.read_csv(
            _io.StringIO(text),
            sep=sep,
            skiprows=skip,
            dtype=as_text,
            skipinitialspace=True,
            low_memory=False,
        )
    except pd.errors.EmptyDataError:
        raise ShopcastError("io_empty", file=name) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ShopcastError(
            "io_parse", file=name, row=m.group(1) if m else "?", detail=str(exc)[:120]
        ) from None
    return df, skip


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ShopcastError("io_encoding", file=name) from None


def _sniff(sample: str) -> tuple[str, int]:
    """Delimiter (comma, tab, semicolon, pipe) and leading title lines to skip."""
    lines = [ln for ln in sample.splitlines()[:60] if ln.strip()]
    if len(lines) > 1 and len(sample) >= 200_000:
        lines = lines[:-1]  # the last line of a truncated sample may be cut in half
    best, best_score, best_widths = ",", (0.0, 0), [1] * len(lines)
    for sep in (",", "\t", ";", "|"):
        widths = [len(r) for r in csv.reader(lines, delimiter=sep)]
        if not widths:
            continue
        mode, n = Counter(widths).most_common(1)[0]
        score = (n / len(widths), mode)
        if mode >= 2 and score > best_score:
            best, best_score, best_widths = sep, score, widths
    skip = 0
    if best_score[1] >= 2:  # title lines above the header have a single field
        while skip < len(best_widths) - 1 and best_widths[skip] <= 1:
            skip += 1
    # blank lines were removed from `lines`: find the header's line number in the text
    seen = -1
    for i, raw_line in enumerate(sample.splitlines()):
        seen += bool(raw_line.strip())
        if seen == skip:
            return best, i
    return best, skip


def _tidy(df: pd.DataFrame, name: str) -> pd.DataFrame:
    df = df.dropna(how="all")
    if df.empty:
        raise ShopcastError("io_no_rows", file=name)
    df = df.dropna(axis=1, how="all").reset_index(drop=True)
    df.columns = _dedupe([str(c).strip().lstrip("\ufeff").strip() for c in df.columns])
    if df.shape[1] < 2:
        raise ShopcastError("io_one_column", file=name, columns=", ".join(df.columns[:3]))
    return df


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        out.append(n if k == 0 else f"{n}.{k}")
        seen[n] = k + 1
    return out


# ------------------------------------------------------------ value parsing helpers

_YMD = (
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)日?"
    r"(?:[\sT]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2}))?)?"
)
_XDY = (
    r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)"
    r"(?:[\sT]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2}))?)?"
)
_YMD8 = r"^\s*(\d{4})(\d{2})(\d{2})\s*$"
_YM = r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$"
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_MONTH_NAME = rf"(?i)\b{_MONTHS}[a-z]*\b.*\d{{4}}|\d{{4}}.*\b{_MONTHS}"


def parse_dates(values: pd.Series, excel_serial: bool = False) -> pd.Series:
    """Parse a column of dates; anything unparseable becomes ``NaT``.

    Understands datetimes (e.g. Excel date cells), ``2016-11-14``, ``2016/11/14``,
    ``2016.11.14``, ``2016年11月14日`` (optionally with a time), ``20161114`` (text
    or integer), ``2016-11`` / ``2016年11月`` (month), ``11/14/2016`` (month first
    unless a first field exceeds 12, then day first) and English month names.
    Timezones are dropped (local time kept). With ``excel_serial`` numbers such
    as 42688 are read as Excel serial days.

    Args:
        values: the raw column.
        excel_serial: accept Excel serial day numbers (only for date-named columns).

    Returns:
        A datetime64 series aligned with ``values``.
    """
    s = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(s):
        return _naive(s)
    if pd.api.types.is_bool_dtype(s):
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(s):
        return _dates_from_numbers(s.astype(float), excel_serial)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind in ("datetime", "datetime64", "date"):
        return _naive(pd.to_datetime(s, errors="coerce"))
    uniq = pd.unique(s.dropna())
    parsed = pd.Series(pd.NaT, index=range(len(uniq)), dtype="datetime64[ns]")
    is_dt = np.array([isinstance(u, _datetime | _date | pd.Timestamp) for u in uniq], bool)
    if is_dt.any():
        parsed[is_dt] = _naive(
            pd.Series(pd.to_datetime(list(uniq[is_dt]), errors="coerce"))
        ).to_numpy()
    text = pd.Series([str(u) for u in uniq], dtype=object)
    todo = ~is_dt
    for pattern, order in ((_YMD, "ymd"), (_YMD8, "ymd"), (_XDY, "xdy"), (_YM, "ym")):
        if not todo.any():
            break
        got = text[todo].str.extract(pattern)
        ok = got[0].notna()
        if not ok.any():
            continue
        got = got[ok].astype(float)
        if order == "ymd":
            y, m, d = got[0], got[1], got[2]
        elif order == "ym":
            y, m, d = got[0], got[1], pd.Series(1.0, index=got.index)
        else:  # month first (US exports) unless the data says day first
            dayfirst = bool((got[0] > 12).any())
            y, m, d = got[2], (got[1] if dayfirst else got[0]), (got[0] if dayfirst else got[1])
        parts = pd.DataFrame({"year": y, "month": m, "day": d})
        if got.shape[1] > 3:
            parts["hour"], parts["minute"] = got[3].fillna(0), got[4].fillna(0)
            parts["second"] = got[5].fillna(0)
        stamps = pd.to_datetime(parts, errors="coerce")
        idx = stamps.index.to_numpy()
        parsed.iloc[idx] = stamps.to_numpy()
        todo[idx] = False
    if todo.any():
        rest = text[todo]
        named = rest[rest.str.contains(_MONTH_NAME, regex=True)]
        if len(named):
            stamps = pd.to_datetime(named, errors="coerce", format="mixed")
            parsed.iloc[named.index.to_numpy()] = _naive(stamps).to_numpy()
    lookup = pd.Series(parsed.to_numpy(), index=pd.Index(uniq, dtype=object))
    out = s.map(lookup) if len(uniq) else pd.Series(pd.NaT, index=s.index)
    return pd.to_datetime(out, errors="coerce")


def _naive(s: pd.Series) -> pd.Series:
    s = pd.to_datetime(s, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s.astype("datetime64[ns]")


def _dates_from_numbers(v: pd.Series, excel_serial: bool) -> pd.Series:
    out = pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns]")
    whole = v.notna() & (v == v.round())
    ymd = whole & (v >= 19000101) & (v <= 21001231)
    if ymd.any() and ymd.sum() >= 0.5 * v.notna().sum():
        out[ymd] = pd.to_datetime(
            v[ymd].astype("int64").astype(str), format="%Y%m%d", errors="coerce"
        )
        return out
    serial = v.notna() & (v >= 20000) & (v <= 80000)  # 1954 .. 2119
    if excel_serial and serial.sum() >= 0.5 * v.notna().sum():
        out[serial] = pd.to_datetime(v[serial], unit="D", origin="1899-12-30")
    return out


def to_number(values: pd.Series) -> pd.Series:
    """Parse amounts written the way shop exports write them.

    ``"1,234"``, ``"¥12.5"``, ``"12.5元"``, ``"1.2万"`` (x10,000), ``"3亿"``,
    ``" 8 "`` become floats; blanks, ``"-"`` and text become NaN.
    """
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    direct = pd.to_numeric(s, errors="coerce")
    todo = direct.isna() & s.notna()
    if not todo.any():
        return direct.astype(float)
    txt = s[todo].astype(str).str.strip()
    mult = pd.Series(1.0, index=txt.index)
    mult[txt.str.endswith("万")] = 1e4
    mult[txt.str.endswith("亿")] = 1e8
    txt = txt.str.replace(r"[,，¥￥$元\s]|RMB|CNY|万$|亿$", "", regex=True)
    out = direct.astype(float)
    out[todo] = pd.to_numeric(txt, errors="coerce") * mult
    return out


_FALSE_WORDS = {
    "",
    "0",
    "0.0",
    "false",
    "f",
    "no",
    "n",
    "none",
    "nan",
    "null",
    "-",
    "—",
    "否",
    "无",
    "非促销",
    "未参加",
    "不参加",
    "not",
}


def to_flag(values: pd.Series) -> pd.Series:
    """Driver flags (promo, holiday, open) as floats.

    Numbers are kept (0/1, or an intensity); ``True``/``是``/activity names
    become 1; blanks, ``0``, ``false``, ``否``, ``无`` become 0. Mixed columns such as
    Rossmann's ``StateHoliday`` (``0``, ``"0"``, ``"a"``) become 0/1.
    """
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype(float).fillna(0.0)
    num = pd.to_numeric(s, errors="coerce")
    txt = s.astype(str).str.strip().str.lower()
    flag = (~txt.isin(_FALSE_WORDS) & s.notna()).astype(float)
    return num.where(num.notna(), flag).astype(float)


def normalize_discount(values: pd.Series, rule: str | None = None) -> tuple[pd.Series, str]:
    """Discounts as the *fraction off* the list price, in [0, 1].

    The rule is chosen per column, so one file is never read two ways:

    * text with ``折`` ("8折", "8.5折", "85折"): the Chinese convention of the share
      *paid* — 8折 = pay 80% = 0.2 off (two digits: 85折 = 0.15 off);
    * text with ``%`` ("20%"): percent off — 0.2;
    * plain numbers, any above 1: percent off — 20 -> 0.2 (``rule="percent"``);
    * plain numbers all within [0, 1] whose median is above 0.5: the share paid
      (8折 written as 0.8, so no discount is 1.0) — 0.8 -> 0.2 (``rule="paid"``);
    * otherwise plain numbers are already the fraction off — 0.2 -> 0.2
      (``rule="off"``).

    Args:
        values: the raw discount column.
        rule: force ``"percent"``, ``"paid"`` or ``"off"`` (e.g. the rule found in
            the history file, reused for the future file).

    Returns:
        (fraction off clipped to [0, 1] with blanks as 0, the rule used for plain numbers).
    """
    s = pd.Series(values)
    out = pd.Series(np.nan, index=s.index, dtype=float)
    plain = pd.Series(True, index=s.index)
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        txt = s.astype(str).str.strip()
        zhe = txt.str.extract(r"^(\d+(?:\.\d+)?)\s*折$")[0].astype(float)
        paid = zhe.where(zhe < 10, zhe / 10) / 10
        out[zhe.notna()] = 1 - paid[zhe.notna()]
        pct = txt.str.extract(r"^(\d+(?:\.\d+)?)\s*%$")[0].astype(float)
        out[pct.notna()] = pct[pct.notna()] / 100
        plain = zhe.isna() & pct.isna()
    nums = to_number(s[plain])
    if rule is None:
        valid = nums.dropna()
        if (valid > 1).any():
            rule = "percent"
        elif len(valid) and valid.median() > 0.5:
            rule = "paid"
        else:
            rule = "off"
    conv = {"percent": nums / 100, "paid": 1 - nums, "off": nums}[rule]
    out[plain] = conv
    return out.clip(0, 1).fillna(0.0), rule


# --------------------------------------------------------------------- detection


def _norm(name: Any) -> str:
    return re.sub(r"[\s_\-./()（）:：\[\]【】]+", "", str(name)).lower()


def _has(n: str, words: tuple[str, ...] | set[str]) -> bool:
    return any(w in n for w in words)


def _excluded(col: str) -> str | None:
    n = _norm(col)
    for reason, words in _EXCLUDE_SUB.items():
        if _has(n, words):
            return reason
    return None


def _target_rank(col: str) -> int | None:
    """0 unit exact, 1 unit partial, 2 money exact, 3 money partial, None = not a target name."""
    n = _norm(col)
    if _has(n, _MONEY_SUB) or n in _MONEY_EXACT:
        return 2 if n in _MONEY_EXACT else 3
    if n in _UNIT_EXACT:
        return 0
    if _has(n, _UNIT_SUB):
        return 1
    return None


def _id_role(col: str) -> str | None:
    n = _norm(col)
    for role, words in _ID_ROLES:
        if _has(n, words):
            return role
    raw = str(col).strip()
    if (
        n == "id"
        or _GENERIC_ID.search(raw.lower())
        or _CAMEL_ID.search(raw)
        or _has(n, ("编码", "编号"))
    ):
        return "product"
    return None


def _driver_name(col: str) -> str | None:
    n = _norm(col)
    for canon, words in _DRIVER_WORDS:
        if canon == "price" and ("评价" in n or "价值" in n):
            continue
        if canon == "open" and n not in words:  # "open" inside other words is not a flag
            continue
        if _has(n, words):
            return canon
    return None


def _sample(raw: pd.DataFrame, n: int = 5000) -> pd.DataFrame:
    if len(raw) <= n:
        return raw
    return raw.iloc[:: len(raw) // n + 1]


def _date_score(s: pd.Series, col: str) -> float:
    n = _norm(col)
    named = n in _DATE_EXACT or _has(n, _DATE_SUB)
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


def _detect_date(raw: pd.DataFrame, name: str) -> str:
    sample = _sample(raw)
    scores = {c: _date_score(sample[c], c) for c in raw.columns}
    best = max(scores, key=lambda c: scores[c])
    named = _norm(best) in _DATE_EXACT or _has(_norm(best), _DATE_SUB)
    if scores[best] - (0.3 if named else 0.0) < 0.5:
        raise ShopcastError("io_no_date_column", file=name, columns=_cols(raw))
    return best


def _numeric_share(s: pd.Series) -> float:
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
        canon = _driver_name(c)
        if canon and canon not in found and _target_rank(c) is None:
            found[canon] = c
    return found


def _detect_ids(raw: pd.DataFrame, candidates: list[str]) -> list[str]:
    sample = raw
    nrows = len(raw)
    roles: dict[str, list[str]] = {}
    for c in candidates:
        role = _id_role(c)
        if role is None or _target_rank(c) is not None:
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
        cols = sorted(cols, key=lambda c: (not _has(_norm(c), _CODE_LIKE), raw.columns.get_loc(c)))
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
        rank = _target_rank(c)
        if rank is not None and _numeric_share(_sample(raw)[c]) >= 0.5:
            ranked.append((rank, raw.columns.get_loc(c), c))
    if ranked:
        return min(ranked)[2]
    numeric = [
        c
        for c in candidates
        if _excluded(c) is None
        and _numeric_share(raw[c]) >= 0.8
        and _id_role(c) is None
        and _driver_name(c) is None
    ]
    if len(numeric) == 1:
        return numeric[0]
    raise ShopcastError("io_no_target_column", file=name, columns=_cols(raw))


def _cols(raw: pd.DataFrame, limit: int = 30) -> str:
    cols = [str(c) for c in raw.columns]
    return ", ".join(cols[:limit]) + (" ..." if len(cols) > limit else "")


def _resolve(raw: pd.DataFrame, col: Any, name: str) -> str:
    """Find an override column: exact name first, then ignoring case and spacing."""
    if col in raw.columns:
        return col
    matches = [c for c in raw.columns if _norm(c) == _norm(col)]
    if len(matches) == 1:
        return matches[0]
    raise ShopcastError("io_column_not_found", file=name, column=col, available=_cols(raw))


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
    date_col = _resolve(raw, date, name) if date else _detect_date(raw, name)
    used = {date_col}
    free = [c for c in raw.columns if c not in used]
    if drivers is not None:
        drv = {str(k): _resolve(raw, v, name) for k, v in drivers.items()}
    else:
        drv = _detect_drivers(raw, [c for c in free if _excluded(c) is None])
    used |= set(drv.values())
    tgt = _resolve(raw, target, name) if target else None
    if tgt:
        used.add(tgt)
    free = [c for c in raw.columns if c not in used and _excluded(c) is None]
    if ids is not None:
        id_cols = [_resolve(raw, c, name) for c in ([ids] if isinstance(ids, str) else ids)]
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
    _check_roles(mapping, name)
    return mapping


def _looks_wide(raw: pd.DataFrame, date_col: str, free: list[str]) -> bool:
    dates = raw[date_col].dropna()
    if dates.duplicated().any():
        return False
    sample = _sample(raw)
    numeric = [c for c in free if _numeric_share(sample[c]) >= 0.8]
    not_target = [c for c in numeric if _norm(c) not in _UNIT_EXACT | _MONEY_EXACT]
    return len(not_target) >= 2


def _check_roles(m: ColumnMapping, name: str) -> None:
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


# ------------------------------------------------------------------ frequencies

_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_RANK = {"D": 0, "W": 1, "MS": 2}
_MONDAY0 = np.datetime64("1970-01-05", "D")  # a Monday: origin of week numbers


def _norm_freq(freq: str) -> str:
    f = str(freq).strip().upper()
    if f == "D":
        return "D"
    if f == "W":  # weeks start on Monday for Chinese shop calendars
        return "W-MON"
    if f.startswith("W-") and f[2:] in _WEEKDAYS:
        return f
    if f in ("M", "MS", "ME"):
        return "MS"
    raise ShopcastError("io_bad_freq", freq=freq)


def _base(freq: str) -> str:
    return "W" if freq.startswith("W") else freq


def _period_index(ds: pd.Series | np.ndarray, freq: str) -> np.ndarray:
    """Integer period numbers (days, weeks or months since 1970) of grid dates."""
    d = np.asarray(ds, dtype="datetime64[D]")
    if freq == "D":
        return d.astype(np.int64)
    if freq == "MS":
        return d.astype("datetime64[M]").astype(np.int64)
    k = _WEEKDAYS.index(freq[2:])
    return (d - (_MONDAY0 + k)).astype(np.int64) // 7


def _from_index(idx: np.ndarray, freq: str) -> np.ndarray:
    if freq == "D":
        return idx.astype("datetime64[D]").astype("datetime64[ns]")
    if freq == "MS":
        return idx.astype("datetime64[M]").astype("datetime64[ns]")
    k = _WEEKDAYS.index(freq[2:])
    return (_MONDAY0 + k + 7 * idx.astype("timedelta64[D]")).astype("datetime64[ns]")


def _snap(ds: pd.Series, freq: str) -> pd.Series:
    """Move dates onto the grid: weeks labelled by their first day (the anchor weekday),
    months by their first day."""
    snapped = _from_index(_period_index(ds.to_numpy(), freq), freq)
    return pd.Series(snapped, index=ds.index)


# ------------------------------------------------------------------- cleaning


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
            _resolve(raw, mapping.date, name),
            _resolve(raw, mapping.target, name) if mapping.target else "",
            [_resolve(raw, c, name) for c in mapping.ids],
            {k: _resolve(raw, v, name) for k, v in mapping.drivers.items()},
            mapping.layout,
        )
        _check_roles(mapping, name)
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
        frame = pd.DataFrame({c: _id_values(raw[c], notes, c) for c in id_cols}, index=raw.index)
        frame[DS] = ds
        frame[Y] = _target_values(raw, m.target, bad, notes, name)
        for canon, col in m.drivers.items():
            frame[canon] = _driver_values(canon, raw[col], notes)
        frame = frame[~bad]
    drivers = [c for c in frame.columns if c not in (*id_cols, DS, Y)]

    try:
        freq = infer_freq(frame[DS])
    except ShopcastError as exc:
        key = "io_too_few_dates" if exc.key == "too_few_dates" else "io_unknown_freq"
        raise ShopcastError(key, file=name, **exc.params) from None
    snapped = _snap(frame[DS], freq)
    moved = int((snapped != frame[DS]).sum())
    if moved:
        notes["dates_snapped"] = moved
    frame[DS] = snapped

    n_before = len(frame)
    keys = [*id_cols, DS]
    if frame.duplicated(keys).any():
        frame = _aggregate(frame, keys, drivers)
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
        notes["ignored_columns"] = {c: _excluded(c) or "unused" for c in unused}
    return SalesData(frame=frame, mapping=m, freq=freq, name=name, notes=notes)


def _id_values(s: pd.Series, notes: dict, col: str) -> pd.Series:
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


def _driver_values(canon: str, s: pd.Series, notes: dict, rule: str | None = None) -> pd.Series:
    kind = _agg_rule(canon)
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
        if c not in skip and _excluded(c) is None and _numeric_share(raw[c]) >= 0.5
    ]
    if not cols:
        raise ShopcastError("io_wide_no_series", file=name, columns=_cols(raw))
    notes["wide_series"] = cols
    keep = ~ds.isna()
    drv = pd.DataFrame(
        {k: _driver_values(k, raw[c], notes) for k, c in m.drivers.items()}, index=raw.index
    )
    parts = []
    for c in cols:
        part = pd.DataFrame({WIDE_ID: str(c), DS: ds[keep], Y: to_number(raw.loc[keep, c])})
        parts.append(pd.concat([part, drv[keep]], axis=1))
    return pd.concat(parts, ignore_index=True), [WIDE_ID]


# ------------------------------------------------------------------ aggregation


def _agg_rule(driver: str) -> str:
    """How a driver combines over products or days: price -> y-weighted mean,
    flags (promo, holiday, open, school_holiday) -> max, anything else -> mean."""
    d = driver.lower()
    if "price" in d:
        return "wmean"
    if any(w in d for w in ("promo", "holiday", "open", "flag")):
        return "max"
    return "mean"


def _aggregate(df: pd.DataFrame, keys: list[str], drivers: list[str]) -> pd.DataFrame:
    """Sum y (all-missing stays missing) and combine drivers by :func:`_agg_rule`."""
    work = df
    extra: dict[str, pd.Series] = {}
    has_y = Y in df.columns
    for d in drivers:
        if _agg_rule(d) == "wmean" and has_y:
            w = df[Y].clip(lower=0).where(df[d].notna(), 0.0).fillna(0.0)
            extra[f"__w_{d}"] = w
            extra[f"__pw_{d}"] = df[d].fillna(0.0) * w
    if extra:
        work = df.assign(**extra)
    g = work.groupby(keys, sort=True, observed=True)
    out = pd.DataFrame(index=g.size().index)
    if has_y:
        out[Y] = g[Y].sum(min_count=1)
    for d in drivers:
        rule = _agg_rule(d)
        if rule == "max":
            out[d] = g[d].max()
        else:
            out[d] = g[d].mean()
            if rule == "wmean" and has_y:
                den = g[f"__w_{d}"].sum()
                out[d] = (g[f"__pw_{d}"].sum() / den).where(den > 0, out[d])
    return out.reset_index()


def _to_coarser(
    df: pd.DataFrame,
    have: str,
    want: str,
    span: tuple[pd.Timestamp, pd.Timestamp],
) -> tuple[pd.DataFrame, list[str]]:
    """Relabel rows with their ``want`` period and drop periods only partly covered by
    the data (a 3-day "week" at the end would look like a collapse in sales)."""
    lo, hi = span
    ds = df[DS]
    if _base(have) == "W" and want == "MS":
        # a week labelled d covers d..d+6; split it between two months by days
        start = ds.to_numpy().astype("datetime64[D]")
        month = start.astype("datetime64[M]")
        next_month = (start + 6).astype("datetime64[M]")
        days_first = np.where(
            next_month > month, (next_month.astype("datetime64[D]") - start).astype(int), 7
        )
        w1 = days_first / 7.0
        a = df.assign(**{DS: month.astype("datetime64[ns]")})
        split = w1 < 1
        b = df[split].assign(**{DS: next_month[split].astype("datetime64[ns]")})
        if Y in df.columns:
            a[Y] = df[Y] * w1
            b[Y] = df.loc[split, Y] * (1 - w1[split])
        out = pd.concat([a, b], ignore_index=True)
        cover_hi = hi + pd.Timedelta(days=6)
    else:
        out = df.assign(**{DS: _snap(ds, want)})
        cover_hi = hi
    labels = pd.DatetimeIndex(out[DS].unique())
    if want == "MS":
        ends = labels + pd.offsets.MonthEnd(0)
    else:
        ends = labels + pd.Timedelta(days=6)
    partial = labels[(labels < lo) | (ends > cover_hi)]
    if len(partial):
        out = out[~out[DS].isin(partial)]
    return out, [d.strftime("%Y-%m-%d") for d in partial.sort_values()]


def _fill_grid(
    df: pd.DataFrame, freq: str, fill: str, drivers: list[str]
) -> tuple[pd.DataFrame, int, int]:
    """Make every series regular from its first to its last date (``df`` sorted by id, ds).

    Returns the filled frame, the number of rows added and the number of missing
    target values (added or blank) that were filled.
    """
    idx = _period_index(df[DS].to_numpy(), freq)
    codes, uniques = pd.factorize(df[ID], sort=False)
    counts = np.bincount(codes, minlength=len(uniques))
    first_row = np.concatenate([[0], np.cumsum(counts)[:-1]])
    lo = idx[first_row]
    hi = idx[first_row + counts - 1]
    lengths = hi - lo + 1
    total = int(lengths.sum())
    added = total - len(df)
    if added:
        grid_start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        pos = np.repeat(grid_start - lo, counts) + idx
        out = pd.DataFrame({ID: np.repeat(uniques.to_numpy(dtype=object), lengths)})
        out[DS] = _from_index(
            np.repeat(lo, lengths) + np.arange(total) - np.repeat(grid_start, lengths), freq
        )
        for c in [Y, *drivers]:
            col = np.full(total, np.nan)
            col[pos] = df[c].to_numpy(dtype=float)
            out[c] = col
        gcodes = np.repeat(np.arange(len(uniques)), lengths)
    else:
        out = df.reset_index(drop=True).copy()
        gcodes = codes
    n_missing = int(out[Y].isna().sum())
    if fill == "zero":
        out[Y] = out[Y].fillna(0.0)
    elif fill == "interpolate" and n_missing:
        out[Y] = _interpolate(out[Y], gcodes)
    for d in drivers:
        if out[d].isna().any():
            if _agg_rule(d) == "wmean":  # a price holds until it changes
                grouped = out[d].groupby(gcodes)
                out[d] = grouped.ffill()
                out[d] = out[d].groupby(gcodes).bfill()
            else:  # nothing recorded = no promotion, no discount, no holiday
                out[d] = out[d].fillna(0.0)
    return out, added, (n_missing - added) if fill != "none" else 0


def _interpolate(y: pd.Series, gcodes: np.ndarray) -> pd.Series:
    """Linear interpolation inside each series (never across two series)."""
    have = y.notna()
    inside = have.groupby(gcodes).cummax() & have[::-1].groupby(gcodes[::-1]).cummax()[::-1]
    lin = y.interpolate(limit_area="inside")
    out = y.where(have, lin.where(inside))
    # blanks at a series' edges: nearest value of the same series
    return out.groupby(gcodes).ffill().groupby(gcodes).bfill()


# -------------------------------------------------------------------- SalesData


@dataclass
class SalesData:
    """A cleaned sales file at its finest level, ready to cut into histories.

    Attributes:
        frame: long frame: id columns (source names, values as text), ``ds``,
            ``y`` (float, NaN where the target was blank) and drivers
            (canonical names), one row per series and date, sorted.
        mapping: the column mapping used.
        freq: ``"D"``, ``"W-FRI"``... or ``"MS"``.
        name: the file name, for messages.
        notes: what cleaning did (rows dropped, duplicates merged, ...), for the
            warnings page (see ``forecasting.data.quality.load_findings``).
    """

    frame: pd.DataFrame
    mapping: ColumnMapping
    freq: str
    name: str
    notes: dict = field(default_factory=dict)
    _labels: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def ids(self) -> list[str]:
        """Id columns of :attr:`frame`, coarse to fine."""
        return [WIDE_ID] if self.mapping.layout == "wide" else list(self.mapping.ids)

    @property
    def drivers(self) -> list[str]:
        """Driver columns (canonical names) of :attr:`frame`."""
        return [c for c in self.frame.columns if c not in (*self.ids, DS, Y)]

    def levels(self) -> list[str]:
        """Aggregation levels, coarse to fine: ``["total", *ids]``."""
        return [TOTAL, *self.ids]

    def series_ids(self, level: str | None = None) -> list[str]:
        """The ``unique_id`` values at ``level`` (default: finest), sorted."""
        return sorted(pd.unique(self._uid(self._level(level))))

    def history(
        self,
        level: str | None = None,
        freq: str | None = None,
        fill: str = "zero",
        series: list[str] | None = None,
    ) -> pd.DataFrame:
        """Contract frame ``unique_id, ds, y, drivers`` at a level and frequency.

        Args:
            level: one of :meth:`levels` (default: the finest). ``unique_id`` is the
                level's value (e.g. the category), or coarser values joined with
                ``" / "`` when the level is not nested in them (Walmart's Dept in
                Store: ``"1 / 3"``); ``"total"`` for the total.
            freq: the data's own frequency (default) or a coarser one: D -> W-MON
                (weeks labelled by their first day, Monday) / W-XXX / MS, W -> MS
                (weeks split between months by days). Periods the data covers only
                partly at either end are dropped and listed in
                ``attrs["partial_periods_dropped"]``.
            fill: gaps (dates missing inside a series' span) and blank targets:
                ``"zero"`` (no sales recorded = 0, right for shop exports),
                ``"interpolate"`` (linear, inside each series) or ``"none"``
                (rows added with y = NaN, so the frequency stays regular).
                Drivers on added rows: price carries forward, flags/discounts 0.
            series: keep only these ``unique_id`` values.

        Aggregation: y summed; price averaged weighted by y (plain mean when y is 0);
        discount averaged; promo/holiday/open take the max.

        Returns:
            Sorted frame passing ``schema.validate_history``. ``attrs`` holds
            ``gaps_filled`` (rows added), ``missing_filled`` (blank targets filled),
            ``fill``, ``level``, ``freq`` and ``partial_periods_dropped``.

        Raises:
            ShopcastError: unknown level/series/fill, or a finer frequency.
        """
        level = self._level(level)
        if fill not in FILLS:
            raise ShopcastError("io_bad_fill", fill=fill, choices=", ".join(FILLS))
        want = self._target_freq(freq)
        drivers = self.drivers
        df = self.frame[[DS, Y, *drivers]].copy()
        df.insert(0, ID, self._uid(level).to_numpy())
        if series is not None:
            wanted = [str(s) for s in series]
            missing = sorted(set(wanted) - set(pd.unique(df[ID])))
            if missing:
                raise ShopcastError("io_unknown_series", series=", ".join(missing[:5]), level=level)
            df = df[df[ID].isin(wanted)]
        partial: list[str] = []
        resampled = want != self.freq
        if resampled:
            span = (self.frame[DS].min(), self.frame[DS].max())
            df, partial = _to_coarser(df, self.freq, want, span)
            if df.empty:
                raise ShopcastError("io_no_complete_period", file=self.name, freq=want)
        if resampled or level != self.levels()[-1]:
            df = _aggregate(df, [ID, DS], drivers)
        else:
            df = df.sort_values([ID, DS], kind="stable")
        out, added, filled = _fill_grid(df, want, fill, drivers)
        out = out[[ID, DS, Y, *drivers]]
        out[ID] = out[ID].astype(str)
        out[Y] = out[Y].astype(float)
        out = out.sort_values([ID, DS], kind="stable").reset_index(drop=True)
        out.attrs = {
            "gaps_filled": added,
            "missing_filled": filled,
            "fill": fill,
            "level": level,
            "freq": want,
            "partial_periods_dropped": partial,
        }
        return out

    # ---------------------------------------------------------------- helpers
    def _level(self, level: str | None) -> str:
        levels = self.levels()
        if level is None:
            return levels[-1]
        if level not in levels:
            raise ShopcastError("io_unknown_level", level=level, choices=", ".join(levels))
        return level

    def _target_freq(self, freq: str | None) -> str:
        if freq is None:
            return self.freq
        want = _norm_freq(freq)
        if want == self.freq:
            return want
        if _RANK[_base(want)] <= _RANK[_base(self.freq)]:
            raise ShopcastError("io_freq_finer", have=self.freq, want=want)
        return want

    def _nested(self, level: str) -> bool:
        """True when each value of ``level`` sits in exactly one coarser combination."""
        k = self.ids.index(level)
        if k == 0:
            return True
        cols = self.ids[: k + 1]
        return len(self.frame[cols].drop_duplicates()) == self.frame[level].nunique()

    def _uid(self, level: str) -> pd.Series:
        if level in self._labels:
            return self._labels[level]
        if level == TOTAL:
            uid = pd.Series(TOTAL, index=self.frame.index, dtype=object)
        elif self._nested(level):
            uid = self.frame[level].astype(str)
        else:
            cols = self.ids[: self.ids.index(level) + 1]
            uid = _joined(self.frame[cols])
        self._labels[level] = uid
        return uid


def _joined(frame: pd.DataFrame) -> pd.Series:
    """``"a / b"`` labels for each row's combination of values (built once per combination)."""
    combo = np.zeros(len(frame), dtype=np.int64)
    for c in frame.columns:
        codes, uniques = pd.factorize(frame[c])
        combo = combo * (len(uniques) + 1) + codes
    codes, _ = pd.factorize(combo)
    _, first = np.unique(codes, return_index=True)
    labels = [LABEL_SEP.join(map(str, row)) for row in frame.iloc[first].itertuples(index=False)]
    return pd.Series(np.asarray(labels, dtype=object)[codes], index=frame.index, dtype=object)


# ----------------------------------------------------------------- future file


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
        ``dates_dropped`` and ``unknown_series`` counts.

    Raises:
        ShopcastError: unreadable file, no date column, some but not all id columns.
    """
    raw = read_table(source, name=name)
    fname = raw.attrs["source_name"]
    level = data._level(level)
    want = data._target_freq(freq)
    m = data.mapping
    date_col = _find(raw, [m.date, "ds", "date", "日期"])
    if date_col is None:
        try:
            date_col = _detect_date(raw, fname)
        except ShopcastError:
            raise ShopcastError(
                "io_column_not_found", file=fname, column=m.date, available=_cols(raw)
            ) from None
    ds = parse_dates(raw[date_col], excel_serial=True)
    bad = ds.isna()
    notes: dict[str, Any] = {"discount_rule": data.notes.get("discount_rule")}
    df = pd.DataFrame({DS: ds.dt.normalize()}, index=raw.index)
    for canon in data.drivers:
        col = _find(raw, [m.drivers.get(canon, canon), canon])
        if col is not None:
            df[canon] = _driver_values(
                canon,
                raw[col],
                notes,
                rule=notes.get("discount_rule") if canon == "discount" else None,
            )
    drivers = [c for c in data.drivers if c in df.columns]
    # which id columns identify a series at this level
    ids = [] if level == TOTAL else data.ids[: data.ids.index(level) + 1]
    need = [level] if level != TOTAL and data._nested(level) else ids
    present = {c: _find(raw, [c]) for c in need}
    df = df[~bad]
    if need and all(v is not None for v in present.values()):
        vals = pd.DataFrame({c: _id_values(raw.loc[~bad, present[c]], {}, c) for c in need})
        df.insert(0, ID, vals[need[0]] if len(need) == 1 else _joined(vals))
        broadcast = False
    elif need and any(v is not None for v in present.values()):
        miss = next(c for c, v in present.items() if v is None)
        raise ShopcastError("io_column_not_found", file=fname, column=miss, available=_cols(raw))
    else:
        df.insert(0, ID, "__all__")
        broadcast = True
    df[DS] = _snap(df[DS], want)
    out = _aggregate(df, [ID, DS], drivers)
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
    return out


def _find(raw: pd.DataFrame, names: list[str]) -> str | None:
    for n in names:
        if not n:
            continue
        if n in raw.columns:
            return n
        hits = [c for c in raw.columns if _norm(c) == _norm(n)]
        if len(hits) == 1:
            return hits[0]
    return None
