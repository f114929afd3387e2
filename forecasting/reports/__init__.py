"""Files a user downloads or forwards: Excel workbooks, CSV and HTML, always inert.

- ``excel``: ``workbook_bytes`` (the one Excel writer), ``sheet_name``.
- ``safe``: ``neutralise``, ``neutralise_frame``, ``csv_bytes``, ``escape_html``.
- ``files``: ``output_format`` (a path checked before any work; the format from its
  extension), ``write_table`` (inert CSV or workbook), ``sibling``, ``check_rows``.
- ``html``: ``forecast_page`` (one page of forecast charts, plotly.js inlined once).
"""
