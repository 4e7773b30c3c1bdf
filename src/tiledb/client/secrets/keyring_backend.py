"""The ``keyring`` secret backend: the OS keyring, through the ``keyring`` library.

Entries are service ``"tiledb-client"``, user name the key. keyring's own choice of store
is made afresh per instance, and refused when insecure (SECURITY.md, "Refused keyring
backends"); on plain Linux the Secret Service is used directly (``_secret_service``:
docs/performance.md, "Token in the Secret Service"). Every call runs in a worker thread
under ``$TILEDB_CLIENT_KEYRING_TIMEOUT`` and is never queued behind a hung one
(docs/performance.md, "Keyring calls that hang"). ``keyring`` is imported on first use.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from tiledb.client.basics.deadline import timeout_from_env
from tiledb.client.basics.logs import get_logger
from tiledb.client.errors import BackendUnavailableError, SecretBackendError
from tiledb.client.secrets._secret_service import LABEL, SecretServiceEntries, direct_use_refused
from tiledb.client.secrets._secret_service import usernames as secret_service_usernames
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
NEW_SECRETS_ELSEWHERE = (
    "Or store new secrets in the encrypted file: --backend encrypted-file (or"
    " TILEDB_CLIENT_SECRET_BACKEND=encrypted-file) with TILEDB_CLIENT_PASSPHRASE or"
    " TILEDB_CLIENT_PASSPHRASE_FILE."
)
_NATIVE = {
    "linux": "keyring.backends.SecretService.Keyring",
    "darwin": "keyring.backends.macOS.Keyring",
    "win32": "keyring.backends.Windows.WinVaultKeyring",
}
_NOT_SECURE = {
    "keyring.backends.fail.Keyring": "it fails every call (keyring found no usable store)",
    "keyring.backends.null.Keyring": "it silently stores nothing",
}


def keyring_timeout() -> float:
    """Return ``$TILEDB_CLIENT_KEYRING_TIMEOUT`` seconds (default 10); ConfigurationError if bad."""
    return timeout_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT)


def _reach_remedy() -> str:
    """Say how to reach this platform's keyring, e.g. from an SSH session without D-Bus."""
    if sys.platform == "linux" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return (
            "There is no D-Bus session bus here (as over SSH or in a container): run the"
            " command in your desktop session, or set DBUS_SESSION_BUS_ADDRESS to that"
            " session's bus (usually unix:path=/run/user/<uid>/bus) with its keyring unlocked."
        )
    if sys.platform == "linux":
        return (
            "Start and unlock a Secret Service (such as gnome-keyring or KeePassXC) on the"
            " D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS."
        )
    return "Unlock the OS keyring (Keychain, Windows Credential Manager) and retry."


class Failure(Exception):  # noqa: N818 - internal; becomes a public error or a reason
    """Why a keyring operation failed, and what to do; ``unavailable``: the keyring as a whole."""

    def __init__(
        self, diagnosis: str, remedy: str | None = None, *, unavailable: bool = True
    ) -> None:
        super().__init__(diagnosis)
        self.diagnosis, self.unavailable = diagnosis, unavailable
        self.remedy = _reach_remedy() if remedy is None else remedy

    def public(self, action: str, key: str) -> SecretBackendError:
        """Return the public error for ``action`` (e.g. ``"read"``) on ``key``."""
        cls = BackendUnavailableError if self.unavailable else SecretBackendError
        hint = self.remedy
        if action == "store" and self.unavailable:
            hint = f"{hint} {NEW_SECRETS_ELSEWHERE}"
        error = cls(
            f"The OS keyring could not {action} {key!r}: {self.diagnosis}.", hint=hint.strip()
        )
        error.__cause__ = self.__cause__
        return error


def _describe(exc: BaseException) -> str:
    """Return ``exc`` in one line, e.g. ``"InitError: Failed to unlock the collection"``."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _failure_kind(exc: BaseException) -> str:
    """Classify a failure of keyring or secretstorage: "locked", "unreachable" or "failed"."""
    if isinstance(exc, OSError):
        return "unreachable"
    module = type(exc).__module__
    if module.startswith("secretstorage"):
        from secretstorage import exceptions

        locked: Any = (exceptions.LockedException, exceptions.PromptDismissedException)
        unreachable: Any = exceptions.SecretServiceNotAvailableException
    elif module.startswith("keyring"):
        from keyring import errors

        locked, unreachable = errors.KeyringLocked, (errors.InitError, errors.NoKeyringError)
    else:
        return "failed"
    if isinstance(exc, locked):
        return "locked"
    return "unreachable" if isinstance(exc, unreachable) else "failed"


def _name(ring: Ring) -> str:
    return f"{type(ring).__module__}.{type(ring).__qualname__}"


def _label(ring: Ring) -> str:
    return f"{_name(ring)} (priority {ring.priority:g})"


def _insecurity(ring: Ring) -> str | None:
    name = _name(ring)
    if name in _NOT_SECURE:
        return _NOT_SECURE[name]
    if "plaintext" in name.lower():
        return "it stores secrets in a plain file"
    if ring.priority < 1:
        return "its priority is below 1, so keyring itself does not recommend it"
    return None


def _native_problem() -> str:
    """Say why this platform's own keyring is not in use, or ``""``."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if sys.platform == "linux" and not address:
        return "; no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS not set)"
    target = _NATIVE.get(sys.platform)
    if target is None:
        return ""
    module, _, name = target.rpartition(".")
    try:
        getattr(importlib.import_module(module), name).priority  # noqa: B018 - raises if unusable
    except Exception as exc:
        where = f" on the D-Bus session bus {address}" if address else ""
        return f"; {target} is not usable{where}: {_describe(exc)}"
    return ""


def _choose(given: Ring | None) -> tuple[list[Ring], str]:
    """Return the keyring backends to use (``given``, else keyring's choice) and their label."""
    try:
        from keyring import backend, core
        from keyring.backends.chainer import ChainerBackend
    except ImportError as exc:
        raise Failure("the keyring library is not installed (pip install keyring)") from exc
    with contextlib.suppress(KeyError):  # keyring keeps its backends for the process: rebuild
        backend.get_all_keyring.reset()
    if given is not None:
        ring, source = given, "the given keyring backend is"
    else:
        env = os.environ.get("PYTHON_KEYRING_BACKEND")
        source = f"PYTHON_KEYRING_BACKEND={env}" if env else "keyring's config file keyringrc.cfg"
        try:
            configured = core.load_env() if env else core.load_config()
        except Exception as exc:
            why = f"{source} names a backend that cannot be used: {_describe(exc)}"
            raise Failure(why) from exc
        source = f"{source} selects"
        if configured is None:  # keyring's own rule: the highest priority
            configured = max(backend.get_all_keyring(), key=backend.by_priority)  # with fail's
            source = "keyring chose"
        ring = configured
    if isinstance(ring, ChainerBackend):
        members: list[Ring] = ChainerBackend.backends  # positive priority, highest first
        secure = [member for member in members if _insecurity(member) is None]
        if len(secure) == 1:
            return secure, f"{_label(secure[0])}, via keyring's ChainerBackend"
        if secure:
            return secure, f"keyring's ChainerBackend of {', '.join(map(_label, secure))}"
        raise Failure(
            f"{source} keyring's ChainerBackend, refused because it chains only insecure stores:"
            f" {', '.join(map(_label, members)) or 'nothing'}{_native_problem()}"
        )
    try:
        problem = _insecurity(ring)
    except Exception as exc:
        raise Failure(f"{source} {_name(ring)}, not usable here: {_describe(exc)}") from exc
    if problem is not None:
        raise Failure(f"{source} {_label(ring)}, refused because {problem}{_native_problem()}")
    return [ring], _label(ring)


class _Entries:
    """The entries of service ``"tiledb-client"`` in keyring backends, highest priority first.

    Several: the secure members of keyring's ChainerBackend, where, as in keyring's, one
    raising ``NotImplementedError`` (serving other services only, such as Google Artifact
    Registry's) is skipped.
    """

    def __init__(self, rings: list[Ring]) -> None:
        self.rings = rings
        self._skipped: tuple[type[Exception], ...] = (NotImplementedError,) * (len(rings) > 1)

    def get(self, name: str) -> str | None:
        for ring in self.rings:
            with contextlib.suppress(*self._skipped):
                value = ring.get_password(SERVICE, name)
                if value is not None:
                    return value
        return None

    def set(self, name: str, value: str) -> None:
        for ring in self.rings:
            with contextlib.suppress(*self._skipped):
                return ring.set_password(SERVICE, name, value)
        raise NotImplementedError("no secure keyring backend of the chain stores passwords")

    def names(self) -> list[str] | None:
        """Every entry name, from a Secret Service; ``None`` elsewhere (keyring cannot list)."""
        try:
            from keyring.backends.SecretService import Keyring as SecretServiceKeyring
        except ImportError:
            return None
        ring = next((r for r in self.rings if isinstance(r, SecretServiceKeyring)), None)
        if ring is None:
            return None
        scheme = ring.schemes[ring.scheme]  # attribute names: keyring's "schemes"
        collection = ring.get_preferred_collection()  # type: ignore[no-untyped-call]
        with contextlib.closing(collection.connection):
            names = (scheme["service"], scheme["username"])
            return secret_service_usernames(collection, SERVICE, names=names)

    def delete(self, name: str) -> bool:
        from keyring.errors import PasswordDeleteError

        error: Exception | None = None
        failures: tuple[type[Exception], ...] = (*self._skipped, PasswordDeleteError)
        for ring in self.rings:
            try:
                ring.delete_password(SERVICE, name)
            except failures as exc:
                error = exc
                continue
            return True
        # keyring raises PasswordDeleteError for "no such entry", and for some real failures.
        if error is not None and self.get(name) is not None:
            raise error
        return False


_Store = _Entries | SecretServiceEntries


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
        self._state = threading.Condition()  # one call at a time; never queued behind a hung one
        self._busy = False
        self._stuck: tuple[str, float] | None = None  # (action, start) of a call past its limit

    def _on_worker(self, op: Callable[[_Store], T]) -> T:
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
                if _failure_kind(exc) != "unreachable":
                    raise
                self._use_keyring(f"the Secret Service did not answer ({_describe(exc)})")
        assert self._entries is not None  # noqa: S101 - set by _use_keyring
        return op(self._entries)

    def _use_keyring(self, why: str) -> None:
        """Let ``keyring`` choose the store (``why`` the Secret Service is not used directly)."""
        rings, label = _choose(self._given)
        logger.debug("keyring backend in use: %s (asked keyring: %s)", label, why)
        self._entries, self._label = _Entries(rings), label

    def _still_waiting(self) -> Failure:
        action, since = self._stuck or ("", 0.0)
        return Failure(
            f"{self._label or 'the OS keyring'} has not answered an earlier call ({action})"
            f" for {time.monotonic() - since:.0f} s, so this one was not sent",
            "If it is waiting for you to unlock it, unlock it and retry; if its daemon is"
            " stopped or hung, restart it. Calls are sent again as soon as it answers.",
        )

    def _late(self, timeout: float) -> Failure:
        return Failure(
            f"{self._label or 'the OS keyring'} did not answer within {timeout:g} s"
            f" (limit set by {TIMEOUT_ENV})",
            "If it is waiting for you to unlock it, unlock it and retry; if it is only slow,"
            f" allow more time with {TIMEOUT_ENV}=<seconds> (now {timeout:g}).",
        )

    def _run(self, action: str, op: Callable[[_Store], T], secret: str | None = None) -> T:
        """Run ``op`` in a worker thread within the timeout; failures become a :class:`Failure`."""
        timeout = keyring_timeout()
        end = time.monotonic() + timeout
        with self._state:
            while self._busy and self._stuck is None:
                if end <= time.monotonic():
                    raise self._late(timeout)
                self._state.wait(end - time.monotonic())
            if self._stuck is not None:
                raise self._still_waiting()
            self._busy = True
        done, outcome = threading.Event(), dict[str, Any]()

        def work() -> None:
            try:
                outcome["value"] = self._on_worker(op)
            except BaseException as exc:
                outcome["error"] = exc
            finally:
                with self._state:
                    self._busy, self._stuck = False, None
                    done.set()
                    self._state.notify_all()

        started = time.monotonic()
        try:
            threading.Thread(
                target=work, name=f"tiledb-client keyring {action}", daemon=True
            ).start()
        except BaseException:
            with self._state:
                self._busy = False
                self._state.notify_all()
            raise
        if not done.wait(max(0.0, end - time.monotonic())):
            with self._state:
                if not done.is_set():
                    self._stuck = (action, started)
                    self._state.notify_all()
                    raise self._late(timeout)
        error = outcome.pop("error", None)
        if error is None:
            return outcome["value"]  # type: ignore[no-any-return]
        if isinstance(error, (Failure, SecretBackendError)) or not isinstance(error, Exception):
            raise error
        raise self._classify(error, secret)

    def _classify(self, exc: Exception, secret: str | None) -> Failure:
        where = self._label or "the OS keyring"
        withheld = secret is not None and secret in f"{exc!s} {exc!r} {exc.args!r}"
        detail = f"{type(exc).__name__} (details withheld: they contain the secret)"
        detail = detail if withheld else _describe(exc)
        kind = _failure_kind(exc)
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
            error = failure.public(action, key)
        raise error

    def probe(self) -> Availability:
        """Check that a secure keyring answers, with a read of a probe entry."""
        try:
            self._run("probe", lambda entries: entries.get(PROBE_KEY))
        except Failure as failure:
            return Availability(available=False, reason=failure.diagnosis)
        except Exception as exc:  # a probe never raises; a bug is still worth a traceback
            logger.debug("keyring probe failed unexpectedly", exc_info=True)
            return Availability(available=False, reason=_describe(exc))
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

        def present(entries: _Store) -> frozenset[str]:
            names = entries.names()
            if names is not None:
                return frozenset(set(names).intersection(wanted))
            return frozenset(key for key in wanted if entries.get(key) is not None)

        return self._call("search", f"{len(wanted)} entries", present)

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
