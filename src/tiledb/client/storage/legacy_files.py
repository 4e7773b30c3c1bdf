"""Plaintext credential files of older tools, and the file mechanics of migrating them.

TileDB-Cloud-Py's ``~/.tiledb/cloud.json`` (its keys: docs/cli.md, ``migrate``) is
scrubbed of ``api_key`` and ``password`` only, so it stays valid for that tool. Backups
(``<file>.migrate-backup-<UTC time>``, 0600, found by :data:`BACKUP_MARKER`) hold
plaintext secrets: ``doctor`` reports them.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tiledb.client.basics.files import NotJsonError, parse_json, replace_atomically
from tiledb.client.basics.protocol import API_KEY_HEADER, normalize_host
from tiledb.client.errors import ConfigurationError

__all__ = [
    "BACKUP_MARKER",
    "CloudJson",
    "default_cloud_json",
    "find_backups",
    "make_backup",
    "read_cloud_json",
    "replace_file",
    "scrub_cloud_json",
]

BACKUP_MARKER = ".migrate-backup-"
_SECRET_KEYS = ("api_key", "password")


def default_cloud_json() -> Path:
    """Return ``~/.tiledb/cloud.json``, where TileDB-Cloud-Py keeps its configuration."""
    return Path.home() / ".tiledb" / "cloud.json"


@dataclass(frozen=True)
class CloudJson:
    """The settings of a ``cloud.json`` (``host`` normalised, without ``/v1``); secrets hidden."""

    path: Path
    host: str
    username: str | None
    verify_ssl: bool
    token: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def has_secrets(self) -> bool:
        """Whether the file still holds a token or a password."""
        return bool(self.token or self.password)


def _token_of(api_key: Any) -> str | None:
    if isinstance(api_key, str):
        return api_key or None
    if isinstance(api_key, Mapping):
        values = [value for value in api_key.values() if isinstance(value, str) and value]
        for name, value in api_key.items():
            if str(name).lower() == API_KEY_HEADER.lower() and isinstance(value, str) and value:
                return value
        return values[0] if values else None
    return None


def _host_of(value: Any, path: Path) -> str:
    host = str(value or "").strip().rstrip("/")
    if host.endswith("/v1"):
        host = host[: -len("/v1")]
    return normalize_host(host, source=f"the host in {path}") if host else "https://api.tiledb.com"


def _verify_of(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return value is not False


def _load_document(path: Path) -> dict[str, Any]:
    try:
        document = parse_json(path.read_bytes())
    except (OSError, NotJsonError) as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc}. It was left untouched.") from exc
    if not isinstance(document, dict):
        raise ConfigurationError(f"{path} does not hold a JSON object. It was left untouched.")
    return document


def read_cloud_json(path: Path) -> CloudJson | None:
    """Read a ``cloud.json`` (``None``: no file); ConfigurationError if not a JSON object."""
    if not path.is_file():
        return None
    document = _load_document(path)
    username = document.get("username")
    password = document.get("password")
    return CloudJson(
        path=path,
        host=_host_of(document.get("host"), path),
        username=str(username) if username else None,
        verify_ssl=_verify_of(document.get("verify_ssl", True)),
        token=_token_of(document.get("api_key")),
        password=str(password) if password else None,
    )


def scrub_cloud_json(path: Path) -> None:
    """Rewrite ``cloud.json`` atomically without its ``api_key`` and ``password``."""
    document = _load_document(path)
    for key in _SECRET_KEYS:
        document.pop(key, None)
    replace_file(path, (json.dumps(document, indent=4, sort_keys=True) + "\n").encode("utf-8"))


def replace_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` atomically; ConfigurationError (the old file unchanged) on failure."""
    try:
        replace_atomically(path, data, mode=mode)
    except OSError as exc:
        raise ConfigurationError(f"Cannot write {path}: {exc}") from exc


def make_backup(path: Path, data: bytes | None = None) -> Path:
    """Copy ``path`` (or write ``data``, its earlier content) to a new 0600 file beside it."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"Cannot read {path} to back it up: {exc}") from exc
    for attempt in range(100):
        suffix = f"{BACKUP_MARKER}{stamp}" + (f"-{attempt}" if attempt else "")
        backup = path.with_name(path.name + suffix)
        try:
            descriptor = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigurationError(f"Cannot create the backup {backup}: {exc}") from exc
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError):
                backup.unlink()
            raise ConfigurationError(f"Cannot write the backup {backup}: {exc}") from exc
        return backup
    raise ConfigurationError(f"Cannot find a free backup name next to {path}.")


def find_backups(directory: Path) -> list[Path]:
    """Return migration backups left in ``directory`` (they hold plaintext secrets)."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if BACKUP_MARKER in path.name)
