"""Files a user downloads or forwards: Excel workbooks, CSV and HTML, always inert.

- ``excel``: ``workbook_bytes`` (the one Excel writer), ``sheet_name``.
- ``safe``: ``neutralise``, ``neutralise_frame``, ``csv_bytes``, ``escape_html``.
"""
