"""Value parsing: dates, amounts, flags and discounts written the way shop exports write them."""

from __future__ import annotations

from datetime import date as _date
from datetime import datetime as _datetime

import numpy as np
import pandas as pd

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
            dayfirst = _day_first(got[0], got[1])
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


def _day_first(first: pd.Series, second: pd.Series) -> bool:
    """Whether ``01/02/2024``-style dates put the day first.

    A first field above 12 says day first, a second one month first; when no field
    tells, a constant first field with a varying second one is a day (monthly
    ``01/03/2024``), anything else is read month first and flagged by
    :func:`day_month_order`.
    """
    if (first > 12).any():
        return True
    if (second > 12).any():
        return False
    return bool(first.nunique() == 1 and second.nunique() > 1)


def day_month_order(values: pd.Series) -> tuple[str | None, list[str]]:
    """How the ``dd/mm/yyyy`` or ``mm/dd/yyyy`` text dates of a column are ordered.

    Args:
        values: the raw date column.

    Returns:
        ``(kind, examples)``: kind is ``None`` (no such dates, or both readings
        agree), ``"dayfirst"`` or ``"monthfirst"`` (the data says which),
        ``"mixed"`` (some dates can only be day first and others only month
        first: the column cannot be read safely; examples holds one of each) or
        ``"ambiguous"`` (no field above 12: examples holds one date whose two
        readings differ; :func:`parse_dates` reads it as :func:`_day_first` says).
    """
    s = pd.Series(values)
    if s.dtype != object:
        return None, []
    text = pd.Series([str(u) for u in pd.unique(s.dropna()) if isinstance(u, str)], dtype=object)
    got = text.str.extract(_XDY)
    ok = got[0].notna()
    if not ok.any():
        return None, []
    text, got = text[ok], got[ok].astype(float)
    a, b = got[0], got[1]
    if (a > 12).any() and (b > 12).any():
        return "mixed", [str(text[(a > 12).idxmax()]), str(text[(b > 12).idxmax()])]
    if (a > 12).any():
        return "dayfirst", []
    if (b > 12).any():
        return "monthfirst", []
    differ = a != b
    if not differ.any():
        return None, []
    return "ambiguous", [str(text[differ.idxmax()])]


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


_CURRENCY = r"[¥￥$元\s]|RMB|CNY|万$|亿$"
_DIGITS = r"[+-]?[\d.,]*\d[\d.,]*"
_COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"


def decimal_style(values: pd.Series) -> str | None:
    """Whether a column writes decimals with a point (``1,234.5``) or a comma (``1.234,5``).

    Each text value votes when it can only be one of them: both marks (the last is
    the decimal), a mark used twice (a thousands separator) or one mark not
    followed by exactly three digits (``2,5``, ``1.25``). ``1,234`` alone does not vote.

    Args:
        values: the raw column.

    Returns:
        ``"dot"``, ``"comma"``, ``"mixed"`` (values vote both ways) or ``None``
        (numbers, or no text value tells).
    """
    s = pd.Series(values)
    if s.dtype != object:
        return None
    txt = pd.Series([u for u in pd.unique(s.dropna()) if isinstance(u, str)], dtype=object)
    txt = txt.str.replace(_CURRENCY, "", regex=True).str.replace("，", "", regex=False)
    txt = txt[txt.str.fullmatch(_DIGITS)]
    if txt.empty:
        return None
    dots, commas = txt.str.count(r"\."), txt.str.count(",")
    both = (dots > 0) & (commas > 0)
    comma_last = txt.str.rfind(",") > txt.str.rfind(".")
    only_c, only_d = (commas > 0) & (dots == 0), (dots > 0) & (commas == 0)
    comma = (both & comma_last) | (only_d & (dots > 1))
    comma |= only_c & (commas == 1) & ~txt.str.contains(r",\d{3}$")
    dot = (both & ~comma_last) | (only_c & (commas > 1))
    dot |= only_d & (dots == 1) & ~txt.str.contains(r"\.\d{3}$")
    if comma.any() and dot.any():
        return "mixed"
    return "comma" if comma.any() else "dot" if dot.any() else None


def to_number(values: pd.Series, decimal: str | None = None) -> pd.Series:
    """Parse amounts written the way shop exports write them.

    ``"1,234"``, ``"¥12.5"``, ``"12.5元"``, ``"1.2万"`` (x10,000), ``"3亿"``,
    ``" 8 "`` become floats; blanks, ``"-"`` and text become NaN. A column that
    writes decimal commas (``"2.100,5"``, ``"900,0"``; see :func:`decimal_style`)
    is read that way: 2100.5 and 900.

    Args:
        values: the raw column.
        decimal: ``"comma"`` or ``"dot"`` to force the decimal mark (default: the
            column's own, a point when it does not tell).
    """
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    if (decimal or decimal_style(s)) == "comma":
        return _comma_numbers(s)
    direct = pd.to_numeric(s, errors="coerce")
    todo = direct.isna() & s.notna()
    if not todo.any():
        return direct.astype(float)
    txt = s[todo].astype(str).str.strip()
    mult = _multiplier(txt)
    txt = txt.str.replace(r"[,，¥￥$元\s]|RMB|CNY|万$|亿$", "", regex=True)
    out = direct.astype(float)
    out[todo] = pd.to_numeric(txt, errors="coerce") * mult
    return out


def _multiplier(txt: pd.Series) -> pd.Series:
    mult = pd.Series(1.0, index=txt.index)
    mult[txt.str.endswith("万")] = 1e4
    mult[txt.str.endswith("亿")] = 1e8
    return mult


def _comma_numbers(s: pd.Series) -> pd.Series:
    """Text written with a decimal comma and thousands points; other cells as they are."""
    out = pd.Series(np.nan, index=s.index, dtype=float)
    is_text = s.map(lambda v: isinstance(v, str))
    others = s[~is_text & s.notna()]
    if len(others):
        out[others.index] = pd.to_numeric(others, errors="coerce")
    txt = s[is_text].str.strip()
    mult = _multiplier(txt)
    txt = txt.str.replace(_CURRENCY, "", regex=True).str.replace("，", "", regex=False)
    ok = txt.str.fullmatch(_COMMA_NUMBER)
    plain = txt[ok].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    out[plain.index] = pd.to_numeric(plain, errors="coerce") * mult[plain.index]
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
