"""The errors of ``tiledb.client``: one tree, every class public.

::

    tiledb.TileDBError
    └── ExplainedError                 what failed (``problem``) and what to do (``hint``)
        ├── ClientError                a request or an answer of the server failed
        │   ├── RestError              ... with its HTTP ``status`` (``None``: no answer)
        │   └── WorkspacesError        (tiledb.client.workspaces) a workspace not retrieved
        ├── LoginError                 the session could not be established
        ├── ConfigurationError         a profile, a setting or a secret store is wrong
        │   └── SecretBackendError     a secret could not be stored, read or deleted
        │       ├── BackendUnavailableError   the backend cannot be used here (why)
        │       ├── SecretNotFoundError       the profile's secret is not in its backend
        │       ├── WrongPassphraseError      the passphrase does not open the vault
        │       └── VaultTamperedError        the vault was changed outside this library
        └── CliError                   (tiledb.client.cli.common) a command failed, exit 1

Every class subclasses :class:`tiledb.TileDBError`. ``str(error)`` is the problem followed
by the hint (the command line shows them as ``Error:`` and ``Hint:``); no message ever
contains a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # TileDB-Py is untyped: give mypy a base class it can see.
    class _TileDBError(Exception):
        """Stand-in for tiledb.TileDBError when type checking."""

else:
    from tiledb import TileDBError as _TileDBError

__all__ = [
    "ExplainedError",
    "ClientError",
    "RestError",
    "ConfigurationError",
    "LoginError",
    "SecretBackendError",
    "BackendUnavailableError",
    "SecretNotFoundError",
    "WrongPassphraseError",
    "VaultTamperedError",
]


class ExplainedError(_TileDBError):
    """An error that says what failed and, in :attr:`hint`, what to do about it.

    Parameters
    ----------
    *args : object
        What failed, as one message, e.g. ``"No profile 'lab'."``.
    hint : str, optional
        What to do, e.g. ``"Run tiledb-client configure."``; never a secret.
    """

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        self.hint = hint or None

    @property
    def problem(self) -> str:
        """What failed, without the hint."""
        return super().__str__()

    def __str__(self) -> str:
        problem = self.problem
        return f"{problem} {self.hint}" if self.hint and problem else problem or self.hint or ""


class ClientError(ExplainedError):
    """Raise for client-related errors."""


class RestError(ClientError):
    """A request to the server failed; :attr:`status` is the HTTP status (``None``: no answer)."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class ConfigurationError(ExplainedError):
    """Raise for errors during configuration."""


class LoginError(ExplainedError):
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
