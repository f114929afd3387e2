"""Lazy model registry: names map to specs (``forecasting.models.registry``), whose
modules are imported only when used.

``import forecasting.models`` imports no modelling library; ``create("prophet")``
imports prophet at that moment. Every list of models below is derived from the specs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from forecasting.errors import ShopcastError
from forecasting.models.registry import ALWAYS, SPECS, WITH_DRIVERS, ModelSpec

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

__all__ = [
    "DEFAULT_MODELS",
    "LIBRARY",
    "REGISTRY",
    "TENSORFLOW_MODELS",
    "ModelSpec",
    "available",
    "combining_models",
    "create",
    "driver_models",
    "get_class",
    "member_models",
    "model_packages",
    "parse_model_list",
    "spec",
]

# name -> spec. Order is the order shown to users. (Tests may register a toy model here.)
REGISTRY: dict[str, ModelSpec] = {s.name: s for s in SPECS}

# Which library each model needs (lets the UI explain without importing it).
LIBRARY: dict[str, str] = {s.name: s.library for s in SPECS}
TENSORFLOW_MODELS: tuple[str, ...] = tuple(s.name for s in SPECS if s.tensorflow)
DEFAULT_MODELS: tuple[str, ...] = tuple(s.name for s in SPECS if s.default)


def available() -> list[str]:
    """Registered model names, in display order."""
    return list(REGISTRY)


def spec(name: str) -> ModelSpec:
    """The spec of model ``name``.

    Raises:
        ShopcastError: ``unknown_model`` with the registered names.
    """
    if name not in REGISTRY:
        raise ShopcastError("unknown_model", model=name, choices=", ".join(REGISTRY))
    return REGISTRY[name]


def driver_models() -> list[str]:
    """Names of the models whose forecast follows the future driver plan, in display order."""
    return [n for n, s in REGISTRY.items() if s.uses_drivers]


def member_models(with_drivers: bool = False) -> list[str]:
    """The default members of ``ensemble``/``auto``; ``with_drivers`` adds the members
    used when some driver of the history varies."""
    roles = (ALWAYS, WITH_DRIVERS) if with_drivers else (ALWAYS,)
    return [n for n, s in REGISTRY.items() if s.member in roles]


def combining_models() -> list[str]:
    """Models built from a backtest of member models (they can explain their choice)."""
    return [n for n, s in REGISTRY.items() if s.combines]


def model_packages() -> list[str]:
    """Distributions the registered models depend on, first-seen order, no repeats."""
    return list(dict.fromkeys(p for s in REGISTRY.values() for p in s.packages))


def get_class(name: str) -> type[Forecaster]:
    """Import and return the class behind ``name``."""
    s = spec(name)
    return getattr(importlib.import_module(s.module), s.class_name)


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
