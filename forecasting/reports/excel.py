"""The one Excel writer: every workbook Shopcast hands out goes through here.

Strings are written as strings (never as formulas, whatever they start with) and
text cells that a spreadsheet would evaluate are neutralised, so a SKU named
``=HYPERLINK(...)`` stays text in every export.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecasting.reports.safe import neutralise_frame

__all__ = ["sheet_name", "workbook_bytes"]


def workbook_bytes(
    sheets: Mapping[str, pd.DataFrame],
    *,
    labels: Mapping[str, str] | None = None,
    freeze_cols: int = 0,
) -> bytes:
    """An .xlsx workbook with one sheet per frame.

    Args:
        sheets: sheet title -> frame (titles are cleaned and made unique for Excel).
        labels: column renames applied to every sheet (e.g. translated headers).
        freeze_cols: leading columns kept visible when scrolling sideways.

    Returns:
        The workbook's bytes.
    """
    labels = labels or {}
    buf = io.BytesIO()
    used: set[str] = set()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(
        buf,
        engine="xlsxwriter",
        datetime_format="yyyy-mm-dd",
        date_format="yyyy-mm-dd",
        engine_kwargs={"options": options},
    ) as writer:
        for raw_name, frame in sheets.items():
            title = sheet_name(str(raw_name), used)
            out = _excel_ready(frame).rename(columns=lambda c: labels.get(c, c))
            out = neutralise_frame(out)
            out.to_excel(writer, sheet_name=title, index=False)
            ws = writer.sheets[title]
            ws.freeze_panes(1, freeze_cols)
            for j, c in enumerate(out.columns):
                ws.set_column(j, j, _width(str(c)))
    return buf.getvalue()


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones and no infinities."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]) and out[c].dt.tz is not None:
            out[c] = out[c].dt.tz_localize(None)
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].replace([np.inf, -np.inf], np.nan)
    return out


def _width(header: str) -> int:
    wide = any(ord(ch) > 0x2E80 for ch in header)  # CJK characters are two columns wide
    return min(40, max(10, len(header) * 2 if wide else len(header) + 2))


def sheet_name(name: str, used: set[str]) -> str:
    """``name`` as a valid, unique (within ``used``) Excel sheet title."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip() or "Sheet"
    clean = clean[:31]
    base, i = clean, 2
    while clean.lower() in used:
        suffix = f" ({i})"
        clean = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(clean.lower())
    return clean
