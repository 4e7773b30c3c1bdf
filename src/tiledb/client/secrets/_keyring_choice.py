"""Which keyring backend the ``keyring`` secret backend uses, and which it refuses.

keyring's own choice, made afresh on each call, with insecure stores refused (SECURITY.md,
"Refused keyring backends"). ``keyring`` is imported inside the functions.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from tiledb.client.basics.logs import get_logger

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend as Ring

logger = get_logger(__name__)

NEW_SECRETS_ELSEWHERE = (
    "Or store new secrets in the encrypted file: --backend encrypted-file (or"
    " TILEDB_CLIENT_SECRET_BACKEND=encrypted-file) with TILEDB_CLIENT_PASSPHRASE or"
    " TILEDB_CLIENT_PASSPHRASE_FILE."
)
"""What a failed store can do instead; reading an existing secret cannot (see base.py)."""


def reach_remedy() -> str:
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


class Failure(Exception):  # noqa: N818 - internal; becomes a public error or a reason
    """Why a keyring operation failed, and what to do (default :func:`reach_remedy`).

    ``unavailable``: the keyring cannot be used at all, rather than one call failing.
    """

    def __init__(
        self, diagnosis: str, remedy: str | None = None, *, unavailable: bool = True
    ) -> None:
        super().__init__(diagnosis)
        self.diagnosis, self.unavailable = diagnosis, unavailable
        self.remedy = reach_remedy() if remedy is None else remedy


def describe(exc: BaseException) -> str:
    """Return ``exc`` in one line, e.g. ``"InitError: Failed to unlock the collection"``."""
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
        return f"; {target} is not usable{where}: {describe(exc)}"
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
        raise Failure(f"{source} names a backend that cannot be used: {describe(exc)}") from exc
    source = f"{source} selects"
    return None if ring is None else (ring, source)


class SecureChain:
    """keyring's ChainerBackend over its secure members only, highest priority first.

    As in keyring's, a member raising ``NotImplementedError`` (one serving other services
    only, such as Google Artifact Registry's) is skipped.
    """

    def __init__(self, members: list[Ring]) -> None:
        self.members = members

    def get_password(self, service: str, username: str) -> str | None:
        for ring in self.members:
            try:
                value = ring.get_password(service, username)
            except NotImplementedError:
                continue
            if value is not None:
                return value
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        for ring in self.members:
            try:
                return ring.set_password(service, username, password)
            except NotImplementedError:
                continue
        raise NotImplementedError("no secure keyring backend of the chain stores passwords")

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        for ring in self.members:
            try:
                return ring.delete_password(service, username)
            except (NotImplementedError, PasswordDeleteError):
                continue
        raise PasswordDeleteError("no such entry")


def _secure_member(source: str, rings: list[tuple[float, Ring]]) -> tuple[Ring, str]:
    """Stand in for keyring's ChainerBackend: its secure members, else refuse."""
    members = [(priority, ring) for priority, ring in rings if priority > 0]
    secure = [(p, ring) for p, ring in members if _insecurity(ring, p) is None]
    if len(secure) == 1:
        priority, ring = secure[0]
        return ring, f"{_label(ring, priority)}, via keyring's ChainerBackend"
    if secure:
        labels = ", ".join(_label(ring, priority) for priority, ring in secure)
        chain = SecureChain([ring for _, ring in secure])
        return chain, f"keyring's ChainerBackend of {labels}"  # type: ignore[return-value]
    chained = ", ".join(_label(ring, priority) for priority, ring in members) or "nothing"
    raise Failure(
        f"{source} keyring's ChainerBackend, refused because it chains only insecure stores:"
        f" {chained}{_native_problem()}"
    )


def resolve(given: Ring | None) -> tuple[Ring, str]:
    """Return the keyring backend (``given``, checked, or detected) and its label.

    Raises :class:`Failure` when ``keyring`` is missing, finds nothing usable, or chooses
    an insecure store.
    """
    try:
        from keyring.backends.chainer import ChainerBackend
    except ImportError as exc:
        raise Failure("the keyring library is not installed (pip install keyring)") from exc
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
            raise Failure("keyring found no usable backend" + _native_problem())
        found = (rings[0][1], source)
    ring, source = found
    if isinstance(ring, ChainerBackend):
        return _secure_member(source, _fresh_rings())
    try:
        priority = _priority(ring)
    except Exception as exc:
        raise Failure(f"{source} {_qualname(ring)}, not usable here: {describe(exc)}") from exc
    problem = _insecurity(ring, priority)
    if problem is not None:
        raise Failure(
            f"{source} {_label(ring, priority)}, refused because {problem}{_native_problem()}"
        )
    return ring, _label(ring, priority)
