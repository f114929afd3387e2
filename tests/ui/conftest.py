"""Fixtures for the AppTest page tests: no pre-training, fresh caches per module."""

from __future__ import annotations

import pytest

from tests.ui.apptest import clear_caches


@pytest.fixture(autouse=True)
def app_env(monkeypatch):
    """No background pre-training in page tests (timings must not depend on it)."""
    monkeypatch.setenv("SHOPCAST_PRETRAIN", "0")


@pytest.fixture(autouse=True, scope="module")
def fresh_caches():
    """Each test module starts with empty Streamlit caches (models trained in it are
    reused by its later tests, as they would be by a user's later clicks)."""
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def store_per_test():
    """The server's model store object follows each test's private store folder and key.

    ``cache.model_store`` is a process-wide resource: without this, a store opened in
    an earlier test of the module would keep that test's folder.
    """
    from forecasting.ui import cache

    cache.model_store.clear()
    yield
