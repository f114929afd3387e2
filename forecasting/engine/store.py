"""Saving and loading fitted models: joblib + a signed manifest.

A model folder holds ``model.joblib``, any native files the model writes
(Keras ``.keras``), and ``manifest.json`` with the model name, parameters, the
data key, library versions and a SHA-256 of every file, signed with an
HMAC key private to this installation. ``load_model`` verifies the signature and
every hash *before* unpickling, so it refuses any folder it did not write —
uploaded files never reach ``joblib.load``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import secrets
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.errors import ShopcastError

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

FORMAT = "shopcast-model"
FORMAT_VERSION = 1
_CORE = ("shopcast", "pandas", "numpy", "joblib")


def cache_root(root: str | Path | None = None) -> Path:
    """Where models and the signing key live (``SHOPCAST_CACHE_DIR`` or ``~/.cache/shopcast``)."""
    base = root or os.environ.get("SHOPCAST_CACHE_DIR") or Path.home() / ".cache" / "shopcast"
    return Path(base)


def _secret(root: Path) -> bytes:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "signing.key"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        os.replace(tmp, path) if not path.exists() else tmp.unlink()
    return path.read_bytes()


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a pickled model depends on (the core ones and
    each registered model's ``packages``)."""
    from forecasting.models import model_packages

    out = {"python": platform.python_version()}
    for name in (*_CORE, *model_packages()):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sign(body: dict, key: bytes) -> str:
    blob = json.dumps(body, sort_keys=True, default=str).encode()
    return hmac.new(key, blob, hashlib.sha256).hexdigest()


def save_model(
    model: Forecaster, folder: str | Path, meta: dict | None = None, root: str | Path | None = None
) -> Path:
    """Save a fitted model into ``folder`` (written atomically).

    Args:
        model: a fitted Forecaster.
        folder: destination; replaced if it exists.
        meta: extra manifest fields (e.g. ``data_key``).
        root: cache root holding the signing key.
    """
    import joblib

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        model.save_native(tmp)
        joblib.dump(model, tmp / "model.joblib", compress=3)
        files = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": model.name,
            "class": f"{type(model).__module__}.{type(model).__name__}",
            "params": model.get_params(),
            "versions": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "files": files,
            **(meta or {}),
        }
        body["signature"] = _sign(body, _secret(cache_root(root)))
        (tmp / "manifest.json").write_text(json.dumps(body, indent=2, default=str), "utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def read_manifest(folder: str | Path, root: str | Path | None = None) -> dict:
    """Read and verify a manifest; raise ShopcastError unless this installation wrote it."""
    folder = Path(folder)
    path = folder / "manifest.json"
    try:
        body = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise ShopcastError("model_not_ours", folder=str(folder)) from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ShopcastError("model_not_ours", folder=str(folder))
    sig = body.pop("signature", "")
    if not hmac.compare_digest(str(sig), _sign(body, _secret(cache_root(root)))):
        raise ShopcastError("model_not_ours", folder=str(folder))
    for name, digest in body.get("files", {}).items():
        f = folder / name
        if not f.is_file() or _sha256(f) != digest:
            raise ShopcastError("model_tampered", folder=str(folder), file=name)
    return body


def load_model(
    folder: str | Path, root: str | Path | None = None, strict_versions: bool = True
) -> Forecaster:
    """Load a model saved by ``save_model`` after verifying its manifest.

    Raises:
        ShopcastError: unsigned/foreign folder, modified files, or (with
            ``strict_versions``) a model written by different library versions.
    """
    import joblib

    folder = Path(folder)
    body = read_manifest(folder, root)
    if body.get("format_version") != FORMAT_VERSION:
        raise ShopcastError("model_version", folder=str(folder), what="format")
    if strict_versions:
        now = library_versions()
        for lib, ver in body.get("versions", {}).items():
            if lib in now and now[lib] != ver:
                raise ShopcastError("model_version", folder=str(folder), what=f"{lib} {ver}")
    model = joblib.load(folder / "model.joblib")
    model.load_native(folder)
    return model


class ModelStore:
    """On-disk cache of fitted models, keyed by data hash + model config.

    Shared by all sessions of one server: keys are content hashes, so a user
    only ever gets a model trained on exactly the data they supplied.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = cache_root(root)
        self.models = self.root / "models"

    def path(self, key: str) -> Path:
        return self.models / key

    def load(self, key: str) -> Forecaster | None:
        """The stored model, or None if absent, foreign, stale or unreadable."""
        folder = self.path(key)
        if not (folder / "manifest.json").exists():
            return None
        try:
            return load_model(folder, self.root)
        except Exception:  # noqa: BLE001 - a bad cache entry means "retrain", never a crash
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def save(self, key: str, model: Forecaster, meta: dict | None = None) -> Path | None:
        """Store ``model`` under ``key``; failures (disk full...) are not fatal."""
        try:
            return save_model(model, self.path(key), meta, self.root)
        except Exception:  # noqa: BLE001 - caching is an optimisation
            return None

    def read_meta(self, key: str) -> dict[str, Any] | None:
        try:
            return read_manifest(self.path(key), self.root)
        except ShopcastError:
            return None
