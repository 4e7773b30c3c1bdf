"""Every known secret backend with its availability, and which one would be chosen.

Used by ``tiledb-client backends`` and ``tiledb-client doctor``. Each backend is
probed once (a probe never prompts, never raises, and the OS keyring's is bounded
by its timeout) and timed; :func:`explain_selection` then applies the selection rule
(:func:`~tiledb.client.secrets.registry.choose_backend`) to those results.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from tiledb.client.errors import ConfigurationError
from tiledb.client.secrets import registry
from tiledb.client.secrets.base import Availability
from tiledb.client.secrets.registry import Selection

__all__ = ["BackendStatus", "Selection", "backend_statuses", "explain_selection"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendStatus:
    """One backend as probed now.

    Attributes
    ----------
    name : str
        e.g. ``"keyring"``.
    description : str
        What it stores secrets in.
    plugin : bool
        Loaded from the entry-point group ``tiledb.client.secret_backends``.
    available : bool
    reason : str
        e.g. ``"keyring.backends.SecretService.Keyring (priority 5)"`` or why not.
    seconds : float
        How long the probe took (loading the backend included).
    interactive : bool
        Available only by asking the person at the terminal (see ``Availability``).
    """

    name: str
    description: str
    plugin: bool
    available: bool
    reason: str
    seconds: float
    interactive: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "description": self.description,
            "plugin": self.plugin,
            "available": self.available,
            "interactive": self.interactive,
            "reason": self.reason,
            "probe_seconds": round(self.seconds, 4),
        }


def backend_statuses() -> list[BackendStatus]:
    """Probe every known backend, built-ins first, then plugins.

    Returns
    -------
    list of BackendStatus
        A plugin that fails to load is listed as unavailable, with the error.
    """
    statuses = []
    for name in registry.backend_names():
        started = time.perf_counter()
        plugin = not registry.is_builtin(name)
        try:
            backend = registry.get_backend(name)
        except ConfigurationError as exc:
            elapsed = time.perf_counter() - started
            statuses.append(
                BackendStatus(name, "(failed to load)", plugin, False, str(exc), elapsed)
            )
            continue
        try:
            availability = backend.probe()
        except Exception as exc:  # a probe must never raise; a plugin's still might
            logger.debug("probe of secret backend %r raised", name, exc_info=True)
            availability = Availability(False, f"its probe failed ({type(exc).__name__})")
        elapsed = time.perf_counter() - started
        statuses.append(
            BackendStatus(
                name,
                backend.description,
                plugin,
                availability.available,
                availability.reason,
                elapsed,
                availability.interactive,
            )
        )
    return statuses


def explain_selection(statuses: list[BackendStatus], explicit: str | None = None) -> Selection:
    """Say which backend ``select_backend(explicit)`` would choose, from probe results.

    Parameters
    ----------
    statuses : list of BackendStatus
        From :func:`backend_statuses`.
    explicit : str, optional
        A backend name given on the command line (``--backend``).
    """
    by_name = {status.name: status for status in statuses}

    def probed(name: str) -> Availability | None:
        status = by_name.get(name)
        if status is None:
            return None
        return Availability(status.available, status.reason, status.interactive)

    return registry.choose_backend(explicit, probed)
