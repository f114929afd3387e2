"""Shopcast forecasting library.

Pure Python: no streamlit import outside ``forecasting.ui`` and no heavy
modelling library (tensorflow, prophet, statsforecast, lightgbm) at import time.
"""

from __future__ import annotations

from forecasting.errors import ShopcastError
from forecasting.schema import DS, ID, Y

__all__ = ["DS", "ID", "Y", "ShopcastError"]
__version__ = "0.1.0"
