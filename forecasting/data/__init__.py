"""Reading shop exports (CSV / Excel / Parquet, any common Chinese encoding) into the contract.

Three steps, each usable on its own:

1. :func:`read_table` — bytes to a raw frame (:mod:`~forecasting.data.readers`).
2. :func:`detect_mapping` — which column is the date, the target, the hierarchy
   ids and the drivers, from Chinese or English header names; any override wins
   (:mod:`~forecasting.data.mapping`, names in :mod:`~forecasting.data.vocabulary`).
3. :func:`load` — both, plus cleaning (:mod:`~forecasting.data.cleaning`), into
   :class:`SalesData` (:mod:`~forecasting.data.sales`), whose
   :meth:`SalesData.history` returns contract frames at any level and frequency.

Values are parsed by :mod:`~forecasting.data.parsing`, date grids handled by
:mod:`~forecasting.data.frequency`, rows combined by :mod:`~forecasting.data.aggregation`,
and plans of future drivers read by :func:`read_future` (:mod:`~forecasting.data.plan`).
Data checks live in :mod:`~forecasting.data.quality`, the festival calendar in
:mod:`~forecasting.data.festivals` and the seeded sample shop in
:mod:`~forecasting.data.sample`; import those modules directly.
"""

from __future__ import annotations

from forecasting.data.cleaning import load, load_frame
from forecasting.data.mapping import ColumnMapping, detect_mapping
from forecasting.data.parsing import (
    day_month_order,
    decimal_style,
    normalize_discount,
    parse_dates,
    to_flag,
    to_number,
)
from forecasting.data.plan import read_future
from forecasting.data.readers import MAX_BYTES, MAX_UPLOAD_MB, read_table
from forecasting.data.sales import FILLS, SalesData
from forecasting.data.vocabulary import DRIVER_ORDER, LABEL_SEP, MISSING_ID, TOTAL, WIDE_ID

__all__ = [
    "DRIVER_ORDER",
    "FILLS",
    "LABEL_SEP",
    "MAX_BYTES",
    "MAX_UPLOAD_MB",
    "MISSING_ID",
    "TOTAL",
    "WIDE_ID",
    "ColumnMapping",
    "SalesData",
    "day_month_order",
    "decimal_style",
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
