"""The keys of a profile in ``profiles.json``, and the variables that choose the profile.

TileDB core reads ``rest.*`` and ``ssl.*``; the ``client.*`` keys, where the secret is,
are read by :func:`secret_location` and written by :meth:`SecretLocation.entries` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from tiledb.client.basics.inputs import CredentialKind

__all__ = [
    "AUTH",
    "CA_FILE",
    "DEFAULT_PROFILE_NAME",
    "HOST",
    "PASSWORD",
    "PLAINTEXT_SECRET_KEYS",
    "PROFILE_DIR_ENV",
    "PROFILE_NAME_ENV",
    "SECRET_BACKEND",
    "SECRET_STORE",
    "SECRET_ID",
    "SESSION_LIFETIME",
    "TOKEN",
    "USERNAME",
    "VERIFY_SSL",
    "VERIFY_SSL_LEGACY",
    "WORKSPACE",
    "SecretLocation",
    "backend_users",
    "plaintext_secret",
    "secret_location",
]

PROFILE_DIR_ENV = "TILEDB_PROFILE_DIR"
PROFILE_NAME_ENV = "TILEDB_PROFILE_NAME"
DEFAULT_PROFILE_NAME = "default"

# Keys TileDB core reads.
HOST = "rest.server_address"
WORKSPACE = "rest.workspace"
USERNAME = "rest.username"
VERIFY_SSL = "ssl.verify"
VERIFY_SSL_LEGACY = "rest.verify_ssl"  # written by the vendor's package
CA_FILE = "ssl.ca_file"

# Our keys: where the profile's secret is.
SECRET_BACKEND = "client.secret_backend"  # noqa: S105 - a key name, not a secret
SECRET_ID = "client.secret_id"  # noqa: S105 - a key name, not a secret
AUTH = "client.auth"  # "token" or "password": which secret the backend holds
SECRET_STORE = "client.secret_store"  # noqa: S105 - where in a shared store (vault: mount, path)
SESSION_LIFETIME = "client.session_lifetime"  # e.g. "10h": what a password login asks for

# Plaintext secrets of the vendor's package or TileDB core: read (with a warning), never written.
TOKEN = "rest.token"  # noqa: S105 - a key name, not a token
PASSWORD = "rest.password"  # noqa: S105 - a key name, not a password
PLAINTEXT_SECRET_KEYS = (TOKEN, PASSWORD)


class SecretLocation(NamedTuple):
    """Where a profile keeps its secret; ``secret_id`` ``""``: a damaged profile names none.

    ``store`` is where in the backend, as it words it (``"file=/path/secrets.vault"``).
    """

    backend: str
    secret_id: str
    auth: CredentialKind
    store: str = ""

    def entries(self) -> dict[str, str]:
        """The profile keys that record this location."""
        entries = {AUTH: self.auth, SECRET_BACKEND: self.backend, SECRET_ID: self.secret_id}
        return {**entries, SECRET_STORE: self.store} if self.store else entries


def secret_location(profile: Mapping[str, str] | None) -> SecretLocation | None:
    """The location a profile records for its secret; ``None`` when it names no backend."""
    backend = profile.get(SECRET_BACKEND) if profile else None
    if not profile or not backend:
        return None
    auth: CredentialKind = "password" if profile.get(AUTH) == "password" else "token"
    return SecretLocation(backend, profile.get(SECRET_ID, ""), auth, profile.get(SECRET_STORE, ""))


def backend_users(profiles: Mapping[str, Mapping[str, str]], backend: str) -> list[str]:
    """The names of the profiles whose secret is in ``backend``, sorted."""
    return sorted(n for n, p in profiles.items() if (secret_location(p) or "?")[0] == backend)


def plaintext_secret(profile: Mapping[str, str] | None) -> tuple[CredentialKind, str, str] | None:
    """``(kind, key, value)`` of a plain-text token (else password) the profile keeps."""
    kinds: tuple[tuple[CredentialKind, str], ...] = (("token", TOKEN), ("password", PASSWORD))
    return next(((k, key, profile[key]) for k, key in kinds if profile and profile.get(key)), None)
