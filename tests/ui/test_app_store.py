"""The Train page says when the on-disk model cache is off (signing key refused)."""

from __future__ import annotations

import os

from tests.ui.apptest import alerts, clear_caches, new_app, open_page, quickstart


def test_a_refused_signing_key_is_reported_and_training_still_works(tmp_path, monkeypatch):
    key = tmp_path / "store.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)  # readable by others: the store refuses it and turns caching off
    monkeypatch.setenv("SHOPCAST_KEY_FILE", str(key))
    clear_caches()
    at = quickstart(new_app())
    at = open_page(at, "train")
    assert not at.exception
    text = "\n".join(alerts(at, "warning"))
    assert "chmod 600" in text or "600" in text, text
    assert at.session_state["result"] is not None  # the forecast was made all the same
    clear_caches()
