"""Files a user downloads or forwards: Excel workbooks, CSV and HTML, always inert."""
