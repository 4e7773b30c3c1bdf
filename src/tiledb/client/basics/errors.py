"""Error classes of the ``tiledb.client`` session API.

The three public errors subclass :class:`tiledb.TileDBError`, as the reference
API requires, so ``except tiledb.TileDBError`` catches all of them. Errors of the
secret backends subclass :class:`ConfigurationError`: a missing or locked secret
store is a configuration problem the user fixes by configuring something.

Every message is written for the person at the terminal: it says what failed and,
where there is one, what to do next. No message ever contains a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiledb.client.basics.tiledb_py import tiledb_py

if TYPE_CHECKING:
    # TileDB-Py is untyped: give mypy a base class it can see.
    class _TileDBError(Exception):
        """Stand-in for tiledb.TileDBError when type checking."""

else:
    _TileDBError = tiledb_py.TileDBError

__all__ = [
    "ClientError",
    "ConfigurationError",
    "LoginError",
    "SecretBackendError",
    "BackendUnavailableError",
    "SecretNotFoundError",
    "WrongPassphraseError",
    "VaultTamperedError",
]


class ClientError(_TileDBError):
    """Raise for client-related errors."""


class ConfigurationError(_TileDBError):
    """Raise for errors during configuration."""


class LoginError(_TileDBError):
    """Raise for errors during login."""


class SecretBackendError(ConfigurationError):
    """A secret backend could not store, read or delete a secret."""


class BackendUnavailableError(SecretBackendError):
    """A secret backend cannot be used on this machine; the message says why."""


class SecretNotFoundError(SecretBackendError):
    """A profile names a secret that its backend does not hold."""


class WrongPassphraseError(SecretBackendError):
    """The passphrase does not unlock the encrypted secrets file."""


class VaultTamperedError(SecretBackendError):
    """The encrypted secrets file was modified outside this library, or is damaged."""
