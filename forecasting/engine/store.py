"""Saving and loading fitted models: joblib + a signed manifest, in a bounded store.

A model folder holds ``model.joblib``, any native files the model writes
(Keras ``.keras``), and ``manifest.json`` with the model name, parameters, the
data key, library versions, the folder's size and a SHA-256 of every file,
signed with an HMAC key private to this installation. ``load_model`` verifies
the signature and every hash *before* unpickling, so it refuses any folder it
did not write — uploaded files never reach ``joblib.load``.

The signing key lives *outside* the store (``SHOPCAST_KEY_FILE``, default
``~/.config/shopcast/store.key``, created with mode 0600 in a 0700 folder): whoever can read
the store cannot sign a model. A key inside the store, or one readable by group
or others, is refused. Models signed by an older in-store ``signing.key`` fail
verification and are simply retrained.

``ModelStore`` is a least-recently-used cache capped at ``SHOPCAST_STORE_MAX_MB``
(default 2,000 MB): saving evicts the entries used longest ago, loading marks an
entry as used, and ``.tmp-*`` folders left by an interrupted save are removed
after an hour.
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
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.errors import ShopcastError

if TYPE_CHECKING:
    from forecasting.models.base import Forecaster

FORMAT = "shopcast-model"
FORMAT_VERSION = 1
KEY_ENV = "SHOPCAST_KEY_FILE"
MAX_MB_ENV = "SHOPCAST_STORE_MAX_MB"
DEFAULT_MAX_MB = 2000.0
TMP_PREFIX = ".tmp-"
STALE_TMP_SECONDS = 3600.0
LEGACY_KEY = "signing.key"  # the pre-2026 key, kept next to the models: never used again
_CORE = ("shopcast", "pandas", "numpy", "joblib")
_KEY_BYTES = 32


def cache_root(root: str | Path | None = None) -> Path:
    """Where models live (``SHOPCAST_CACHE_DIR`` or ``~/.cache/shopcast``)."""
    base = root or os.environ.get("SHOPCAST_CACHE_DIR") or Path.home() / ".cache" / "shopcast"
    return Path(base)


def key_path(key_file: str | Path | None = None) -> Path:
    """The signing key's file: ``SHOPCAST_KEY_FILE``, else ``shopcast/store.key`` in
    ``$XDG_CONFIG_HOME`` (default ``~/.config``)."""
    if key_file or os.environ.get(KEY_ENV):
        return Path(key_file or os.environ[KEY_ENV]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config).expanduser() / "shopcast" / "store.key"


def store_max_bytes() -> int:
    """The store's size cap from ``SHOPCAST_STORE_MAX_MB`` (default 2,000 MB).

    A value that is not a positive number falls back to the default.
    """
    try:
        mb = float(os.environ.get(MAX_MB_ENV) or DEFAULT_MAX_MB)
    except ValueError:
        mb = DEFAULT_MAX_MB
    if not mb > 0 or mb == float("inf"):
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def signing_key(key_file: str | Path | None = None, store: str | Path | None = None) -> bytes:
    """This installation's HMAC key, created on first use.

    Args:
        key_file: the key's file (default :func:`key_path`).
        store: the folder the signed models live in; the key must not be inside it.

    Raises:
        ShopcastError: ``store_key_inside`` (the key is in the store),
            ``store_key_open`` (group or others may read or write it),
            ``store_key_owner`` (another user owns it),
            ``store_key_unreadable`` (it cannot be created or read, or is too short).
    """
    path = key_path(key_file)
    if store is not None and _is_within(path, Path(store)):
        raise ShopcastError("store_key_inside", file=str(path), folder=str(store))
    try:
        if not path.exists():
            _create_key(path)
        info = path.stat()
        if os.name != "nt" and info.st_uid != os.getuid():  # someone else chose its bytes
            raise ShopcastError("store_key_owner", file=str(path))
        if os.name != "nt" and info.st_mode & 0o077:
            mode = f"{info.st_mode & 0o777:o}"
            raise ShopcastError("store_key_open", file=str(path), mode=mode)
        key = path.read_bytes()
    except OSError as exc:
        raise ShopcastError("store_key_unreadable", file=str(path), detail=exc.strerror) from None
    if len(key) < _KEY_BYTES:
        raise ShopcastError("store_key_unreadable", file=str(path), detail=f"{len(key)} bytes")
    return key


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _create_key(path: Path) -> None:
    """Write a new random key with mode 0600; a folder this creates gets mode 0700."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is reduced by the umask
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(_KEY_BYTES))
        try:
            os.link(tmp, path)  # never replaces a key another process just created
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


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
    model: Forecaster,
    folder: str | Path,
    meta: dict | None = None,
    *,
    key: bytes | None = None,
) -> Path:
    """Save a fitted model into ``folder`` (written atomically).

    Args:
        model: a fitted Forecaster.
        folder: destination; replaced if it exists.
        meta: extra manifest fields (e.g. ``data_key``).
        key: the signing key (default: :func:`signing_key`, refused inside
            ``folder``'s parent).
    """
    import joblib

    folder = Path(folder)
    key = key or signing_key(store=folder.parent)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=folder.parent))
    try:
        model.save_native(tmp)
        joblib.dump(model, tmp / "model.joblib", compress=3)
        paths = [p for p in sorted(tmp.iterdir()) if p.is_file()]
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": model.name,
            "class": f"{type(model).__module__}.{type(model).__name__}",
            "params": model.get_params(),
            "versions": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "files": {p.name: _sha256(p) for p in paths},
            "bytes": sum(p.stat().st_size for p in paths),
            **(meta or {}),
        }
        body["signature"] = _sign(body, key)
        (tmp / "manifest.json").write_text(json.dumps(body, indent=2, default=str), "utf-8")
        if folder.exists():
            _remove(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def read_manifest(folder: str | Path, *, key: bytes | None = None) -> dict:
    """Read and verify a manifest; raise ShopcastError unless this installation wrote it.

    Args:
        folder: the model's folder.
        key: the signing key (default: :func:`signing_key`, refused inside
            ``folder``'s parent).
    """
    folder = Path(folder)
    key = key or signing_key(store=folder.parent)
    try:
        body = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        raise ShopcastError("model_not_ours", folder=str(folder)) from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ShopcastError("model_not_ours", folder=str(folder))
    sig = body.pop("signature", "")
    if not hmac.compare_digest(str(sig), _sign(body, key)):
        raise ShopcastError("model_not_ours", folder=str(folder))
    for name, digest in body.get("files", {}).items():
        f = folder / name
        if not f.is_file() or _sha256(f) != digest:
            raise ShopcastError("model_tampered", folder=str(folder), file=name)
    return body


def load_model(
    folder: str | Path, *, key: bytes | None = None, strict_versions: bool = True
) -> Forecaster:
    """Load a model saved by ``save_model`` after verifying its manifest.

    Raises:
        ShopcastError: unsigned/foreign folder, modified files, a refused key,
            or (with ``strict_versions``) a model written by different library versions.
    """
    import joblib

    folder = Path(folder)
    body = read_manifest(folder, key=key)
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


def _remove(folder: Path) -> None:
    """Delete a store folder: renamed first (atomic), so no reader sees half of it."""
    doomed = folder.with_name(f"{TMP_PREFIX}gone-{folder.name}-{secrets.token_hex(4)}")
    try:
        os.replace(folder, doomed)
    except OSError:
        doomed = folder
    shutil.rmtree(doomed, ignore_errors=True)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for p in folder.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:  # removed meanwhile by another process
            pass
    return total


@dataclass(frozen=True)
class StoreEntry:
    """One stored model: its key, size on disk and when it was last saved or loaded."""

    key: str
    bytes: int
    last_used: float


class ModelStore:
    """On-disk cache of fitted models, keyed by data hash + model config.

    Shared by all sessions of one server: keys are content hashes, so a user
    only ever gets a model trained on exactly the data they supplied. The store
    is a least-recently-used cache of at most ``max_bytes``.

    Args:
        root: cache root (default :func:`cache_root`); models go to ``root/models``.
        max_bytes: size cap (default :func:`store_max_bytes`).
        key_file: the signing key's file (default :func:`key_path`).
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        max_bytes: int | None = None,
        key_file: str | Path | None = None,
    ) -> None:
        self.root = cache_root(root)
        self.models = self.root / "models"
        self.max_bytes = store_max_bytes() if max_bytes is None else int(max_bytes)
        self.key_file = key_path(key_file)
        self.problem: ShopcastError | None = None  # why the store is off, if it is
        self.clean_tmp()
        legacy = self.root / LEGACY_KEY
        if legacy != self.key_file:
            legacy.unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        return self.models / key

    def check(self) -> None:
        """Raise the signing key's problem (ShopcastError), if any, before any work."""
        signing_key(self.key_file, self.root)

    def _secret(self) -> bytes | None:
        """The signing key, or None (and ``self.problem`` set) when it is refused."""
        try:
            secret = signing_key(self.key_file, self.root)
        except ShopcastError as exc:
            self.problem = exc
            return None
        self.problem = None
        return secret

    def load(self, key: str) -> Forecaster | None:
        """The stored model (now most recently used), or None if absent, foreign,
        stale or unreadable, or when the signing key is refused."""
        folder = self.path(key)
        if not (folder / "manifest.json").exists():
            return None
        secret = self._secret()
        if secret is None:
            return None  # a key problem says nothing about the entry: keep it
        try:
            model = load_model(folder, key=secret)
        except Exception:  # noqa: BLE001 - a bad cache entry means "retrain", never a crash
            _remove(folder)
            return None
        self.touch(key)
        return model

    def save(self, key: str, model: Forecaster, meta: dict | None = None) -> Path | None:
        """Store ``model`` under ``key``, then evict the least recently used entries
        over the size cap; failures (disk full, refused key...) are not fatal."""
        secret = self._secret()
        if secret is None:
            return None
        try:
            folder = save_model(model, self.path(key), meta, key=secret)
        except Exception:  # noqa: BLE001 - caching is an optimisation
            return None
        self.clean_tmp()
        self.evict(keep=key)
        return folder if folder.exists() else None

    def read_meta(self, key: str) -> dict[str, Any] | None:
        secret = self._secret()
        if secret is None:
            return None
        try:
            return read_manifest(self.path(key), key=secret)
        except ShopcastError:
            return None

    def touch(self, key: str) -> None:
        """Mark ``key`` as just used (its folder's modification time)."""
        try:
            os.utime(self.path(key))
        except OSError:
            pass

    def entries(self) -> list[StoreEntry]:
        """Every stored model, least recently used first."""
        if not self.models.is_dir():
            return []
        out = []
        for folder in self.models.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                used = folder.stat().st_mtime
            except OSError:
                continue
            out.append(StoreEntry(folder.name, _folder_bytes(folder), used))
        return sorted(out, key=lambda e: (e.last_used, e.key))

    def evict(self, keep: str | None = None) -> list[str]:
        """Remove least recently used entries until the store fits its cap.

        ``keep`` (the entry just saved) goes last, and only if it alone is over the cap.

        Returns:
            The removed keys, oldest first.
        """
        entries = self.entries()
        total = sum(e.bytes for e in entries)
        removed = []
        for e in [e for e in entries if e.key != keep] + [e for e in entries if e.key == keep]:
            if total <= self.max_bytes:
                break
            _remove(self.path(e.key))
            total -= e.bytes
            removed.append(e.key)
        return removed

    def clean_tmp(self, max_age: float = STALE_TMP_SECONDS) -> list[Path]:
        """Delete ``.tmp-*`` folders older than ``max_age`` seconds (interrupted saves).

        Returns:
            The removed folders.
        """
        if not self.models.is_dir():
            return []
        now, removed = time.time(), []
        for tmp in self.models.glob(f"{TMP_PREFIX}*"):
            try:
                stale = now - tmp.stat().st_mtime > max_age
            except OSError:
                continue
            if not stale:
                continue
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
            removed.append(tmp)
        return removed
