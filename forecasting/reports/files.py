"""Writing a table to the file a user named: the format follows the extension.

``output_format`` checks a path *before* any work (a folder, a missing parent
folder, an unwritable place, an unknown extension each give one clear
ShopcastError), and ``write_table`` writes inert CSV (``safe.csv_bytes``) or an
inert workbook (``excel.workbook_bytes``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from forecasting.errors import ShopcastError
from forecasting.reports.excel import workbook_bytes
from forecasting.reports.safe import csv_bytes

__all__ = [
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "check_rows",
    "check_writable",
    "output_format",
    "sibling",
    "write_bytes",
    "write_table",
]

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".html": "html", ".pdf": "pdf"}
EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
DATE_FORMAT = "%Y-%m-%d"


def output_format(path: str | Path, allowed: Sequence[str] = ("csv", "xlsx")) -> str:
    """The format ``path`` asks for, after checking it can be written (nothing is created).

    Args:
        path: the output file a user named.
        allowed: formats this output can take (``csv``, ``xlsx``, ``html``).

    Returns:
        One of ``allowed``.

    Raises:
        ShopcastError: ``out_is_folder``, ``out_format`` (unknown extension),
            ``out_no_folder`` (the parent folder is missing or not a folder) or
            ``out_not_writable``.
    """
    text = str(path)
    p = Path(path)
    if p.is_dir() or text.endswith(("/", os.sep)):
        raise ShopcastError("out_is_folder", file=text)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt not in allowed:
        choices = ", ".join(f".{a}" for a in allowed)
        raise ShopcastError("out_format", file=text, ext=p.suffix or "-", allowed=choices)
    parent = p.parent
    if not parent.is_dir():
        raise ShopcastError("out_no_folder", file=text, folder=str(parent))
    if p.exists() and not os.access(p, os.W_OK):
        raise ShopcastError("out_not_writable", file=text, detail="read-only file")
    check_writable(parent, text)
    return fmt


def check_writable(folder: str | Path, what: str | Path) -> None:
    """Refuse (``out_not_writable``, naming ``what``) a folder that takes no new file.

    Creates an unnamed temporary file there (O_TMPFILE where supported), which is the
    only test that also holds for root, read-only mounts and special file systems.
    """
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ShopcastError("out_not_writable", file=str(what), detail=exc.strerror) from None


def sibling(path: str | Path, suffix: str) -> Path:
    """``s.csv`` + ``kpis`` -> ``s_kpis.csv`` (same folder and format)."""
    p = Path(path)
    return p.with_name(f"{p.stem}_{suffix}{p.suffix}")


def check_rows(n_rows: int, fmt: str, path: str | Path) -> None:
    """Refuse an Excel output that would not fit in one sheet (before the work)."""
    if fmt == "xlsx" and n_rows > EXCEL_MAX_ROWS:
        raise ShopcastError("out_too_many_rows", file=str(path), rows=n_rows, most=EXCEL_MAX_ROWS)


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str, sheet: str = "data") -> Path:
    """Write ``frame`` as inert CSV (UTF-8 with BOM) or an inert one-sheet workbook.

    Raises:
        ShopcastError: ``out_too_many_rows`` (Excel), ``out_not_writable``.
    """
    if fmt == "xlsx":
        check_rows(len(frame), fmt, path)
        data = workbook_bytes({sheet: frame})
    else:
        data = csv_bytes(frame, date_format=DATE_FORMAT)
    return write_bytes(data, path)


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path``; an OS failure becomes one clear ShopcastError."""
    p = Path(path)
    try:
        p.write_bytes(data)
    except OSError as exc:
        raise ShopcastError("out_not_writable", file=str(p), detail=exc.strerror) from None
    return p
