"""The ``keyring`` secret backend: the OS keyring, through the ``keyring`` library.

Entries are service ``"tiledb-client"``, user name the key. Insecure keyring choices are
refused (``_keyring_choice``); on plain Linux the Secret Service is used directly
(``_secret_service``, faster: docs/performance.md). Every call runs in a worker
thread under ``$TILEDB_CLIENT_KEYRING_TIMEOUT`` (SECURITY.md, "The keyring backend").
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar

from tiledb.client.basics.deadline import DeadlineExceeded, Lane, StillRunning, timeout_from_env
from tiledb.client.basics.logs import get_logger
from tiledb.client.errors import BackendUnavailableError, SecretBackendError
from tiledb.client.secrets._keyring_choice import (
    NEW_SECRETS_ELSEWHERE,
    Failure,
    describe,
    resolve,
)
from tiledb.client.secrets._secret_service import (
    LABEL,
    SecretServiceEntries,
    direct_use_refused,
    failure_kind,
    usernames,
)
from tiledb.client.secrets.base import Availability, SecretBackend

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Ring

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENTRY_BYTES",
    "SERVICE",
    "TIMEOUT_ENV",
    "KeyringBackend",
    "keyring_timeout",
]

logger = get_logger(__name__)
T = TypeVar("T")

SERVICE = "tiledb-client"
TIMEOUT_ENV = "TILEDB_CLIENT_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
"""Seconds. Real calls take milliseconds; an unlock prompt needs a person."""
PROBE_KEY = "probe: tiledb-client availability check"
ENTRY_BYTES = 2048
"""Largest UTF-16-LE size of one entry: Windows Credential Manager holds 2,560 bytes."""


def keyring_timeout() -> float:
    """Return ``$TILEDB_CLIENT_KEYRING_TIMEOUT`` seconds (default 10); ConfigurationError if bad."""
    return timeout_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT)


def _public(failure: Failure, action: str, key: str) -> SecretBackendError:
    """Turn ``failure`` into the public error for ``action`` (e.g. ``"read"``) on ``key``."""
    cls = BackendUnavailableError if failure.unavailable else SecretBackendError
    hint = failure.remedy
    if action == "store" and failure.unavailable:
        hint = f"{hint} {NEW_SECRETS_ELSEWHERE}"
    error = cls(
        f"The OS keyring could not {action} {key!r}: {failure.diagnosis}.", hint=hint.strip()
    )
    error.__cause__ = failure.__cause__
    return error


class _Store(Protocol):
    """The entries of our service in one store; ``names`` is ``None`` where it cannot list."""

    def get(self, name: str) -> str | None:
        """Return the entry ``name``, or ``None``."""

    def set(self, name: str, value: str) -> None:
        """Create or replace the entry ``name``."""

    def delete(self, name: str) -> bool:
        """Delete the entry ``name``; return whether it existed."""

    def names(self) -> list[str] | None:
        """Every entry name, or ``None``."""


class _Entries:
    """The entries of service ``"tiledb-client"`` in one keyring backend."""

    def __init__(self, ring: Ring) -> None:
        self.ring = ring

    def get(self, name: str) -> str | None:
        return self.ring.get_password(SERVICE, name)

    def set(self, name: str, value: str) -> None:
        self.ring.set_password(SERVICE, name, value)

    def names(self) -> list[str] | None:
        """Every entry name of the service; ``None`` but for a Secret Service.

        keyring has no listing call for Keychain, Credential Manager or KWallet.
        """
        try:
            from keyring.backends.SecretService import Keyring as SecretServiceKeyring
        except ImportError:
            return None
        rings = getattr(self.ring, "members", [self.ring])  # a SecureChain: its Secret Service
        ring = next((r for r in rings if isinstance(r, SecretServiceKeyring)), None)
        if ring is None:
            return None
        scheme = ring.schemes[ring.scheme]  # attribute names: keyring's "schemes"
        collection = ring.get_preferred_collection()  # type: ignore[no-untyped-call]
        with contextlib.closing(collection.connection):
            return usernames(collection, SERVICE, names=(scheme["service"], scheme["username"]))

    def delete(self, name: str) -> bool:
        from keyring.errors import PasswordDeleteError

        try:
            self.ring.delete_password(SERVICE, name)
        except PasswordDeleteError:
            # keyring raises this for "no such entry" and, on some platforms, real failures.
            if self.ring.get_password(SERVICE, name) is not None:
                raise
            return False
        return True


def _keyring_failure_kind(exc: BaseException) -> str:
    """Classify a ``keyring`` backend failure: ``"locked"``, ``"unreachable"`` or ``"failed"``."""
    if isinstance(exc, OSError):
        return "unreachable"
    if not type(exc).__module__.startswith("keyring"):
        return "failed"
    from keyring import errors

    if isinstance(exc, errors.KeyringLocked):
        return "locked"
    if isinstance(exc, (errors.InitError, errors.NoKeyringError)):
        return "unreachable"
    return "failed"


def _present(entries: _Store, keys: list[str]) -> frozenset[str]:
    """Those of ``keys`` with an entry: from the listing if the store has one, else read."""
    names = entries.names()
    if names is not None:
        return frozenset(set(names).intersection(keys))
    return frozenset(key for key in keys if entries.get(key) is not None)


def _mentions(exc: BaseException, secret: str) -> bool:
    return secret in f"{exc!s} {exc!r} {exc.args!r}"


class KeyringBackend(SecretBackend):
    """Secrets in the OS keyring, through the ``keyring`` library.

    Parameters
    ----------
    ring : keyring.backend.KeyringBackend, optional
        A keyring backend to use instead of detecting one; refused all the same if insecure.
    """

    name: ClassVar[str] = "keyring"
    description: ClassVar[str] = (
        "the OS keyring (Keychain, Windows Credential Manager, Secret Service, KWallet)"
    )

    def __init__(self, *, ring: Ring | None = None) -> None:
        self._given = ring
        self._entries: _Store | None = None
        self._label = ""
        self._lane = Lane()  # one keyring operation at a time per instance, never stuck behind one

    def _on_lane(self, op: Callable[[_Store], T]) -> T:
        if self._entries is None:
            refused = direct_use_refused() if self._given is None else "a keyring was given"
            if refused is None:
                self._entries, self._label = SecretServiceEntries(SERVICE), LABEL
            else:
                self._use_keyring(refused)
        if isinstance(self._entries, SecretServiceEntries):
            try:
                return op(self._entries)
            except Exception as exc:
                if failure_kind(exc) != "unreachable":
                    raise
                self._use_keyring(f"the Secret Service did not answer ({describe(exc)})")
        assert self._entries is not None  # noqa: S101 - set by _use_keyring
        return op(self._entries)

    def _use_keyring(self, why: str) -> None:
        """Let ``keyring`` choose the store (``why`` the Secret Service is not used directly)."""
        ring, label = resolve(self._given)
        logger.debug("keyring backend in use: %s (asked keyring: %s)", label, why)
        self._entries, self._label = _Entries(ring), label

    def _run(self, action: str, op: Callable[[_Store], T], secret: str | None = None) -> T:
        """Run ``op`` within the timeout; failures become a :class:`Failure`."""
        timeout = keyring_timeout()
        try:
            return self._lane.call(
                lambda: self._on_lane(op), timeout, name=f"tiledb-client keyring {action}"
            )
        except (Failure, SecretBackendError):
            raise
        except StillRunning as stuck:
            failure = Failure(
                f"{self._label or 'the OS keyring'} has not answered an earlier call"
                f" ({stuck.what.removeprefix('tiledb-client keyring ')}) for {stuck.waiting:.0f} s,"
                " so this one was not sent",
                "If it is waiting for you to unlock it, unlock it and retry; if its daemon is"
                " stopped or hung, restart it. Calls are sent again as soon as it answers.",
            )
        except DeadlineExceeded:
            failure = Failure(
                f"{self._label or 'the OS keyring'} did not answer within {timeout:g} s"
                f" (limit set by {TIMEOUT_ENV})",
                "If it is waiting for you to unlock it, unlock it and retry; if it is only slow,"
                f" allow more time with {TIMEOUT_ENV}=<seconds> (now {timeout:g}).",
            )
        except Exception as exc:
            failure = self._classify(exc, secret)
        raise failure

    def _classify(self, exc: Exception, secret: str | None) -> Failure:
        where = self._label or "the OS keyring"
        withheld = secret is not None and _mentions(exc, secret)
        detail = f"{type(exc).__name__} (details withheld: they contain the secret)"
        detail = detail if withheld else describe(exc)
        kind = failure_kind(exc) or _keyring_failure_kind(exc)
        if kind == "locked":
            failure = Failure(f"{where} is locked ({detail})", "Unlock it, then retry.")
        elif kind == "unreachable":
            failure = Failure(f"{where} cannot be reached ({detail})")
        else:
            failure = Failure(f"{where} failed ({detail})", "", unavailable=False)
            if not withheld:  # maybe a bug of ours or of keyring: keep the traceback
                logger.debug("unexpected failure of %s", where, exc_info=exc)
        failure.__cause__ = None if withheld else exc
        return failure

    def _call(self, action: str, key: str, op: Callable[[_Store], T], secret: str = "") -> T:
        try:
            return self._run(action, op, secret or None)
        except Failure as failure:
            error = _public(failure, action, key)
        raise error

    def probe(self) -> Availability:
        """Check that a secure keyring answers, with a read of a probe entry."""
        try:
            self._run("probe", lambda entries: entries.get(PROBE_KEY))
        except Failure as failure:
            return Availability(available=False, reason=failure.diagnosis)
        except Exception as exc:  # a probe never raises; a bug is still worth a traceback
            logger.debug("keyring probe failed unexpectedly", exc_info=True)
            return Availability(available=False, reason=describe(exc))
        return Availability(available=True, reason=self._label)

    def get(self, key: str) -> str | None:
        """Return the secret under ``key``, or ``None``."""
        return self._call("read", key, lambda entries: entries.get(key))

    def set(self, key: str, secret: str) -> None:
        """Store ``secret`` under ``key``; ``ValueError`` if empty or over :data:`ENTRY_BYTES`."""
        if not secret:
            raise ValueError("Refusing to store an empty secret.")
        size = len(secret.encode("utf-16-le", "surrogatepass"))
        if size > ENTRY_BYTES:
            raise ValueError(
                f"The secret is too long for an OS keyring entry: {size} bytes of UTF-16,"
                f" at most {ENTRY_BYTES} fit (Windows Credential Manager's limit)."
            )
        self._call("store", key, lambda entries: entries.set(key, secret), secret)

    def contains_many(self, keys: Collection[str]) -> frozenset[str]:
        """Return those of ``keys`` that have an entry, in one call of the keyring."""
        wanted = list(keys)
        return self._call(
            "search", f"{len(wanted)} entries", lambda entries: _present(entries, wanted)
        )

    def delete(self, key: str) -> bool:
        """Delete the secret under ``key``; return whether it existed."""
        return self._call("delete", key, lambda entries: entries.delete(key))

    def keys(self) -> list[str] | None:
        """Return the keys of our secrets, sorted; ``None`` unless a Secret Service."""
        names = self._call("list the entries of", SERVICE, lambda entries: entries.names())
        if names is None:
            return None
        return sorted({name for name in names if name})

    def __repr__(self) -> str:
        return f"<KeyringBackend {self.name!r} {self._label or '(not resolved yet)'}>"
