"""The ``keyring`` secret backend: the OS keyring, through the ``keyring`` library.

Keychain on macOS, Credential Manager on Windows, a Secret Service (gnome-keyring,
KeePassXC) or KWallet on Linux. Entries use the service name ``"tiledb-client"``
and the key as the user name, so a Secret Service shows the label
``Password for 'token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]' on
'tiledb-client'``. Secrets too long for one entry are split (see ``_chunks``).

The keyring backend is chosen the way ``keyring`` chooses it
(``$PYTHON_KEYRING_BACKEND``, then ``keyringrc.cfg``, then the highest priority),
but afresh for each :class:`KeyringBackend` instance rather than from keyring's
process-wide cache, and insecure choices are refused: keyring's ``fail`` and
``null`` backends, plaintext stores, anything of priority below 1 (keyring's own
threshold for "recommended"), and a ``ChainerBackend`` with no secure member
(with one, its highest-priority secure member is used directly, so nothing is
ever read from or written to a plaintext store it also chains).

Every operation, backend detection included, runs in a worker thread and is
abandoned after ``$TILEDB_CLIENT_KEYRING_TIMEOUT`` seconds (default
:data:`DEFAULT_TIMEOUT`). ``keyring`` is imported on first use, never at import.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from tiledb.client.errors import BackendUnavailableError, SecretBackendError
from tiledb.client.secrets import _chunks
from tiledb.client.secrets._deadline import (
    DeadlineExceeded,
    call_with_deadline,
    timeout_from_env,
)
from tiledb.client.secrets.base import Availability, SecretBackend

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Ring

__all__ = ["DEFAULT_TIMEOUT", "SERVICE", "TIMEOUT_ENV", "KeyringBackend", "keyring_timeout"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

SERVICE = "tiledb-client"
TIMEOUT_ENV = "TILEDB_CLIENT_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
"""Seconds. Real calls take milliseconds; an unlock prompt needs a person."""
PROBE_KEY = "probe: tiledb-client availability check"

_REMEDY = (
    "Start and unlock an OS keyring (on Linux a Secret Service such as gnome-keyring on the"
    " D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS), or use the encrypted file:"
    " TILEDB_CLIENT_SECRET_BACKEND=encrypted-file with TILEDB_CLIENT_PASSPHRASE or"
    " TILEDB_CLIENT_PASSPHRASE_FILE."
)
_NATIVE = {
    "linux": "keyring.backends.SecretService.Keyring",
    "darwin": "keyring.backends.macOS.Keyring",
    "win32": "keyring.backends.Windows.WinVaultKeyring",
}
_CHAINER_PRIORITY = 10  # keyring's ChainerBackend, when it has more than one member
_NOT_SECURE = {
    "keyring.backends.fail.Keyring": "it fails every call (keyring found no usable store)",
    "keyring.backends.null.Keyring": "it silently stores nothing",
}


def keyring_timeout() -> float:
    """Return the keyring timeout: ``$TILEDB_CLIENT_KEYRING_TIMEOUT`` seconds, default 10.

    Raises
    ------
    ConfigurationError
        When the variable is set to anything but a positive number, e.g. ``"ten"``.
    """
    return timeout_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT)


class _Failure(Exception):  # noqa: N818 - internal; becomes a public error or a reason
    """Why a keyring operation failed: a one-line diagnosis and what to do."""

    def __init__(self, diagnosis: str, remedy: str = _REMEDY, *, unavailable: bool = True):
        super().__init__(diagnosis)
        self.diagnosis, self.remedy, self.unavailable = diagnosis, remedy, unavailable

    def public(self, action: str, key: str) -> SecretBackendError:
        cls = BackendUnavailableError if self.unavailable else SecretBackendError
        message = f"The OS keyring could not {action} {key!r}: {self.diagnosis}. {self.remedy}"
        error = cls(message.rstrip())
        error.__cause__ = self.__cause__
        return error


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _qualname(ring: object) -> str:
    return f"{type(ring).__module__}.{type(ring).__qualname__}"


def _priority(ring: Ring) -> float:
    return float(type(ring).priority)


def _label(ring: Ring, priority: float) -> str:
    return f"{_qualname(ring)} (priority {priority:g})"


def _insecurity(ring: Ring, priority: float) -> str | None:
    name = _qualname(ring)
    if name in _NOT_SECURE:
        return _NOT_SECURE[name]
    if "plaintext" in name.lower():
        return "it stores secrets in a plain file"
    if priority < 1:
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
        return f"; {target} is not usable{where}: {_text(exc)}"
    return ""


def _fresh_rings() -> list[tuple[float, Ring]]:
    """Instantiate every keyring backend usable now, highest priority first."""
    from keyring import backend
    from keyring.backends.chainer import ChainerBackend

    backend.get_all_keyring()  # loads keyring's plugins (its cached result may be stale)
    rings: list[tuple[float, Ring]] = []
    for cls in backend.KeyringBackend.get_viable_backends():
        try:
            if not issubclass(cls, ChainerBackend):
                ring = cls()
                rings.append((_priority(ring), ring))
        except Exception as exc:  # keyring skips these too
            logger.debug("keyring backend %s not usable: %s", cls, exc)
    return sorted(rings, key=lambda pair: pair[0], reverse=True)


def _configured() -> tuple[Ring, str] | None:
    """Return what ``$PYTHON_KEYRING_BACKEND`` or ``keyringrc.cfg`` names, if anything."""
    from keyring import core

    name = os.environ.get("PYTHON_KEYRING_BACKEND")
    source = f"PYTHON_KEYRING_BACKEND={name}" if name else "keyring's config file keyringrc.cfg"
    try:
        ring = core.load_env() if name else core.load_config()
    except Exception as exc:
        raise _Failure(f"{source} names a backend that cannot be used: {_text(exc)}") from exc
    source = f"{source} selects"
    return None if ring is None else (ring, source)


def _secure_member(source: str, rings: list[tuple[float, Ring]]) -> tuple[Ring, str]:
    """Stand in for keyring's ChainerBackend: its first secure member, else refuse."""
    members = [(priority, ring) for priority, ring in rings if priority > 0]
    for priority, ring in members:
        if _insecurity(ring, priority) is None:
            return ring, f"{_label(ring, priority)}, via keyring's ChainerBackend"
    chained = ", ".join(_label(ring, priority) for priority, ring in members) or "nothing"
    raise _Failure(
        f"{source} keyring's ChainerBackend, refused because it chains only insecure stores:"
        f" {chained}{_native_problem()}"
    )


def _resolve(given: Ring | None) -> tuple[Ring, str]:
    """Return the keyring backend to use and its label, or raise :class:`_Failure`."""
    try:
        from keyring.backends.chainer import ChainerBackend
    except ImportError as exc:
        raise _Failure("the keyring library is not installed (pip install keyring)") from exc
    source = "keyring chose"
    named = os.environ.get("PYTHON_KEYRING_BACKEND")
    if given is None and named == f"{ChainerBackend.__module__}.{ChainerBackend.__name__}":
        # Not loaded by keyring: its priority reads keyring's stale process-wide cache.
        return _secure_member(f"PYTHON_KEYRING_BACKEND={named} selects", _fresh_rings())
    found = (given, "the given keyring backend is") if given is not None else _configured()
    if found is None:
        rings = _fresh_rings()
        if sum(priority > 0 for priority, _ in rings) > 1 and rings[0][0] <= _CHAINER_PRIORITY:
            return _secure_member(source, rings)
        if not rings:
            raise _Failure("keyring found no usable backend" + _native_problem())
        found = (rings[0][1], source)
    ring, source = found
    if isinstance(ring, ChainerBackend):
        return _secure_member(source, _fresh_rings())
    try:
        priority = _priority(ring)
    except Exception as exc:
        raise _Failure(f"{source} {_qualname(ring)}, not usable here: {_text(exc)}") from exc
    problem = _insecurity(ring, priority)
    if problem is not None:
        raise _Failure(
            f"{source} {_label(ring, priority)}, refused because {problem}{_native_problem()}"
        )
    return ring, _label(ring, priority)


class _Entries:
    """The entries of service ``"tiledb-client"`` in one keyring backend."""

    def __init__(self, ring: Ring) -> None:
        self.ring = ring

    def get(self, name: str) -> str | None:
        return self.ring.get_password(SERVICE, name)

    def set(self, name: str, value: str) -> None:
        self.ring.set_password(SERVICE, name, value)

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


def _mentions(exc: BaseException, secret: str) -> bool:
    text = f"{exc!s} {exc!r} {exc.args!r}"
    return any(piece in text for piece in [secret, *_chunks.split(secret)])


class KeyringBackend(SecretBackend):
    """Secrets in the OS keyring, through the ``keyring`` library.

    Parameters
    ----------
    ring : keyring.backend.KeyringBackend, optional
        A keyring backend object to use instead of detecting one (tests, or an
        application that has chosen one). It is refused all the same if insecure.

    Examples
    --------
    >>> backend = KeyringBackend()
    >>> backend.probe()  # doctest: +SKIP
    Availability(available=True, reason='keyring.backends.SecretService.Keyring (priority 5), ...')
    """

    name: ClassVar[str] = "keyring"
    description: ClassVar[str] = (
        "the OS keyring (Keychain, Windows Credential Manager, Secret Service, KWallet)"
    )

    def __init__(self, *, ring: Ring | None = None) -> None:
        self._given = ring
        self._entries: _Entries | None = None
        self._label = ""
        self._lock = threading.Lock()  # one keyring operation at a time per instance

    def _within_lock(self, op: Callable[[_Entries], T]) -> T:
        with self._lock:
            if self._entries is None:
                ring, label = _resolve(self._given)
                logger.debug("keyring backend in use: %s", label)
                self._entries, self._label = _Entries(ring), label
            return op(self._entries)

    def _run(self, action: str, op: Callable[[_Entries], T], secret: str | None = None) -> T:
        """Run ``op`` within the timeout; failures become :class:`_Failure`."""
        timeout = keyring_timeout()
        try:
            return call_with_deadline(
                lambda: self._within_lock(op), timeout, name=f"tiledb-client keyring {action}"
            )
        except (_Failure, SecretBackendError):
            raise
        except DeadlineExceeded:
            failure = _Failure(
                f"{self._label or 'the OS keyring'} did not answer within {timeout:g} s"
                f" (limit set by {TIMEOUT_ENV})",
                "If it is waiting for you to unlock it, unlock it and retry; if it is only slow,"
                f" allow more time with {TIMEOUT_ENV}=<seconds> (now {timeout:g}).",
            )
        except Exception as exc:
            failure = self._classify(exc, secret)
        raise failure

    def _classify(self, exc: Exception, secret: str | None) -> _Failure:
        from keyring import errors

        where = self._label or "the OS keyring"
        withheld = secret is not None and _mentions(exc, secret)
        detail = f"{type(exc).__name__} (details withheld: they contain the secret)"
        detail = detail if withheld else _text(exc)
        if isinstance(exc, errors.KeyringLocked):
            failure = _Failure(f"{where} is locked ({detail})", "Unlock it, then retry.")
        elif isinstance(exc, (errors.InitError, errors.NoKeyringError, OSError)):
            failure = _Failure(f"{where} cannot be reached ({detail})")
        else:
            failure = _Failure(f"{where} failed ({detail})", "", unavailable=False)
        failure.__cause__ = None if withheld else exc
        return failure

    def _call(self, action: str, key: str, op: Callable[[_Entries], T], secret: str = "") -> T:
        try:
            return self._run(action, op, secret or None)
        except _Failure as failure:
            error = failure.public(action, key)
        raise error

    def probe(self) -> Availability:
        """Check that a secure keyring answers, with a read of a probe entry.

        Returns
        -------
        Availability
            e.g. ``Availability(True, "keyring.backends.SecretService.Keyring (priority
            5), via keyring's ChainerBackend")`` or ``Availability(False, "keyring chose
            keyrings.alt.file.PlaintextKeyring (priority 0.5), refused because it stores
            secrets in a plain file; no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS not
            set)")``.
        """
        try:
            self._run("probe", lambda entries: entries.get(PROBE_KEY))
        except _Failure as failure:
            return Availability(available=False, reason=failure.diagnosis)
        except Exception as exc:
            return Availability(available=False, reason=str(exc) or _text(exc))
        return Availability(available=True, reason=self._label)

    def get(self, key: str) -> str | None:
        """Return the secret under ``key`` (reassembled if split), or ``None``."""
        return self._call("read", key, lambda entries: _chunks.read_secret(entries, key))

    def set(self, key: str, secret: str) -> None:
        """Store ``secret`` under ``key``; ``ValueError`` if empty or far too long."""
        if not secret:
            raise ValueError("Refusing to store an empty secret.")
        _chunks.check_size(secret)
        self._call("store", key, lambda e: _chunks.write_secret(e, key, secret), secret)

    def delete(self, key: str) -> bool:
        """Delete the secret under ``key`` and its pieces; return whether it existed."""
        return self._call("delete", key, lambda entries: _chunks.delete_secret(entries, key))

    def __repr__(self) -> str:
        return f"<KeyringBackend {self.name!r} {self._label or '(not resolved yet)'}>"
