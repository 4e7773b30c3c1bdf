"""Plugins behind a guard: a plugin's bug becomes a :class:`SecretBackendError`, never a crash.

The registry wraps every plugin in :class:`GuardedPlugin`. The plugin's own message is
not repeated (it could quote a secret); its traceback is logged at debug level, except
for ``set``, whose exception may carry the secret.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

from tiledb.client.basics.logs import get_logger
from tiledb.client.errors import SecretBackendError
from tiledb.client.secrets.base import Availability, SecretBackend

__all__ = ["GuardedPlugin"]

logger = get_logger(__name__)
T = TypeVar("T")


class GuardedPlugin(SecretBackend):
    """``plugin``, loaded from ``target`` (``"pkg.mod:Class"``), behind the guard."""

    def __init__(self, plugin: SecretBackend, target: str) -> None:
        self.plugin, self.target = plugin, target
        self.name = plugin.name  # type: ignore[misc]
        self.description = plugin.description  # type: ignore[misc]

    def _guard(self, action: str, call: Callable[[], T], *, traceback: bool = True) -> T:
        try:
            return call()
        except SecretBackendError:
            raise  # the documented error, whose message a plugin writes for people
        except Exception as exc:  # ValueError too: only the class is shown, never the text
            logger.debug(
                "secret backend plugin %r (%s) raised in %s",
                self.name,
                self.target,
                action,
                exc_info=exc if traceback else None,
            )
            raise SecretBackendError(
                f"The secret backend plugin {self.name!r} ({self.target}) failed to {action}:"
                f" {type(exc).__name__}. This is a bug in the plugin; its traceback is logged"
                " at debug level (tiledb-client --verbose)."
            ) from None

    def probe(self) -> Availability:
        """The plugin's probe; one that raises reports the plugin unavailable."""
        try:
            return self.plugin.probe()
        except Exception as exc:
            logger.debug("probe of secret backend plugin %r raised", self.name, exc_info=exc)
            return Availability(False, f"its probe failed ({type(exc).__name__})")

    def get(self, key: str) -> str | None:
        """The plugin's ``get``."""
        return self._guard(f"read {key!r}", lambda: self.plugin.get(key))

    def set(self, key: str, secret: str) -> None:
        """The plugin's ``set`` (its traceback is not logged: it may carry ``secret``)."""
        if not secret:  # the interface's rule, checked here: a plugin's ValueError is a bug
            raise ValueError("an empty secret cannot be stored")
        self._guard(f"store {key!r}", lambda: self.plugin.set(key, secret), traceback=False)

    def delete(self, key: str) -> bool:
        """The plugin's ``delete``."""
        return self._guard(f"delete {key!r}", lambda: self.plugin.delete(key))

    def contains(self, key: str) -> bool:
        """The plugin's ``contains``."""
        return self._guard(f"look up {key!r}", lambda: self.plugin.contains(key))

    def contains_many(self, keys: Collection[str]) -> frozenset[str]:
        """The plugin's ``contains_many``."""
        return self._guard(f"look up {len(keys)} entries", lambda: self.plugin.contains_many(keys))

    def location(self, key: str = "") -> str | None:
        """The plugin's ``location``."""
        return self._guard("say where it stores", lambda: self.plugin.location(key))

    def keys(self) -> list[str] | None:
        """The plugin's ``keys``."""
        return self._guard("list its entries", self.plugin.keys)

    def __repr__(self) -> str:
        return f"<GuardedPlugin {self.name!r} {self.target}>"
