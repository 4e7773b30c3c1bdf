"""Reading and decoding the server's answers: size and deadline bounded, never quoted raw.

:func:`read_body` reads a streamed body in pieces, so that an oversized answer or one
that arrives too slowly stops at :data:`MAX_ANSWER_BYTES` or at the call's deadline;
:func:`decode` turns it into the ``data`` of the JSON answer or a :class:`RestError`
whose message shows the server's ``message`` printable, short, and with the
request's own credentials masked.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tiledb.client.basics.masking import printable, scrub
from tiledb.client.transport.call_budget import DEADLINE_ENV, CallBudget
from tiledb.client.transport.errors import RestError

if TYPE_CHECKING:
    import requests

__all__ = ["MAX_ANSWER_BYTES", "decode", "read_body", "server_message"]


MAX_ANSWER_BYTES = 32 * 1024 * 1024
"""The largest answer body read; TileDB REST answers of this API are a few KiB."""

_NOT_JSON = object()


def read_body(response: requests.Response, budget: CallBudget) -> bytes:
    """The body, read in pieces so that the deadline and the size limit hold."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise RestError(
                f"The answer of {response.request.method} {response.url} is larger than"
                f" {MAX_ANSWER_BYTES // (1024 * 1024)} MiB: is the host a TileDB REST server?",
                status=response.status_code,
            )
        if budget.remaining() <= 0:
            budget.expired = True
            raise RestError(
                f"{response.request.method} {response.url} stopped reading the answer at the"
                f" {budget.seconds:g} s deadline ({budget.report()}). Allow more time with"
                f" {DEADLINE_ENV}.",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return _NOT_JSON


def server_message(content: bytes, reason: str | None) -> str:
    """The server's ``message``, printable and short; else the HTTP reason phrase."""
    payload = _json(content) if content else _NOT_JSON
    if isinstance(payload, dict) and payload.get("message"):
        return printable(str(payload["message"]), limit=500)
    return printable(reason or "no details", limit=100)


def decode(
    status: int,
    reason: str | None,
    content: bytes,
    *,
    what: str,
    budget: CallBudget,
    secrets: tuple[str, ...],
) -> Any:
    """Return the ``data`` of an answer, or raise the :class:`RestError` it stands for.

    Parameters
    ----------
    status, reason, content
        The HTTP status, reason phrase and body, e.g. ``503``, ``"Service
        Unavailable"``, ``b'{"errorCode": 503, "message": "..."}'``.
    what : str
        The request, for messages, e.g. ``"GET https://api.example.com/v4/users/self"``.
    budget : CallBudget
        The call's budget: when it stopped the retries, the message says so.
    secrets : tuple of str
        The credentials of the request, masked wherever the server repeats them.

    Raises
    ------
    RestError
        For an HTTP error, a body that is not JSON, or JSON without ``data``.
    """
    after = f" (stopped retrying, {budget.stop_reason}; {budget.report()})"
    after = after if budget.expired and budget.stop_reason else ""
    if status >= 400:
        detail = scrub(server_message(content, reason), secrets)
        raise RestError(f"{what} failed: HTTP {status}: {detail}{after}", status=status)
    if status == 204 or not content:
        return None
    payload = _json(content)
    if payload is _NOT_JSON:
        raise RestError(
            f"{what} returned a body that is not JSON (HTTP {status}). "
            "Is the host a TileDB REST server?",
            status=status,
        )
    if not isinstance(payload, dict) or "data" not in payload:
        raise RestError(
            f"{what} returned JSON without a 'data' member. Is the host a TileDB REST server?",
            status=status,
        )
    return payload["data"]
