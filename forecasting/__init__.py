"""Shopcast forecasting library.

Pure Python: no streamlit import outside ``forecasting.ui`` and no heavy
modelling library (tensorflow, prophet, statsforecast, lightgbm) at import time.
"""

from __future__ import annotations

import os

# LightGBM's OpenMP threads spin while waiting; on a shared 2-core box that made
# fit/predict 5-8x slower. Must be set before lightgbm is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, Y

__all__ = ["DS", "ID", "Y", "ShopcastError"]
__version__ = "0.1.0"
