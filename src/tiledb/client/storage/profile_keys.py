"""The keys of a profile in ``profiles.json``, read once into a typed :class:`ProfileView`.

TileDB core reads ``rest.*`` and ``ssl.*``; the ``client.*`` keys, where the secret is,
are read by :func:`secret_location` and written by :meth:`SecretLocation.entries` only.
Outside this module, layers read a profile through :func:`view` and write one with
:func:`profile_entries`; none of them names a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from tiledb.client.basics.inputs import CredentialKind
from tiledb.client.basics.tls import Tls

__all__ = [
    "AUTH",
    "CA_FILE",
    "DEFAULT_PROFILE_NAME",
    "HOST",
    "PASSWORD",
    "PLAINTEXT_SECRET_KEYS",
    "PROFILE_DIR_ENV",
    "PROFILE_NAME_ENV",
    "ProfileView",
    "SECRET_BACKEND",
    "SECRET_STORE",
    "SECRET_ID",
    "SESSION_LIFETIME",
    "TOKEN",
    "USERNAME",
    "VERIFY_SSL",
    "VERIFY_SSL_LEGACY",
    "WORKSPACE",
    "SETTING_KEYS",
    "SecretLocation",
    "Tls",
    "backend_users",
    "plaintext_secret",
    "plaintext_secrets",
    "profile_entries",
    "secret_location",
    "shown",
    "without_plaintext",
    "view",
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
_KINDS: tuple[tuple[CredentialKind, str], ...] = (("token", TOKEN), ("password", PASSWORD))

SETTING_KEYS = {
    "host": HOST,
    "workspace": WORKSPACE,
    "username": USERNAME,
    "token": TOKEN,
    "password": PASSWORD,
    "verify_ssl": VERIFY_SSL,
    "ca_file": CA_FILE,
}
"""The profile key of each session setting (``session.settings.SETTINGS``)."""


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
    return next(((k, key, profile[key]) for k, key in _KINDS if profile and profile.get(key)), None)


def plaintext_secrets(profile: Mapping[str, str]) -> dict[CredentialKind, str]:
    """Every plain-text secret of a profile by kind, the token first (``{}``: none)."""
    return {kind: profile[key] for kind, key in _KINDS if profile.get(key)}


def without_plaintext(profile: Mapping[str, str]) -> dict[str, str]:
    """A copy of the profile without its plain-text secrets (every other key kept)."""
    return {key: value for key, value in profile.items() if key not in PLAINTEXT_SECRET_KEYS}


def shown(profile: Mapping[str, str]) -> dict[str, str]:
    """Every key of the profile as people may see it: plain-text secrets masked."""
    from tiledb.client.basics.masking import mask

    return {
        key: mask(value, tail=key == TOKEN) if key in PLAINTEXT_SECRET_KEYS else value
        for key, value in profile.items()
    }


class ProfileView(NamedTuple):
    """One profile, typed: what every layer reads of it (``plaintext``: a legacy secret)."""

    host: str | None
    workspace: str | None
    username: str | None
    tls: Tls
    secret: SecretLocation | None
    plaintext: tuple[CredentialKind, str, str] | None
    session_lifetime: str | None

    def setting(self, name: str) -> str | bool | None:
        """The profile's value of the session setting ``name`` (a key of :data:`SETTING_KEYS`)."""
        if name in ("verify_ssl", "ca_file"):
            return self.tls.verify if name == "verify_ssl" else self.tls.ca_file
        if name in ("token", "password"):
            return self.plaintext[2] if self.plaintext and self.plaintext[0] == name else None
        value: str | None = getattr(self, name)
        return value


def view(profile: Mapping[str, str]) -> ProfileView:
    """Read a profile's keys once; empty values read as unset."""
    return ProfileView(
        host=profile.get(HOST) or None,
        workspace=profile.get(WORKSPACE) or None,
        username=profile.get(USERNAME) or None,
        tls=Tls(
            profile.get(VERIFY_SSL) or profile.get(VERIFY_SSL_LEGACY) or None,
            profile.get(CA_FILE) or None,
        ),
        secret=secret_location(profile),
        plaintext=plaintext_secret(profile),
        session_lifetime=profile.get(SESSION_LIFETIME) or None,
    )


def profile_entries(
    host: str,
    workspace: str,
    *,
    username: str | None = None,
    tls: Tls | None = None,
    secret: SecretLocation | None = None,
    session_lifetime: str | None = None,
) -> dict[str, str]:
    """The keys of a new profile; ``tls.verify`` false is written for core and the vendor."""
    entries = {HOST: host, WORKSPACE: workspace, **(secret.entries() if secret else {})}
    tls = tls or Tls()
    if username:
        entries[USERNAME] = username
    if tls.verify is False:
        entries[VERIFY_SSL] = entries[VERIFY_SSL_LEGACY] = "false"
    if tls.ca_file:
        entries[CA_FILE] = tls.ca_file
    if session_lifetime:
        entries[SESSION_LIFETIME] = session_lifetime
    return entries
