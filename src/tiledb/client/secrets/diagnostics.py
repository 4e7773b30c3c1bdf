"""Every known secret backend probed once and timed, and which one would be chosen.

For ``tiledb-client backends`` and ``doctor``; :func:`explain_selection` applies
:func:`~tiledb.client.secrets.registry.choose_backend` to the probes made.
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
    """One backend as probed now; ``seconds`` includes loading it."""

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
    """Probe every known backend, built-ins first; one that fails to load is unavailable."""
    return [_status(name) for name in registry.backend_names()]


def _status(name: str) -> BackendStatus:
    started, plugin = time.perf_counter(), not registry.is_builtin(name)
    try:
        backend = registry.get_backend(name)
    except ConfigurationError as exc:
        seconds = time.perf_counter() - started
        return BackendStatus(name, "(failed to load)", plugin, False, str(exc), seconds)
    try:
        availability = backend.probe()
    except Exception as exc:  # a probe must never raise; a plugin's still might
        logger.debug("probe of secret backend %r raised", name, exc_info=True)
        availability = Availability(False, f"its probe failed ({type(exc).__name__})")
    seconds = time.perf_counter() - started
    fields = (availability.available, availability.reason, seconds, availability.interactive)
    return BackendStatus(name, backend.description, plugin, *fields)


def explain_selection(statuses: list[BackendStatus], explicit: str | None = None) -> Selection:
    """Say which backend ``select_backend(explicit)`` would choose, from ``statuses``."""
    by_name = {status.name: status for status in statuses}

    def probed(name: str) -> Availability | None:
        status = by_name.get(name)
        if status is None:
            return None
        return Availability(status.available, status.reason, status.interactive)

    return registry.choose_backend(explicit, probed)
