"""Faults the local server can inject: errors, malformed answers, redirects, silence.

A :class:`FaultQueue` holds the answers to give instead of the real ones, oldest
first, and optionally a base URL every request is redirected to. ``LocalServer``
consults it for each request (``fail_next``, ``answer_next``, ``redirect_next``,
``silence_next``, ``redirect_all``); ``python -m tiledb.client.testing`` exposes
``--fail-next`` and ``--redirect-to``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .app import Response, error_body

__all__ = ["Fault", "FaultQueue"]


@dataclass(frozen=True)
class Fault:
    """One injected answer.

    Attributes
    ----------
    status : int
        The HTTP status, e.g. ``503``.
    message : str
        The ``message`` of the JSON error body (status 400 and above).
    body : bytes or None
        A raw body instead (e.g. ``b"{not json"``), sent as ``application/json``.
    headers : dict
        Extra headers, e.g. ``{"Location": "http://127.0.0.1:9/v4/users/self"}``.
    silent : bool
        Accept the request and never answer (until the server stops).
    """

    status: int = 503
    message: str = "injected"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    silent: bool = False

    def response(self) -> Response:
        """The response to send."""
        if self.silent:
            return Response(self.status, silent=True)
        if self.body is not None:
            return Response(self.status, headers=dict(self.headers), raw=self.body)
        payload = error_body(self.status, self.message) if self.status >= 400 else None
        return Response(self.status, payload, dict(self.headers))


class FaultQueue:
    """Thread-safe injected answers, and an optional redirect of every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.redirect_base: str | None = None

    def add(self, fault: Fault, count: int = 1) -> None:
        """Give ``fault`` as the answer to the next ``count`` requests (after those queued)."""
        with self._lock:
            self._queue.extend([fault] * count)

    def clear(self) -> None:
        """Forget the queued faults and the redirect."""
        with self._lock:
            self._queue.clear()
            self.redirect_base = None

    def next(self, target: str) -> Fault | None:
        """The fault to answer ``target`` (path and query) with, if any."""
        with self._lock:
            if self._queue:
                return self._queue.pop(0)
            if self.redirect_base is not None:
                location = f"{self.redirect_base}{target}"
                return Fault(307, "redirected", headers={"Location": location}, body=b"")
        return None
