"""Shared fixtures: small seeded panels, a private model store, the real-data path.

Plain helpers (``make_panel``, ``shared_file``, ``ROOT``) live in ``tests/support.py``;
tests take them through the fixtures below rather than importing conftest by hand.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tests import support

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return support.ROOT


@pytest.fixture(scope="session")
def panel() -> pd.DataFrame:
    """The default seeded daily panel (3 series, 2 years, promo driver)."""
    return support.make_panel()


@pytest.fixture(scope="session")
def make_panel():
    """Factory for seeded daily panels: ``make_panel(n_series=4, days=600, seed=5)``."""
    return support.make_panel


@pytest.fixture(scope="session")
def shared_file():
    """``shared_file("rossmann100", "train.csv")``: a real-data path, or skip the test."""
    return support.shared_file


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Every test writes models into its own temporary store, never ~/.cache."""
    root = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("SHOPCAST_CACHE_DIR", str(root))
    # The store's signing key lives outside the store folder (never in ~/.config in tests).
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(tmp_path_factory.mktemp("key") / "store.key"))
    return root
