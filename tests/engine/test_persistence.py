from __future__ import annotations

import json
import pickle

import pytest

from forecasting.engine.store import ModelStore, load_model, save_model
from forecasting.errors import ShopcastError
from forecasting.models import create


@pytest.fixture(autouse=True)
def _private_key(tmp_path_factory, monkeypatch):
    """The signing key of this test's installation, outside every store."""
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(tmp_path_factory.mktemp("key") / "store.key"))


@pytest.fixture()
def fitted(panel):
    return create("seasonal_naive").fit(panel, freq="D")


def test_round_trip_gives_same_forecast(tmp_path, fitted):
    folder = save_model(fitted, tmp_path / "m", {"data_key": "abc"})
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == "seasonal_naive" and manifest["data_key"] == "abc"
    assert "pandas" in manifest["versions"] and manifest["signature"]
    again = load_model(folder)
    assert again.predict(14).equals(fitted.predict(14))


def test_refuses_folder_it_did_not_write(tmp_path, fitted):
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "model.joblib").write_bytes(pickle.dumps(fitted))
    (evil / "manifest.json").write_text(json.dumps({"format": "shopcast-model", "files": {}}))
    with pytest.raises(ShopcastError) as err:
        load_model(evil)
    assert err.value.key == "model_not_ours"


def test_refuses_modified_model_file(tmp_path, fitted):
    folder = save_model(fitted, tmp_path / "m")
    (folder / "model.joblib").write_bytes(pickle.dumps({"not": "the model"}))
    with pytest.raises(ShopcastError) as err:
        load_model(folder)
    assert err.value.key == "model_tampered"


def test_refuses_other_installation_key(tmp_path, fitted):
    folder = save_model(fitted, tmp_path / "m", key=b"a" * 32)
    assert load_model(folder, key=b"a" * 32).predict(7).equals(fitted.predict(7))
    with pytest.raises(ShopcastError) as err:
        load_model(folder, key=b"b" * 32)
    assert err.value.key == "model_not_ours"


def test_refuses_other_library_versions(tmp_path, fitted, monkeypatch):
    folder = save_model(fitted, tmp_path / "m")
    import forecasting.engine.store as p

    real = p.library_versions()
    monkeypatch.setattr(p, "library_versions", lambda: {**real, "pandas": "0.0.1"})
    with pytest.raises(ShopcastError) as err:
        load_model(folder)
    assert err.value.key == "model_version"


def test_store_miss_hit_and_bad_entry(tmp_path, fitted):
    store = ModelStore(tmp_path)
    assert store.load("k1") is None
    store.save("k1", fitted, {"fit_seconds": 1.5})
    assert store.load("k1").predict(7).equals(fitted.predict(7))
    assert store.read_meta("k1")["fit_seconds"] == 1.5
    (store.path("k1") / "manifest.json").write_text("{broken")
    assert store.load("k1") is None  # a corrupt entry means retrain, not a crash
