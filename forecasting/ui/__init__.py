"""Streamlit glue: the only package that imports streamlit.

Pages call ``bootstrap(page)`` first, then the sections of their own view
(``views/<page>.py``); ``widgets`` holds the blocks several pages share, ``cache``
the cached library calls, ``state`` the session's keys and small settings.
"""

from __future__ import annotations

import os

# LightGBM's OpenMP threads spin while waiting; on a busy 2-core server that made
# fitting 5-8x slower (10 s instead of 1.3 s for the sample). Must be set before
# lightgbm is imported, hence here, at the top of the UI package.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from forecasting.ui.bootstrap import bootstrap, guard  # noqa: E402
from forecasting.ui.nav import PAGES, go  # noqa: E402

__all__ = ["PAGES", "bootstrap", "go", "guard"]
