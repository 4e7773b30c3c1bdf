"""The error of a failed request to the server (:class:`RestError`).

Kept apart from the client so that the pieces that read answers
(:mod:`tiledb.client.transport.answers`) and the client share it without a cycle;
:mod:`tiledb.client.transport.rest` re-exports it.
"""

from __future__ import annotations

from tiledb.client.basics.errors import ClientError

__all__ = ["RestError"]


class RestError(ClientError):
    """A request to the server failed.

    Attributes
    ----------
    status : int or None
        The HTTP status, or ``None`` when no answer arrived.
    """

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
