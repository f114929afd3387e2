"""Making data-derived text inert in files and pages (OWASP CSV-injection rule)."""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["csv_bytes", "escape_html", "neutralise", "neutralise_frame"]

# A spreadsheet evaluates a cell that starts with one of these (tab/CR too).
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would evaluate, prefixed with ``'``; others unchanged.

    Numbers are not text and stay as they are, so ``-3`` in a numeric column is kept.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_LEAD):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers are inert."""
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype | pd.StringDtype):
            out[c] = col.astype(object).map(neutralise)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame, **kwargs) -> bytes:
    """``frame`` as inert CSV in UTF-8 with BOM (so Excel shows Chinese correctly)."""
    return neutralise_frame(frame).to_csv(index=False, **kwargs).encode("utf-8-sig")


def escape_html(text: object) -> str:
    """Data-derived text for HTML (titles, labels): no markup survives."""
    return html.escape(str(text), quote=True)
