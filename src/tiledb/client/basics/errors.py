"""Error classes of the ``tiledb.client`` session API.

The three public errors subclass :class:`tiledb.TileDBError`, as the reference
API requires, so ``except tiledb.TileDBError`` catches all of them. Errors of the
secret backends subclass :class:`ConfigurationError`: a missing or locked secret
store is a configuration problem the user fixes by configuring something.

Every message is written for the person at the terminal: it says what failed and,
where there is one, what to do next. The "what to do" part may travel separately as
the error's ``hint``, set where the cause is known (a wrong passphrase knows its
source, a missing profile its name): ``str(error)`` is the problem followed by the
hint, :attr:`~ExplainedError.problem` is the problem alone, and the command line shows
them as ``Error:`` and ``Hint:``. No message ever contains a secret.
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
    "ExplainedError",
    "ClientError",
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
        What failed, as one message, e.g. ``"The passphrase from
        $TILEDB_CLIENT_PASSPHRASE does not unlock the secrets vault
        /srv/app/secrets.vault."``.
    hint : str, optional
        Keyword only. What to do, e.g. ``"Set TILEDB_CLIENT_PASSPHRASE to the passphrase
        the vault was created with."``; never a secret.

    Examples
    --------
    >>> error = ConfigurationError("No profile 'lab'.", hint="Run tiledb-client configure.")
    >>> str(error), error.problem, error.hint
    ("No profile 'lab'. Run tiledb-client configure.", "No profile 'lab'.", 'Run tiledb-client configure.')
    """  # noqa: E501 - a doctest line

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
