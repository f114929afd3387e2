"""Bytes to a raw frame: file type from magic bytes, CSV encoding and delimiter sniffed.

Nothing is ever unpickled: only CSV text, XLSX (openpyxl or calamine) and Parquet
(pyarrow) are read.
"""

from __future__ import annotations

import csv
import io as _io
import json
import os
import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.data.parsing import decimal_style, parse_dates, to_number
from forecasting.data.vocabulary import date_named, driver_name, id_role, target_rank
from forecasting.errors import ShopcastError

# One limit for uploads and for what they unpack to. The app's uploader refuses bigger
# files (.streamlit/config.toml server.maxUploadSize, in MiB, must agree: a test checks);
# a zip may unpack to no more than the limit either, so zipping a CSV shortens the upload,
# never raises the limit. 200 MiB holds a 1,000-SKU x 3-year daily export (62 MiB as CSV,
# 11 MiB zipped, 5 MiB as Parquet) three times over, and about as many rows as the date
# grid budget (5,000,000 series x periods) allows anyway.
MAX_UPLOAD_MB = 200
MAX_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# A machine meant for bigger catalogues raises the file limit with SHOPCAST_MAX_FILE_MB
# (MiB; e.g. 1000 for a 10,000-SKU x 3-year CSV of 630 MB), together with
# SHOPCAST_GRID_BUDGET; the app's uploader also needs Streamlit's server.maxUploadSize.
MAX_FILE_MB_ENV = "SHOPCAST_MAX_FILE_MB"
# Parquet is compressed too: a file may hold at most as many cells (rows x columns) as
# the limit at 8 bytes a cell, checked from its footer before anything is decoded.
MAX_CELLS = MAX_BYTES // 8
MAX_RATIO = 200  # a member unpacking to over 200x its packed size (and over 1 MB) is a bomb
XLSX_EXPANSION = 4  # a workbook's XML may unpack to 4x the limit (XML is verbose)


def file_limit() -> int:
    """``MAX_BYTES``, or the operator's ``SHOPCAST_MAX_FILE_MB`` (a positive integer, MiB)."""
    raw = os.environ.get(MAX_FILE_MB_ENV, "").replace("_", "").strip()
    return int(raw) * 1024 * 1024 if raw.isdigit() and int(raw) > 0 else MAX_BYTES


def read_table(
    source: Any,
    name: str | None = None,
    sheet: str | int | None = None,
    max_bytes: int | None = None,
) -> pd.DataFrame:
    """Read an upload into a raw frame, guessing its type, encoding and delimiter.

    Args:
        source: a path (str or Path), raw bytes, or a binary file-like object
            (e.g. Streamlit's ``UploadedFile``).
        name: file name used in messages (default: the path's or upload's name).
        sheet: Excel sheet name or 0-based index (default: the first sheet that
            holds a table, i.e. 2+ rows and 2+ columns: cover sheets are skipped).
        max_bytes: refuse files larger than this, and zips that unpack to more
            (default :func:`file_limit`; Parquet: at most ``max_bytes / 8`` cells).

    Returns:
        The table with header names stripped and numeric-looking text columns
        converted to numbers (codes with leading zeros such as ``00123`` stay
        text; ``;``/tab files written with decimal commas, ``2.100,5``, are read
        as such). ``attrs`` holds ``source_name`` (the file name), ``header_row``
        (0-based line of the header) and, when they apply, ``sheets`` and
        ``sheet`` (every sheet of a workbook and the one read: a sheet picker
        should offer ``sheets`` and preselect ``sheet``), ``decimal``
        (``"comma"``) and ``formula_columns`` (columns of formulas without
        saved results, left out).

    Raises:
        ShopcastError: empty, too big, binary, damaged (``io_corrupt``) or
            unreadable files; zip bombs, nested zips; a workbook without a table
            (``io_no_table``, ``io_sheet_no_table``, listing the sheets); a target
            column of uncalculated formulas (``io_formulas_no_values``); a file
            without a header row (``io_no_header``); JSON or web pages. Each names
            the file.
    """
    max_bytes = file_limit() if max_bytes is None else max_bytes
    data, name = _read_bytes(source, name, max_bytes)
    df, header_row = _table_from_bytes(data, name, sheet, max_bytes, depth=0)
    attrs = dict(df.attrs)
    df = _tidy(df, name)
    _refuse_headerless(df, name)
    df.attrs.update(attrs)
    df.attrs["source_name"] = name
    df.attrs["header_row"] = header_row
    return df


def _refuse_headerless(df: pd.DataFrame, name: str) -> None:
    """A file without a header row: its first data row became the header.

    Told by the header cells themselves: one reads as a date and one as a
    number, while none is a known column name (日期, 销量, SKU...).
    """
    cells = pd.Series([re.sub(r"\.\d+$", "", str(c)) for c in df.columns], dtype=object)
    if any(date_named(c) or target_rank(c) is not None or id_role(c) is not None for c in cells):
        return
    dates = parse_dates(cells).notna()
    numbers = to_number(cells).notna() & ~dates
    if dates.any() and numbers.any() and (dates | numbers).sum() >= len(cells) / 2:
        raise ShopcastError("io_no_header", file=name, first=", ".join(cells.head(6)))


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
    return f"{n / 2**20:.0f}"  # MiB, the unit of Streamlit's maxUploadSize


def _table_from_bytes(
    data: bytes, name: str, sheet: str | int | None, max_bytes: int, depth: int
) -> tuple[pd.DataFrame, int]:
    if not data.strip():
        raise ShopcastError("io_empty", file=name)
    if data[:4] == b"PAR1":
        return _read_parquet(data, name, max_bytes // 8), 0
    if data[:4] == b"PK\x03\x04":
        try:
            return _read_zip(data, name, sheet, max_bytes, depth)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise ShopcastError("io_corrupt", file=name, kind=_zip_kind(name)) from exc
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ShopcastError("io_old_excel", file=name)
    return _read_text(data, name)


def _zip_kind(name: str) -> str:
    return "Excel" if name.lower().endswith((".xlsx", ".xlsm")) else "zip"


def _read_zip(
    data: bytes, name: str, sheet: str | int | None, max_bytes: int, depth: int
) -> tuple[pd.DataFrame, int]:
    """A workbook, or a zip of exactly one table; sizes checked before anything is unpacked."""
    with zipfile.ZipFile(_io.BytesIO(data)) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            _check_sizes(infos, name, XLSX_EXPANSION * max_bytes)
            return _read_excel(data, name, sheet)
        if depth > 0:  # a zip inside a zip: refused before unpacking it
            raise ShopcastError("io_nested_zip", file=name)
        members = [
            i
            for i in infos
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX")
            and not Path(i.filename).name.startswith(".")
        ]
        if len(members) != 1:
            raise ShopcastError("io_zip_contents", file=name, n=len(members))
        member = members[0]
        inner_name = f"{name}/{member.filename}"
        if member.filename.lower().endswith(".zip"):
            raise ShopcastError("io_nested_zip", file=name)
        _check_sizes([member], name, max_bytes)
        with zf.open(member) as fh:  # never more than the limit, whatever the header says
            inner = fh.read(max_bytes + 1)
        if len(inner) > max_bytes:
            raise ShopcastError(
                "io_too_big", file=inner_name, mb=_mb(len(inner)), limit=_mb(max_bytes)
            )
    return _table_from_bytes(inner, inner_name, sheet, max_bytes, depth=1)


def _check_sizes(infos: list[zipfile.ZipInfo], name: str, limit: int) -> None:
    """Refuse archives whose members would unpack past ``limit`` or at a bomb's ratio."""
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise ShopcastError("io_unzipped_too_big", file=name, mb=_mb(total), limit=_mb(limit))
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise ShopcastError(
                "io_zip_bomb", file=name, member=i.filename, ratio=i.file_size // i.compress_size
            )


def _read_parquet(data: bytes, name: str, max_cells: int = MAX_CELLS) -> pd.DataFrame:
    try:  # pyarrow: the pandas metadata it restores is JSON, never a pickle
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(_io.BytesIO(data)).metadata
        rows, cols = int(meta.num_rows), int(meta.num_columns)
        if rows * cols > max_cells:  # before decoding: a small file can hold a huge table
            raise ShopcastError(
                "io_parquet_too_big",
                file=name,
                rows=f"{rows:,}",
                cols=cols,
                cells=f"{rows * cols:,}",
                limit=f"{max_cells:,}",
            )
        df = pd.read_parquet(_io.BytesIO(data), engine="pyarrow")
    except ShopcastError:
        raise
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
        sheets = [str(sh) for sh in book.sheet_names]
        chosen, raw = _first_table(book, sheets, name, sheet)
    except ShopcastError:
        raise
    except Exception as exc:  # noqa: BLE001 — any reader failure means "damaged file"
        raise ShopcastError(
            "io_unreadable", file=name, kind="Excel", detail=str(exc)[:120]
        ) from None
    # Reports often put a title and a date-range line above the header row.
    counts = raw.head(20).notna().sum(axis=1).to_numpy()
    hdr = int(np.argmax(counts >= 0.8 * counts.max()))
    header = [f"Unnamed: {j}" if pd.isna(v) else str(v) for j, v in enumerate(raw.iloc[hdr])]
    df = raw.iloc[hdr + 1 :].reset_index(drop=True)
    df.columns = _dedupe(header)
    df = df.infer_objects()
    empty = [c for c in df.columns if df[c].isna().all() and not c.startswith("Unnamed: ")]
    if empty and _has_formulas(data):
        if any(target_rank(c) is not None or driver_name(c) is not None for c in empty):
            raise ShopcastError(
                "io_formulas_no_values", file=name, sheet=chosen, columns=", ".join(empty)
            )
        df.attrs["formula_columns"] = empty
    df.attrs["sheets"], df.attrs["sheet"] = sheets, chosen
    return df, int(raw.index[hdr])


def _first_table(
    book: pd.ExcelFile, sheets: list[str], name: str, sheet: str | int | None
) -> tuple[str, pd.DataFrame]:
    """The chosen sheet, or else the first that holds a table (2+ rows and 2+ columns)."""
    if sheet is not None:
        if isinstance(sheet, int) and 0 <= sheet < len(sheets):
            chosen = [sheets[sheet]]
        elif str(sheet) in sheets:
            chosen = [str(sheet)]
        else:
            raise ShopcastError("io_sheet", file=name, sheet=sheet, sheets=", ".join(sheets))
    else:
        chosen = sheets
    for sh in chosen:  # exports often start with a cover or a notes sheet
        raw = book.parse(sh, header=None, dtype=object)
        raw = raw.dropna(how="all").dropna(axis=1, how="all")
        if len(raw) >= 2 and raw.shape[1] >= 2:
            return sh, raw
    if sheet is not None:
        raise ShopcastError(
            "io_sheet_no_table", file=name, sheet=chosen[0], sheets=", ".join(sheets)
        )
    raise ShopcastError("io_no_table", file=name, sheets=", ".join(sheets))


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (checked only for empty columns)."""
    with zipfile.ZipFile(_io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                if _FORMULA.search(zf.read(info)):
                    return True
    return False


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
    start = sample.lstrip("\ufeff \t\r\n")[:200].lower()
    if start.startswith(("<!doctype", "<html", "<?xml", "<table", "<body", "<div")):
        raise ShopcastError("io_markup", file=name)
    if start.startswith(("{", "[")) and _is_json(text):
        raise ShopcastError("io_json", file=name)
    sep, skip = _sniff(sample)
    try:
        header = pd.read_csv(_io.StringIO(sample), sep=sep, skiprows=skip, nrows=0)
        comma = sep != "," and _decimal_comma(sample, sep, skip)
        # Codes such as SKU 00123 must keep their zeros: id-like columns stay text.
        # With decimal commas every column is read as text: pandas would read the
        # thousands point of "2.100" as a decimal point.
        as_text: Any = {
            c: str
            for c in header.columns
            if id_role(str(c)) is not None
            and target_rank(str(c)) is None
            and driver_name(str(c)) is None
        }
        df = pd.read_csv(
            _io.StringIO(text),
            sep=sep,
            skiprows=skip,
            dtype=str if comma else as_text,
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
    if comma:
        df = _comma_columns(df, set(as_text))
    return df, skip


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _decimal_comma(sample: str, sep: str, skip: int) -> bool:
    """Whether a ``;``/tab-separated text writes decimals with a comma (``2.100,0``)."""
    lines = [ln for ln in sample.splitlines()[skip + 1 : skip + 2001] if ln.strip()]
    fields = [f for row in csv.reader(lines, delimiter=sep) for f in row]
    return decimal_style(pd.Series(fields, dtype=object)) == "comma"


def _comma_columns(df: pd.DataFrame, keep_text: set) -> pd.DataFrame:
    """Columns that are all numbers written with decimal commas, as floats."""
    df.attrs["decimal"] = "comma"
    for c in df.columns:
        if c in keep_text:
            continue
        col = df[c]
        nums = to_number(col, decimal="comma")
        filled = col.notna() & col.astype(str).str.strip().ne("")
        if filled.any() and nums[filled].notna().all():
            df[c] = nums
    return df


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
    empty_rows = _empty_rows(df)
    if empty_rows.all():
        raise ShopcastError("io_no_rows", file=name)
    if empty_rows.any():
        df = df[~empty_rows]
    keep = [j for j in range(df.shape[1]) if _has_value(df.iloc[:, j])]  # by position:
    if len(keep) < df.shape[1]:  # two columns may share a name
        df = df.iloc[:, keep]
    df = df.reset_index(drop=True)
    df.columns = _dedupe([str(c).strip().lstrip("\ufeff").strip() for c in df.columns])
    if df.shape[1] < 2:
        raise ShopcastError("io_one_column", file=name, columns=", ".join(df.columns[:3]))
    return df


def _empty_rows(df: pd.DataFrame) -> np.ndarray:
    """Rows with no value at all, without copying the frame (``dropna`` copies every
    column of a million-row upload even when nothing is dropped).

    Numeric columns first (cheap); text columns are only checked on rows still empty.
    """
    empty = np.ones(len(df), dtype=bool)
    numeric_first = sorted(
        range(df.shape[1]), key=lambda j: not pd.api.types.is_numeric_dtype(df.dtypes.iloc[j])
    )
    for j in numeric_first:
        if not empty.any():
            break
        col = df.iloc[:, j]
        idx = np.flatnonzero(empty)
        empty[idx] = col.iloc[idx].isna().to_numpy()
    return empty


def _has_value(col: pd.Series) -> bool:
    """Whether a column holds any value (the head is checked first: usually enough)."""
    return bool(col.head(1000).notna().any() or col.notna().any())


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        out.append(n if k == 0 else f"{n}.{k}")
        seen[n] = k + 1
    return out
