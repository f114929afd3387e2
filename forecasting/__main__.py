"""``python -m forecasting``."""

from __future__ import annotations

import sys

from forecasting.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
