"""keyring's Secret Service entries, read and written with ``secretstorage`` alone.

On Linux, ``keyring`` picks its ``SecretService`` backend unless something says
otherwise, and that backend is a thin layer over ``secretstorage``: an entry is
an item of the default collection with the attributes ``{"username": <key>,
"service": "tiledb-client", "application": "Python keyring library"}`` and the
label ``Password for '<key>' on 'tiledb-client'``. This module keeps exactly
that layout with ``secretstorage`` directly, because importing ``keyring`` costs
more than the rest of a login (its ``jaraco.context`` imports ``urllib.request``,
``http.client``, ``email`` and ``ssl``, and its backend discovery scans every
installed package's entry points).

:func:`direct_use_refused` says when this shortcut is not keyring's own choice,
so the caller must ask ``keyring`` (with all its refusals of insecure stores):
``PYTHON_KEYRING_BACKEND``, a ``keyringrc.cfg``, ``KEYRING_PROPERTY_*`` settings,
a KDE session (where keyring prefers KWallet), or no D-Bus session bus.
"""

from __future__ import annotations

import os
import sys
from contextlib import closing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jeepney.io.blocking import DBusConnection
    from secretstorage.collection import Collection
    from secretstorage.dhcrypto import Session

__all__ = ["LABEL", "SecretServiceEntries", "direct_use_refused", "failure_kind"]

APPLICATION = "Python keyring library"  # keyring.backends.SecretService.Keyring.appid
LABEL = "keyring.backends.SecretService.Keyring (priority 5), through secretstorage"


def _keyringrc() -> str:
    """Where keyring looks for its configuration on Linux (``keyring.util.platform_``)."""
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")  # noqa: PTH111
    return os.path.join(root, "python_keyring", "keyringrc.cfg")  # noqa: PTH118


def direct_use_refused() -> str | None:
    """Return why keyring's own choice may not be its Secret Service backend, or ``None``.

    Returns
    -------
    str or None
        e.g. ``"PYTHON_KEYRING_BACKEND is set"``; ``None`` when keyring, asked,
        would use ``keyring.backends.SecretService.Keyring`` (or find no secure store).
    """
    if not sys.platform.startswith("linux"):
        return f"the platform is {sys.platform}"
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return "PYTHON_KEYRING_BACKEND is set"
    if any(name.startswith("KEYRING_PROPERTY_") for name in os.environ):
        return "KEYRING_PROPERTY_* settings are set"
    if "KDE" in os.environ.get("XDG_CURRENT_DESKTOP", "").upper().split(":"):
        return "a KDE session, where keyring prefers KWallet"
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session bus"
    if os.path.exists(_keyringrc()):  # noqa: PTH110
        return f"{_keyringrc()} exists"
    return None


def failure_kind(exc: BaseException) -> str | None:
    """Classify a ``secretstorage`` failure: ``"locked"``, ``"unreachable"``, ``"failed"``.

    An ``OSError`` (no socket, connection refused) is ``"unreachable"``; ``None``
    for any other exception that does not come from ``secretstorage``.
    """
    if isinstance(exc, OSError):
        return "unreachable"
    if not type(exc).__module__.startswith("secretstorage"):
        return None
    from secretstorage import exceptions

    if isinstance(exc, (exceptions.LockedException, exceptions.PromptDismissedException)):
        return "locked"
    if isinstance(exc, exceptions.SecretServiceNotAvailableException):
        return "unreachable"
    return "failed"


class SecretServiceEntries:
    """The entries of one service in the default collection, as keyring keeps them.

    Each operation opens its own D-Bus connection (as keyring does), so nothing
    outlives it and a fork cannot share it.
    """

    def __init__(self, service: str) -> None:
        self.service = service

    @staticmethod
    def _unlocked(collection: Collection) -> Collection:
        if collection.is_locked():
            collection.unlock()  # shows the keyring's unlock prompt, if there is one
            if collection.is_locked():
                from secretstorage.exceptions import LockedException

                raise LockedException("Failed to unlock the collection!")
        return collection

    def _query(self, name: str) -> dict[str, str]:
        return {"username": name, "service": self.service}

    def get(self, name: str) -> str | None:
        """Return the secret of entry ``name``, or ``None``.

        As keyring's ``get_password``, in two round trips after connecting: one
        batch asks whether the default collection is locked, searches it and opens
        an encrypted session (Diffie-Hellman); then the secret is fetched. A locked
        or missing default collection takes keyring's way (unlock prompt, creation).
        """
        from jeepney.io.blocking import open_dbus_connection
        from secretstorage.exceptions import SecretServiceNotAvailableException

        try:
            connection = open_dbus_connection()
        except KeyError as exc:  # DBUS_SESSION_BUS_ADDRESS unset
            raise SecretServiceNotAvailableException(f"{exc.args[0]} is unset") from exc
        except (ConnectionError, ValueError) as exc:  # as secretstorage.dbus_init
            raise SecretServiceNotAvailableException(str(exc)) from exc
        with closing(connection):
            found = _search_unlocked(connection, self._query(name))
            if found is None:
                return self._get_after_unlock(name)
            paths, session = found
            for path in paths:
                return _secret_of(connection, path, session).decode("utf-8")
        return None

    def _get_after_unlock(self, name: str) -> str | None:
        """``get`` through secretstorage's collection, which unlocks (or creates) it."""
        import secretstorage
        from secretstorage.util import open_session

        with closing(secretstorage.dbus_init()) as connection:
            collection = self._unlocked(secretstorage.get_default_collection(connection))
            for item in collection.search_items(self._query(name)):
                return _secret_of(connection, item.item_path, open_session(connection)).decode(
                    "utf-8"
                )
        return None

    def names(self) -> list[str]:
        """Every entry name of the service, without reading any secret.

        One connection: the service's items are listed, and their attributes asked
        for in batches of :data:`_BATCH` pipelined calls.
        """
        import secretstorage
        from secretstorage.collection import COLLECTION_IFACE
        from secretstorage.util import DBusAddressWrapper

        with closing(secretstorage.dbus_init()) as connection:
            collection = self._unlocked(secretstorage.get_default_collection(connection))
            wrapper = DBusAddressWrapper(collection.collection_path, COLLECTION_IFACE, connection)
            (paths,) = wrapper.call("SearchItems", "a{ss}", {"service": self.service})
            return [
                attributes.get("username", "")
                for attributes in _attributes(connection, list(paths))
                if attributes.get("service") == self.service
            ]

    def set(self, name: str, value: str) -> None:
        """Create or replace entry ``name``."""
        import secretstorage

        attributes = {**self._query(name), "application": APPLICATION}
        label = f"Password for '{name}' on '{self.service}'"
        with closing(secretstorage.dbus_init()) as connection:
            collection = self._unlocked(secretstorage.get_default_collection(connection))
            collection.create_item(label, attributes, value.encode("utf-8"), replace=True)

    def delete(self, name: str) -> bool:
        """Delete entry ``name`` (the first match, as keyring); return whether there was one."""
        import secretstorage

        with closing(secretstorage.dbus_init()) as connection:
            collection = self._unlocked(secretstorage.get_default_collection(connection))
            for item in collection.search_items(self._query(name)):
                item.delete()
                return True
        return False


_BATCH = 128
"""Calls sent before their answers are read (the session bus allows thousands)."""


def _attributes(connection: DBusConnection, paths: list[str]) -> Iterator[dict[str, str]]:
    """The attributes of each item, asked in pipelined batches on one connection."""
    from jeepney import DBusAddress, HeaderFields, MessageType, Properties
    from secretstorage.item import ITEM_IFACE
    from secretstorage.util import BUS_NAME

    for start in range(0, len(paths), _BATCH):
        pending = set()
        for path in paths[start : start + _BATCH]:
            serial = next(connection.outgoing_serial)
            address = DBusAddress(path, bus_name=BUS_NAME, interface=ITEM_IFACE)
            connection.send(Properties(address).get("Attributes"), serial=serial)
            pending.add(serial)
        while pending:
            reply = connection.receive(timeout=30)
            serial = reply.header.fields.get(HeaderFields.reply_serial)
            if serial not in pending:
                continue  # a signal, or a late answer to nothing of ours
            pending.discard(serial)
            if reply.header.message_type == MessageType.method_return:
                _, value = reply.body[0]
                yield dict(value)


def _search_unlocked(
    connection: DBusConnection, query: dict[str, str]
) -> tuple[list[str], Session] | None:
    """Search the default collection and open a session, pipelined in one round trip.

    Returns ``None`` when the default collection is locked, or the batch fails (no
    default collection, no Secret Service): the caller then takes keyring's way,
    which unlocks or creates the collection, or reports the failure.
    """
    from jeepney import MessageType, Properties, new_method_call
    from secretstorage.collection import COLLECTION_IFACE, DEFAULT_COLLECTION
    from secretstorage.defines import ALGORITHM_DH, SS_PATH
    from secretstorage.dhcrypto import Session
    from secretstorage.util import SERVICE_IFACE, DBusAddressWrapper, open_session

    collection = DBusAddressWrapper(DEFAULT_COLLECTION, COLLECTION_IFACE, connection)
    service = DBusAddressWrapper(SS_PATH, SERVICE_IFACE, connection)
    session = Session()  # our Diffie-Hellman key pair
    public_key = ("ay", session.my_public_key.to_bytes(128, "big"))
    locked, search, opened = _pipelined(
        connection,
        [
            Properties(collection).get("Locked"),
            new_method_call(collection, "SearchItems", "a{ss}", (query,)),
            new_method_call(service, "OpenSession", "sv", (ALGORITHM_DH, public_key)),
        ],
    )
    if any(reply.header.message_type == MessageType.error for reply in (locked, search)):
        return None  # no default collection, no service, ...: keyring's way says which
    if locked.body[0][1]:
        return None
    if opened.header.message_type == MessageType.error:
        session = open_session(connection)  # e.g. a service without the DH algorithm
    else:
        (_, server_key), path = opened.body
        session.set_server_public_key(int.from_bytes(server_key, "big"))
        session.object_path = path
    return list(search.body[0]), session


def _pipelined(connection: DBusConnection, messages: list[Any]) -> list[Any]:
    """Send ``messages`` at once; return their replies, in order."""
    from jeepney import HeaderFields

    serials = []
    for message in messages:
        serial = next(connection.outgoing_serial)
        connection.send(message, serial=serial)
        serials.append(serial)
    replies: dict[int, Any] = {}
    while len(replies) < len(serials):
        reply = connection.receive(timeout=None)  # bounded by the backend's deadline
        serial = reply.header.fields.get(HeaderFields.reply_serial)
        if serial in serials:
            replies[serial] = reply
    return [replies[serial] for serial in serials]


def _secret_of(connection: DBusConnection, item_path: str, session: Session) -> bytes:
    """The secret of an item of an unlocked collection (``secretstorage.Item.get_secret``)."""
    from secretstorage.item import ITEM_IFACE
    from secretstorage.util import DBusAddressWrapper

    item = DBusAddressWrapper(item_path, ITEM_IFACE, connection)
    (secret,) = item.call("GetSecret", "o", session.object_path)
    if not session.encrypted:  # a Secret Service without the DH algorithm
        return bytes(secret[2])
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    assert session.aes_key is not None  # noqa: S101 - set with the server's public key
    decryptor = Cipher(algorithms.AES(session.aes_key), modes.CBC(bytes(secret[1]))).decryptor()
    padded = decryptor.update(bytes(secret[2])) + decryptor.finalize()
    return padded[: -padded[-1]]
