"""Bytes to a raw frame: file type from magic bytes, CSV encoding and delimiter sniffed.

Nothing is ever unpickled: only CSV text, XLSX (openpyxl or calamine) and Parquet
(pyarrow) are read.
"""

from __future__ import annotations

import csv
import io as _io
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting.data.vocabulary import driver_name, id_role, target_rank
from forecasting.errors import ShopcastError

MAX_BYTES = 200_000_000


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
            if id_role(str(c)) is not None
            and target_rank(str(c)) is None
            and driver_name(str(c)) is None
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
