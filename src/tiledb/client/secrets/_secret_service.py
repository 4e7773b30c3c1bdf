"""keyring's Secret Service items (same attributes, label, collection), through secretstorage.

Why not through keyring: docs/performance.md, "Token in the Secret Service".
"""

from __future__ import annotations

import os
import sys
from contextlib import closing, contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from secretstorage.collection import Collection

__all__ = ["LABEL", "SecretServiceEntries", "direct_use_refused", "usernames"]

APPLICATION = "Python keyring library"  # keyring.backends.SecretService.Keyring.appid
LABEL = "keyring.backends.SecretService.Keyring (priority 5), through secretstorage"


def _keyringrc() -> str:
    """Where keyring looks for its configuration on Linux (``keyring.util.platform_``)."""
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")  # noqa: PTH111
    return os.path.join(root, "python_keyring", "keyringrc.cfg")  # noqa: PTH118


def direct_use_refused() -> str | None:
    """Return why keyring's own choice may not be its Secret Service backend, or ``None``."""
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


class SecretServiceEntries:
    """The entries of one service in the default collection; one D-Bus connection per call."""

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
        """Create or replace entry ``name``, deleting any other item of it (issue 21).

        ``replace=True`` matches ``application`` too: another tool's item would stay.
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
    """The ``username`` attribute of every item of ``service`` in ``collection``; no secret read.

    ``names``: the attribute names of service and user name (KeePassXC's: ``("Title",
    "UserName")``). Why all at once, with ``GetAll``: docs/performance.md.
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
