"""The interface every secret backend implements, and its rules.

:mod:`tiledb.client.testing.backend_conformance` checks them:

- ``get`` of a missing key returns ``None``, ``delete`` of one ``False``; neither raises.
- ``set`` replaces the previous value atomically (after a failure the old one is still
  there) and refuses an empty secret; any other accepted secret (spaces, newlines, up to
  1,024 characters) comes back exactly as stored.
- Errors are :class:`~tiledb.client.errors.SecretBackendError` subclasses that say what
  to do and never contain the secret.
- ``probe`` is cheap, never prompts, never raises, and is bounded by the backend's timeout.
- ``keys`` lists every key stored (``None``: it cannot enumerate), for orphan searches.
- ``location`` says where a new secret goes (``client.secret_store`` of its profile);
  :func:`recorded_location` reads it back, so the secret is found wherever the
  environment points now.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = [
    "STORE_KEY",
    "Availability",
    "SecretBackend",
    "SecretKind",
    "recorded_location",
    "secret_entry_key",
]

STORE_KEY = "client.secret_store"  # the profile key, e.g. "file=/path/secrets.vault"

SecretKind = Literal["token", "password", "session"]
"""What an entry holds: an API token, an account password, or a cached session token."""


@dataclass(frozen=True)
class Availability:
    """Whether a backend can be used here, and why (or why not).

    Attributes
    ----------
    available : bool
        True when the backend can store and read secrets right now.
    reason : str
        One line for people, e.g. ``"no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is
        not set"``.
    interactive : bool, default False
        Available only by asking the person at the terminal (the encrypted file without
        a passphrase source): it works when named, but is never chosen automatically.
    """

    available: bool
    reason: str
    interactive: bool = False


def secret_entry_key(secret_id: str, kind: SecretKind) -> str:
    """Return the backend key of one secret of a profile, from its ``client.secret_id``.

    e.g. ``"token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``, the text
    Keychain Access or Seahorse show.
    """
    return f"{kind}: {secret_id}"


def recorded_location(key: str) -> dict[str, str]:
    """The ``client.secret_store`` the profile of ``key`` records, as a dict (``{}``: none).

    ``key`` names its profile file and secret id (see :func:`secret_entry_key`); the
    profile is found by that id, so a renamed profile still is. e.g. ``{"file":
    "/home/ada/.local/share/tiledb-client/secrets.vault"}``.
    """
    secret_id = key.partition(": ")[2]
    try:
        file_name = secret_id.partition(" @ ")[2].rsplit(" [", 1)[0]
        with open(file_name, encoding="utf-8") as file:  # noqa: PTH123 - no pathlib at login
            document = json.load(file)
        profiles = (p for p in document.values() if isinstance(p, dict))
        profile = next(p for p in profiles if p.get("client.secret_id") == secret_id)
        text = str(profile[STORE_KEY])
    except (OSError, ValueError, LookupError, TypeError, StopIteration):
        return {}
    return dict(item.split("=", 1) for item in text.split() if "=" in item)


class SecretBackend(abc.ABC):
    """A place that stores opaque strings under opaque string keys.

    Subclasses set :attr:`name` and :attr:`description` and implement :meth:`probe`,
    :meth:`get`, :meth:`set` and :meth:`delete`. They are created without arguments and
    read their settings (environment variables) when a method is called.
    """

    name: ClassVar[str]
    """Registry name, as given to ``configure(secret_backend=...)``."""

    description: ClassVar[str]
    """One line saying what the backend stores secrets in."""

    @abc.abstractmethod
    def probe(self) -> Availability:
        """Check, cheaply and without prompting, whether the backend works here."""

    @abc.abstractmethod
    def get(self, key: str) -> str | None:
        """Return the secret stored under ``key``, or ``None`` when there is none."""

    @abc.abstractmethod
    def set(self, key: str, secret: str) -> None:
        """Store ``secret`` under ``key``, replacing any previous value.

        Raises
        ------
        ValueError
            When ``secret`` is empty; nothing is stored.
        SecretBackendError
            When the store cannot be written; the old value is then still there.
        """

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Delete the secret under ``key``; return whether there was one."""

    def contains(self, key: str) -> bool:
        """Return whether a secret is stored under ``key`` (override to avoid unlocking)."""
        return self.get(key) is not None

    def keys(self) -> list[str] | None:
        """Return the key of every secret held for us (for orphan searches); ``None``: cannot list.

        Listing never reads a secret, never prompts, and is bounded by the backend's timeout.
        """
        return None

    def location(self, key: str = "") -> str | None:
        """Where the secret of ``key`` goes, for its profile to record; ``None``: nowhere.

        e.g. ``"file=/home/ada/.local/share/tiledb-client/secrets.vault"``: ``key=value``
        pairs without spaces in the values, read back by :func:`recorded_location`.
        """
        return None

    def contains_many(self, keys: Collection[str]) -> frozenset[str]:
        """Return those of ``keys`` under which a secret is stored (override to ask once)."""
        return frozenset(key for key in keys if self.contains(key))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
