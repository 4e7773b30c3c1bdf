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
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from secretstorage.collection import Collection

__all__ = ["LABEL", "SecretServiceEntries", "direct_use_refused", "failure_kind", "usernames"]

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

    Every call goes through ``secretstorage``'s own API (connection, collection,
    search, the encrypted session and the secret's decryption are all its code).
    Each operation opens its own D-Bus connection (as keyring does), so nothing
    outlives it and a fork cannot share it.
    """

    def __init__(self, service: str) -> None:
        self.service = service

    def _query(self, name: str) -> dict[str, str]:
        return {"username": name, "service": self.service}

    @contextmanager
    def _collection(self) -> Iterator[Collection]:
        """The unlocked default collection (created if missing), as keyring's backend gets it."""
        import secretstorage

        with closing(secretstorage.dbus_init()) as connection:
            collection = secretstorage.get_default_collection(connection)
            if collection.is_locked():
                collection.unlock()  # shows the keyring's unlock prompt, if there is one
                if collection.is_locked():
                    from secretstorage.exceptions import LockedException

                    raise LockedException("Failed to unlock the collection!")
            yield collection

    def get(self, name: str) -> str | None:
        """Return the secret of entry ``name``, or ``None``."""
        with self._collection() as collection:
            for item in collection.search_items(self._query(name)):
                return item.get_secret().decode("utf-8")
        return None

    def names(self) -> list[str]:
        """Every entry name of the service, from the items' attributes (no secret is read)."""
        with self._collection() as collection:
            return usernames(collection, self.service)

    def set(self, name: str, value: str) -> None:
        """Create or replace entry ``name``.

        ``replace=True`` replaces an item only when every attribute matches, ``application``
        included: an item of the entry written without it (by another tool) would stay,
        and ``get`` could find it first. So any other item of the entry is deleted.
        """
        attributes = {**self._query(name), "application": APPLICATION}
        label = f"Password for '{name}' on '{self.service}'"
        with self._collection() as collection:
            item = collection.create_item(label, attributes, value.encode("utf-8"), replace=True)
            for other in collection.search_items(self._query(name)):
                if other.item_path != item.item_path:
                    other.delete()

    def delete(self, name: str) -> bool:
        """Delete entry ``name`` (the first match, as keyring); return whether there was one."""
        with self._collection() as collection:
            for item in collection.search_items(self._query(name)):
                item.delete()
                return True
        return False


def usernames(
    collection: Collection,
    service: str,
    *,
    names: tuple[str, str] = ("service", "username"),
    timeout: float = 30.0,
) -> list[str]:
    """The ``username`` attribute of every item of ``service`` in ``collection``.

    ``names`` are the attribute names of the service and the user name (keyring's
    scheme: ``("Title", "UserName")`` for KeePassXC's).

    One ``SearchItems`` call, then every item's properties asked for at once and the
    answers read as they come (``secretstorage`` makes two calls per item, one after
    another: 1,000 profiles cost seconds). No secret is read.

    Each item is asked ``Properties.GetAll``, never ``Properties.Get``: gnome-keyring's
    getter returns nothing, with no error, once the caller's client record is gone
    (the caller disconnected, or the daemon handled its disconnection first), and
    GLib's ``Get`` handler aborts the whole daemon on that (``g_assert (error !=
    NULL)`` in ``invoke_get_property_in_idle_cb``), while its ``GetAll`` handler
    leaves such a value out. A thousand pending ``Get`` calls are a thousand chances.
    """
    from jeepney import DBusAddress, MessageType, Properties, new_method_call
    from jeepney.low_level import HeaderFields

    bus, connection = "org.freedesktop.secrets", collection.connection
    service_key, username_key = names
    search = DBusAddress(collection.collection_path, bus, "org.freedesktop.Secret.Collection")
    reply = connection.send_and_get_reply(
        new_method_call(search, "SearchItems", "a{ss}", ({service_key: service},))
    )
    paths: list[str] = list(reply.body[0])
    asked: dict[int, str] = {}
    for path in paths:
        serial = next(connection.outgoing_serial)
        item = DBusAddress(path, bus, "org.freedesktop.Secret.Item")
        connection.send(Properties(item).get_all(), serial=serial)
        asked[serial] = path
    found: dict[str, str] = {}
    while asked:
        message = connection.receive(timeout=timeout)
        answered = asked.pop(message.header.fields.get(HeaderFields.reply_serial, -1), "")
        if answered and message.header.message_type == MessageType.method_return:
            attributes = dict(message.body[0].get("Attributes", ("a{ss}", []))[1])
            if attributes.get(service_key) == service:
                found[answered] = str(attributes.get(username_key, ""))
    return [found[path] for path in paths if path in found]
