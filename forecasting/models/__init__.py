"""Lazy model registry: names map to modules, imported only when used.

``import forecasting.models`` imports no modelling library; ``create("prophet")``
imports prophet at that moment.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from forecasting.errors import ShopcastError

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

# name -> (module, class). Order is the order shown to users.
REGISTRY: dict[str, tuple[str, str]] = {
    "seasonal_naive": ("forecasting.models.naive", "SeasonalNaive"),
    "ets": ("forecasting.models.stats", "ETS"),
    "arima": ("forecasting.models.stats", "ARIMA"),
    "prophet": ("forecasting.models.prophet_model", "ProphetModel"),
    "lightgbm": ("forecasting.models.gbm", "LightGBMModel"),
    "mlp": ("forecasting.models.neural", "MLPModel"),
    "lstm": ("forecasting.models.neural", "LSTMModel"),
    "transformer": ("forecasting.models.neural", "TransformerModel"),
    "ensemble": ("forecasting.models.ensemble", "Ensemble"),
    "auto": ("forecasting.models.ensemble", "AutoSelect"),
}

# Which library each model needs (lets the UI explain without importing it).
LIBRARY: dict[str, str] = {
    "seasonal_naive": "numpy",
    "ets": "statsforecast",
    "arima": "statsforecast",
    "prophet": "prophet",
    "lightgbm": "lightgbm",
    "mlp": "tensorflow",
    "lstm": "tensorflow",
    "transformer": "tensorflow",
    "ensemble": "backtest of members",
    "auto": "backtest of members",
}
TENSORFLOW_MODELS = ("mlp", "lstm", "transformer")
DEFAULT_MODELS = ("seasonal_naive", "ets", "lightgbm")


def available() -> list[str]:
    """Registered model names, in display order."""
    return list(REGISTRY)


def get_class(name: str) -> type[Forecaster]:
    """Import and return the class behind ``name``."""
    if name not in REGISTRY:
        raise ShopcastError("unknown_model", model=name, choices=", ".join(REGISTRY))
    module, cls = REGISTRY[name]
    return getattr(importlib.import_module(module), cls)


def create(name: str, **params: Any) -> Forecaster:
    """A new unfitted model ``name`` with ``params``."""
    return get_class(name)(**params)


def parse_model_list(text: str | list[str]) -> list[str]:
    """``"ets, prophet"`` -> ``["ets", "prophet"]``, validated."""
    names = text if isinstance(text, list) else [p.strip() for p in text.split(",")]
    names = [n for n in names if n]
    if not names:
        raise ShopcastError("no_models")
    for n in names:
        if n not in REGISTRY:
            raise ShopcastError("unknown_model", model=n, choices=", ".join(REGISTRY))
    return list(dict.fromkeys(names))
