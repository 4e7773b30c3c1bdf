"""The interface every secret backend implements.

A backend stores opaque strings under opaque string keys. It knows nothing about
profiles: :func:`secret_entry_key` turns a profile's secret id and the kind of
secret into the key, and the profile records which backend holds it.

Rules every backend follows (the conformance suite in
:mod:`tiledb.client.testing.backend_conformance` checks them):

- ``get`` of a missing key returns ``None``; ``delete`` of a missing key returns
  ``False``; neither raises.
- ``set`` replaces any previous value, atomically: after a failure the old value
  is still there.
- ``set`` refuses an empty secret (``""``) with ``ValueError`` (or a
  ``SecretBackendError``) and stores nothing: an empty value would read back as a
  credential that is not there. Any other string, with spaces, newlines or thousands
  of characters, comes back exactly as stored.
- Errors are :class:`~tiledb.client.errors.SecretBackendError` subclasses with a
  message that says what to do; they never contain the secret.
- ``probe`` is cheap, never prompts, never raises and never blocks longer than the
  backend's timeout.
- ``keys`` lists every key stored (``None`` when the backend cannot enumerate), so
  orphan secrets can be found and removed.
- ``location`` says where a new secret goes (a vault file, a Vault mount and path), for
  the profile to record as ``client.secret_store``; :func:`recorded_location` reads it
  back from the profile a key belongs to, so the secret is found again wherever the
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
        One line for people, e.g. ``"Secret Service (keyring.backends.SecretService)"``
        or ``"no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set"``.
    interactive : bool, default False
        True when it is available only by asking the person at the terminal (the
        encrypted file without a configured passphrase, on a terminal). Such a backend
        works when named, but automatic selection never picks it.
    """

    available: bool
    reason: str
    interactive: bool = False


def secret_entry_key(secret_id: str, kind: SecretKind) -> str:
    """Return the backend key of one secret of a profile.

    Parameters
    ----------
    secret_id : str
        The profile's secret id (the ``client.secret_id`` key of its profile),
        e.g. ``"default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``.
    kind : {"token", "password", "session"}
        Which secret of the profile.

    Returns
    -------
    str
        e.g. ``"token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``. Stores
        that show entries to people (Keychain Access, Seahorse) show this text.
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
    """A place that stores secrets.

    Subclasses set :attr:`name` and :attr:`description` and implement
    :meth:`probe`, :meth:`get`, :meth:`set` and :meth:`delete`. They are created
    without arguments and read their settings (environment variables) when a
    method is called, not when they are created.
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
            When ``secret`` is empty: nothing is stored (the conformance suite checks it).
        SecretBackendError
            When the store cannot be written; the old value is then still there.
        """

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Delete the secret under ``key``; return whether there was one."""

    def contains(self, key: str) -> bool:
        """Return whether a secret is stored under ``key``.

        Backends that can answer without unlocking anything override this.
        """
        return self.get(key) is not None

    def keys(self) -> list[str] | None:
        """Return the key of every secret this backend holds for us, or ``None``.

        ``None`` (the default) means the backend cannot list its entries; then
        ``tiledb-client doctor`` says that it could not look for orphan secrets (secrets
        no profile names any more) there. Listing never reads a secret, never prompts,
        and is bounded by the backend's timeout.

        Returns
        -------
        list of str or None
            e.g. ``["token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"]``.
        """
        return None

    def location(self, key: str = "") -> str | None:
        """Where the secret of ``key`` goes, for its profile to record; ``None``: nowhere.

        e.g. ``"file=/home/ada/.local/share/tiledb-client/secrets.vault"``: ``key=value``
        pairs without spaces in the values, read back by :func:`recorded_location`.
        """
        return None

    def contains_many(self, keys: Collection[str]) -> frozenset[str]:
        """Return those of ``keys`` under which a secret is stored.

        The same as :meth:`contains` for each key; backends that can answer for
        many keys at once (one file read, one connection) override this.

        Parameters
        ----------
        keys : collection of str
            e.g. the token keys of the 1,000 profiles of a profile file.
        """
        return frozenset(key for key in keys if self.contains(key))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
