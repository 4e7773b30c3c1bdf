"""Which secret backends exist, and which one a new secret goes to.

Built-ins are listed by import path (so a source checkout works); plugins come from the
entry-point group ``tiledb.client.secret_backends``. A plugin that fails to load is
logged and skipped, and cannot replace a built-in. The selection rule is
:func:`choose_backend`.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from tiledb.client.basics.logs import get_logger
from tiledb.client.errors import BackendUnavailableError, ConfigurationError
from tiledb.client.secrets.base import Availability, SecretBackend

__all__ = [
    "BACKEND_ENV",
    "ENTRY_POINT_GROUP",
    "Selection",
    "automatic_order",
    "backend_names",
    "choose_backend",
    "forget_backends",
    "get_backend",
    "is_builtin",
    "select_backend",
    "use_backend",
]

logger = get_logger(__name__)

ENTRY_POINT_GROUP = "tiledb.client.secret_backends"
BACKEND_ENV = "TILEDB_CLIENT_SECRET_BACKEND"

_BUILTIN: dict[str, str] = {
    "keyring": "tiledb.client.secrets.keyring_backend:KeyringBackend",
    "encrypted-file": "tiledb.client.secrets.encrypted_file:EncryptedFileBackend",
}
_AUTOMATIC_ORDER = ("keyring", "encrypted-file")

# One instance per name for the process: backends cache what is costly (an unlocked
# vault key, a probed keyring) and are safe to share.
_instances: dict[str, SecretBackend] = {}
_instances_lock = threading.Lock()


def _load_class(target: str) -> type[SecretBackend]:
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, SecretBackend)):
        raise TypeError(f"{target} is not a SecretBackend subclass")
    return cls


def _plugin_targets() -> dict[str, str]:
    targets: dict[str, str] = {}
    for name, value in _entry_points().items():
        if name in _BUILTIN:
            if value != _BUILTIN[name]:
                logger.warning(
                    "ignoring secret backend plugin %r (%s): a built-in's name", name, value
                )
            continue
        targets[name] = value
    return targets


def _entry_points() -> dict[str, str]:
    """The plugin group's entry points (name: target), read from ``entry_points.txt``.

    The first distribution of a name on ``sys.path`` wins, as in importlib; importing
    :mod:`importlib.metadata` would cost 20 ms (docs/performance.md).
    """
    header, targets, seen = f"[{ENTRY_POINT_GROUP}]", dict[str, str](), set[str]()
    for directory in sys.path:
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:
            continue
        for name in names:
            distribution = re.sub(r"[-_.]+", "-", name.partition("-")[0]).lower()
            if not name.endswith((".dist-info", ".egg-info")) or distribution in seen:
                continue
            seen.add(distribution)
            try:
                with open(os.path.join(directory, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            section = text.partition(header)[2].partition("\n[")[0] if header in text else ""
            for line in section.splitlines():
                entry, equals, value = line.partition("=")
                if equals and not line.lstrip().startswith(("#", ";")):
                    targets.setdefault(entry.strip(), value.partition("[")[0].strip())
    return targets


def backend_names() -> list[str]:
    """Return the names of all known backends, built-ins first, e.g. ``["keyring", "vault"]``."""
    return [*_BUILTIN, *sorted(_plugin_targets())]


def automatic_order() -> tuple[str, ...]:
    """Return the backends :func:`select_backend` tries, in order, when none is named.

    ``("keyring", "encrypted-file")``: never a plaintext store.
    """
    return _AUTOMATIC_ORDER


def is_builtin(name: str) -> bool:
    """Return whether ``name`` is a built-in backend."""
    return name in _BUILTIN


def _unknown(name: str) -> ConfigurationError:
    known = ", ".join(backend_names())
    return ConfigurationError(f"Unknown secret backend {name!r}. Known backends: {known}.")


def get_backend(name: str) -> SecretBackend:
    """Return the process-wide instance of the backend registered under ``name``.

    Raises
    ------
    ConfigurationError
        When no backend has that name, or its plugin cannot be loaded.
    """
    with _instances_lock:
        instance = _instances.get(name)
        if instance is not None:
            return instance
        target = _BUILTIN.get(name) or _plugin_targets().get(name)
        if target is None:
            raise _unknown(name)
        try:
            cls = _load_class(target)
            instance = cls()
            if name not in _BUILTIN:
                from tiledb.client.secrets.plugin_guard import GuardedPlugin

                instance = GuardedPlugin(instance, target)
        except Exception as exc:
            logger.warning("secret backend %r (%s) failed to load: %s", name, target, exc)
            raise ConfigurationError(
                f"The secret backend {name!r} ({target}) failed to load: {exc}"
            ) from exc
        _instances[name] = instance
        return instance


class Selection(NamedTuple):
    """Which backend a new secret would go to (``None``: none), and why.

    ``reasons``: for a failed choice, why each candidate was passed over.
    """

    name: str | None
    why: str
    usable: bool
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"name": self.name, "why": self.why, "usable": self.usable}


def choose_backend(
    explicit: str | None, probe: Callable[[str], Availability | None], *, probe_named: bool = True
) -> Selection:
    """The selection rule, first match wins, over ``probe(name)`` (``None``: no such backend).

    1. ``explicit`` (``secret_backend=`` or ``--backend``);
    2. ``$TILEDB_CLIENT_SECRET_BACKEND``;
    3. the OS keyring, if a secure one answers within the keyring timeout;
    4. the encrypted file, if a passphrase source is configured (a terminal prompt alone
       does not count);
    5. otherwise none: never a plaintext store.

    ``doctor`` and ``backends`` pass the probes they already made, so a hanging keyring
    costs one timeout, not two.
    """
    env = os.environ.get(BACKEND_ENV) or None
    named, source = (explicit, "--backend") if explicit else (env, f"${BACKEND_ENV}")
    if named:
        availability = probe(named) if probe_named else Availability(True, "not probed")
        if availability is None:
            why = f"{source} names {named!r}, which is not a known backend"
            return Selection(None, f"{why} (known: {', '.join(backend_names())})", False)
        if availability.available:
            return Selection(named, f"named by {source}", True)
        why = f"named by {source}, but unavailable: {availability.reason}"
        return Selection(named, why, False, (availability.reason,))
    reasons, prompt_only = [], []
    for name in _AUTOMATIC_ORDER:
        availability = probe(name) or Availability(False, "not known")
        if availability.available and not availability.interactive:
            why = f"the first available of the automatic order ({', '.join(_AUTOMATIC_ORDER)})"
            return Selection(name, why, True)
        reason = availability.reason
        if availability.available:
            prompt_only.append(name)
            reason = f"{reason}: a prompt only, so it is used when named (--backend {name})"
        reasons.append(f"  {name}: {reason}")
    why = (
        "no backend of the automatic order is available: start an OS keyring, or set"
        " TILEDB_CLIENT_PASSPHRASE or TILEDB_CLIENT_PASSPHRASE_FILE for the encrypted file,"
        f" or name a backend with ${BACKEND_ENV}"
    )
    if prompt_only:
        why = (
            f"{prompt_only[0]} can only ask for its passphrase at this terminal, so automatic"
            f" selection skips it: name it (--backend {prompt_only[0]}), or set"
            " TILEDB_CLIENT_PASSPHRASE or TILEDB_CLIENT_PASSPHRASE_FILE"
        )
    return Selection(None, why, False, tuple(reasons))


def select_backend(explicit: str | None = None, *, checked: bool = False) -> SecretBackend:
    """Choose the backend that stores a new secret, by the rule of :func:`choose_backend`.

    Parameters
    ----------
    explicit : str, optional
        A backend name given by the caller.
    checked : bool, default False
        Also probe a named backend (the automatic choice is always probed), so that a
        caller can refuse before anyone types a secret.

    Raises
    ------
    ConfigurationError
        When the named backend does not exist (or, ``checked``, cannot be used here),
        or no backend is usable.
    """
    choice = choose_backend(explicit, lambda name: get_backend(name).probe(), probe_named=checked)
    if choice.usable and choice.name is not None:
        logger.debug("secret backend %r chosen: %s", choice.name, choice.why)
        return get_backend(choice.name)
    if choice.name is not None:
        named_by = "--backend / secret_backend=" if explicit else BACKEND_ENV
        raise BackendUnavailableError(
            f"The secret backend {choice.name!r} ({named_by}) cannot be used here:"
            f" {choice.reasons[0]}.",
            hint="Make it available, or name another one (tiledb-client backends lists them).",
        )
    raise BackendUnavailableError(
        "No secure secret backend is available here:\n"
        + "\n".join(choice.reasons)
        + "\nStart an OS keyring (on Linux: a Secret Service such as gnome-keyring), or set"
        " TILEDB_CLIENT_PASSPHRASE or TILEDB_CLIENT_PASSPHRASE_FILE to use the encrypted file,"
        f" or choose one with {BACKEND_ENV}."
    )


def use_backend(backend: SecretBackend) -> None:
    """Make ``backend`` (e.g. ``KeyringBackend(ring=...)``) what :func:`get_backend` returns.

    Raises
    ------
    ConfigurationError
        When no backend is registered under ``backend.name``.
    """
    if not is_builtin(backend.name) and backend.name not in _plugin_targets():
        raise _unknown(backend.name)
    with _instances_lock:
        _instances[backend.name] = backend


def forget_backends() -> None:
    """Forget every backend instance; the next :func:`get_backend` makes a new one."""
    with _instances_lock:
        _instances.clear()
