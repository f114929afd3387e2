"""The model store's housekeeping: LRU size cap, stale temp folders, the signing key."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from forecasting.engine.store import (
    LEGACY_KEY,
    ModelStore,
    key_path,
    save_model,
    signing_key,
    store_max_bytes,
)
from forecasting.errors import ShopcastError
from forecasting.models import create


@pytest.fixture()
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "config" / "shopcast" / "store.key"
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(path))
    return path


@pytest.fixture()
def fitted(panel):
    return create("seasonal_naive").fit(panel, freq="D")


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


# --------------------------------------------------------------------- signing key
def test_key_is_created_outside_the_store_with_tight_permissions(tmp_path, key_file, fitted):
    store = ModelStore(tmp_path / "cache")
    assert store.save("k1", fitted) is not None
    assert key_file.exists() and not (tmp_path / "cache" / LEGACY_KEY).exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert len(key_file.read_bytes()) == 32
    assert not list((tmp_path / "cache").rglob("*.key"))


def test_default_key_location(monkeypatch, tmp_path):
    monkeypatch.delenv("SHOPCAST_KEY_FILE", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert key_path() == tmp_path / ".config" / "shopcast" / "store.key"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert key_path() == tmp_path / "xdg" / "shopcast" / "store.key"
    assert key_path(tmp_path / "k") == tmp_path / "k"


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_key_readable_by_others_is_refused(tmp_path, key_file, fitted):
    signing_key()
    key_file.chmod(0o644)
    with pytest.raises(ShopcastError) as err:
        signing_key()
    assert err.value.key == "store_key_open"
    assert "chmod 600" in err.value.message("en")
    store = ModelStore(tmp_path / "cache")
    assert store.save("k1", fitted) is None  # no caching with an exposed key...
    assert store.problem is not None and store.problem.key == "store_key_open"
    with pytest.raises(ShopcastError):
        store.check()  # ...and the CLI can say so before any work


def test_key_inside_the_store_is_refused(tmp_path, monkeypatch, fitted):
    cache = tmp_path / "cache"
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(cache / "store.key"))
    store = ModelStore(cache)
    with pytest.raises(ShopcastError) as err:
        store.check()
    assert err.value.key == "store_key_inside"
    assert store.save("k1", fitted) is None and not (cache / "store.key").exists()


def test_model_signed_with_a_key_the_store_holds_is_refused(tmp_path, key_file, fitted):
    """An old in-store ``signing.key`` (or a forger who read the store) signs nothing now."""
    cache = tmp_path / "cache"
    legacy = cache / LEGACY_KEY
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"x" * 32)
    save_model(fitted, cache / "models" / "k1", key=legacy.read_bytes())
    store = ModelStore(cache)
    assert not legacy.exists()  # the old key is dropped at startup
    assert store.load("k1") is None  # not ours any more: retrain
    assert not store.path("k1").exists()
    store.save("k1", fitted)
    assert store.load("k1").predict(7).equals(fitted.predict(7))


def test_key_problem_keeps_entries(tmp_path, key_file, fitted):
    store = ModelStore(tmp_path / "cache")
    store.save("k1", fitted)
    key_file.chmod(0o640)
    assert store.load("k1") is None and store.path("k1").exists()
    key_file.chmod(0o600)
    assert store.load("k1") is not None


# ---------------------------------------------------------------------- LRU + tmp
def test_size_cap_evicts_least_recently_used(tmp_path, key_file, fitted):
    store = ModelStore(tmp_path / "cache", max_bytes=10**9)
    for i, k in enumerate(("a", "b", "c")):
        store.save(k, fitted)
        _age(store.path(k), 300 - 100 * i)  # a oldest, then b, then c
    assert [e.key for e in store.entries()] == ["a", "b", "c"]
    assert store.load("a") is not None  # loading makes "a" the most recent
    assert [e.key for e in store.entries()] == ["b", "c", "a"]
    one = store.entries()[0].bytes
    store.max_bytes = int(3.5 * one)
    store.save("d", fitted)
    assert [e.key for e in store.entries()] == ["c", "a", "d"]  # b went first
    store.max_bytes = int(1.5 * one)
    store.save("e", fitted)
    assert [e.key for e in store.entries()] == ["e"]  # the new entry stays


def test_entry_larger_than_the_cap_is_not_kept(tmp_path, key_file, fitted):
    store = ModelStore(tmp_path / "cache", max_bytes=100)
    assert store.save("big", fitted) is None
    assert store.entries() == [] and store.load("big") is None


def test_manifest_records_size(tmp_path, key_file, fitted):
    store = ModelStore(tmp_path / "cache")
    store.save("k1", fitted)
    body = json.loads((store.path("k1") / "manifest.json").read_text())
    assert body["bytes"] == (store.path("k1") / "model.joblib").stat().st_size


def test_cap_from_environment(monkeypatch):
    monkeypatch.setenv("SHOPCAST_STORE_MAX_MB", "50")
    assert store_max_bytes() == 50 * 1024 * 1024
    for bad in ("", "lots", "-1", "0", "nan", "inf"):
        monkeypatch.setenv("SHOPCAST_STORE_MAX_MB", bad)
        assert store_max_bytes() == 2000 * 1024 * 1024


def test_stale_tmp_folders_are_removed(tmp_path, key_file, fitted):
    models = tmp_path / "cache" / "models"
    old, fresh = models / ".tmp-old", models / ".tmp-fresh"
    for d in (old, fresh):
        d.mkdir(parents=True)
        (d / "model.joblib").write_bytes(b"0" * 100)
    _age(old, 2 * 3600)
    store = ModelStore(tmp_path / "cache")  # startup cleans
    assert not old.exists() and fresh.exists()  # a save in progress is left alone
    _age(fresh, 2 * 3600)
    store.save("k1", fitted)  # and so does every save
    assert not fresh.exists()
    assert [e.key for e in store.entries()] == ["k1"]


@pytest.mark.skipif(os.name == "nt" or os.getuid() != 0, reason="needs root to chown")
def test_key_owned_by_another_user_is_refused(key_file):
    signing_key()
    os.chown(key_file, 12345, -1)
    with pytest.raises(ShopcastError) as err:
        signing_key()
    assert err.value.key == "store_key_owner"
