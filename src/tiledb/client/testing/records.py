"""Recorded requests, case-insensitive headers, and masking of secrets for logs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from .state import Auth

__all__ = ["MASK", "Headers", "RecordedRequest", "is_sensitive", "mask_headers", "mask_target"]

MASK = "<masked>"
_SENSITIVE_PARTS: tuple[str, ...] = (
    "authorization", "api-key", "api_key", "apikey", "token", "password", "passwd", "secret",
    "cookie", "session",
)  # fmt: skip


def is_sensitive(name: str) -> bool:
    """Whether a header or query parameter named ``name`` may carry a secret."""
    lowered = name.lower()
    return any(part in lowered for part in _SENSITIVE_PARTS)


def _mask(name: str, value: str) -> str:
    if name.lower() in ("authorization", "proxy-authorization") and " " in value.strip():
        return f"{value.strip().split(' ', 1)[0]} {MASK}"  # keep the scheme: "Basic <masked>"
    return MASK


class Headers(Mapping[str, str]):
    """Read-only headers with case-insensitive names; repeated values are joined by ``, ``.

    Parameters
    ----------
    items
        ``(name, value)`` pairs as received.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = list(items)
        self._index: dict[str, tuple[str, str]] = {}
        for name, value in self._items:
            key = name.lower()
            if key in self._index:
                first, previous = self._index[key]
                self._index[key] = (first, f"{previous}, {value}")
            else:
                self._index[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._index.values())

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, name: str) -> list[str]:
        """Return every value of ``name`` in the order received."""
        return [value for key, value in self._items if key.lower() == name.lower()]

    def raw_name(self, name: str) -> str:
        """Return ``name`` spelt as the client sent it (e.g. ``X-TILEDB-REST-API-Key``)."""
        return self._index[name.lower()][0]

    def masked(self) -> dict[str, str]:
        """Return a plain dict with the values of sensitive headers masked."""
        return mask_headers(self)

    def __repr__(self) -> str:
        return f"Headers({self.masked()!r})"


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return ``headers`` as a dict with every possibly secret value replaced by a mask."""
    return {k: _mask(k, v) if is_sensitive(k) else v for k, v in headers.items()}


def mask_target(target: str) -> str:
    """Return a request target with the values of sensitive query parameters masked."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(is_sensitive(k) for k, _ in pairs):
        return target
    query = urlencode([(k, MASK if is_sensitive(k) else v) for k, v in pairs], safe="<>")
    return f"{parts.path}?{query}"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received.

    Attributes
    ----------
    method, path
        The HTTP method and the request target as sent (path and query string).
    headers
        Case-insensitive :class:`Headers`, unmasked (in memory only).
    body
        The raw body; empty in records read back from a ``--record`` file.
    auth
        The credentials presented and whether they were accepted; ``None`` without any.
    status
        The HTTP status answered.
    """

    method: str
    path: str
    headers: Headers
    body: bytes = field(repr=False)  # core's array-open body carries its config, token included
    auth: Auth | None
    status: int
    time: float = field(default_factory=time.time)
    body_size: int = -1

    @property
    def route(self) -> str:
        """The path without the query string, percent-decoded."""
        return unquote(urlsplit(self.path).path)

    @property
    def username(self) -> str | None:
        """The authenticated user, or ``None``."""
        return self.auth.username if self.auth is not None and self.auth.ok else None

    def json(self) -> Any:
        """Parse the body as JSON."""
        return json.loads(self.body.decode("utf-8"))

    def describe(self) -> str:
        """Return a one-line, secret-free description (used for the request log)."""
        auth = str(self.auth) if self.auth is not None else "none"
        return f"{self.method} {mask_target(self.path)} {self.status} auth={auth}"

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe, secret-free form: headers masked, body left out."""
        size = len(self.body) if self.body_size < 0 else self.body_size
        return {
            "time": self.time,
            "method": self.method,
            "path": mask_target(self.path),
            "status": self.status,
            "headers": [[k, _mask(k, v) if is_sensitive(k) else v] for k, v in self.headers._items],
            "body_size": size,
            "auth": asdict(self.auth) if self.auth is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedRequest:
        """Rebuild a record written by :meth:`to_json` (masked headers, empty body)."""
        auth = data.get("auth")
        return cls(
            method=str(data["method"]),
            path=str(data["path"]),
            headers=Headers((str(k), str(v)) for k, v in data.get("headers", [])),
            body=b"",
            auth=Auth(**auth) if isinstance(auth, dict) else None,
            status=int(data["status"]),
            time=float(data.get("time", 0.0)),
            body_size=int(data.get("body_size", 0)),
        )
