"""``urllib3`` policies that keep a call inside its budget (:mod:`.call_budget`).

- :class:`DeadlineRetry`: the retry policy of a retry mode, which also stops retrying
  when the next pause would not leave time for another attempt, never sends a
  non-idempotent call again once it may have reached the server, and caps a
  server's ``Retry-After`` to the time left.
- :class:`DeadlineTimeout`: the connect and read timeouts of each attempt, cut to
  the time left of the call (``urllib3.Timeout.total``), so a slow server cannot
  stretch a call to several read timeouts.

Imports ``urllib3``: loaded with the first REST client, never by ``import tiledb.client``.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, cast

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from tiledb.client.transport.call_budget import CallBudget, current_budget

if TYPE_CHECKING:
    from typing_extensions import Self
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

__all__ = ["DeadlineReached", "DeadlineRetry", "DeadlineTimeout", "attempt_outcome"]


class DeadlineReached(urllib3.exceptions.HTTPError):
    """The call's total deadline left no time for another attempt."""


def attempt_outcome(response: BaseHTTPResponse | None, error: BaseException | None) -> str:
    """A short, secret-free description of what one attempt got, e.g. ``"HTTP 503"``."""
    if response is not None:
        return f"HTTP {response.status}"
    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (NameResolutionError, "host name not resolved"),
        (NewConnectionError, "connection failed"),
        (ConnectTimeoutError, "no connection in time"),
        (ReadTimeoutError, "no answer in time"),
        (SSLError, "TLS failure"),
        (ProxyError, "proxy failure"),
        (ProtocolError, "connection dropped"),
    )
    for kind, text in kinds:
        if isinstance(error, kind):
            return text
    return type(error).__name__ if error is not None else "no answer"


class DeadlineRetry(urllib3.Retry):
    """``urllib3.Retry`` bounded by the current call's :class:`CallBudget`.

    Without a current budget (a call made outside
    :class:`~tiledb.client.transport.rest.RestClient`) it behaves as ``urllib3.Retry``.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether to retry on this status; never for a non-idempotent call."""
        budget = current_budget()
        if budget is not None and not budget.idempotent:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        """Count an attempt; raise ``MaxRetryError`` when no further one fits the deadline."""
        budget = current_budget()
        if budget is None:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        budget.record(attempt_outcome(response, error), last=True)
        # A request that may have reached the server is not sent again when repeating
        # it could do something twice (read errors: the request went out).
        policy = self if budget.idempotent else self.new(read=False)
        following = super(DeadlineRetry, policy).increment(
            method, url, response, error, _pool, _stacktrace
        )
        pause, server_asked = _planned_wait(following, response)
        if budget.pause_before_next(pause, server_asked=server_asked) is None:
            budget.give_up(pause)
            pool = cast("ConnectionPool", _pool)  # urllib3 accepts None here at run time
            raise MaxRetryError(pool, url or "", DeadlineReached(budget.report())) from error
        budget.last_recorded = False
        return following

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Pause before the next attempt: back-off or ``Retry-After``, fitted to the time left.

        A back-off longer than the time left is shortened so that one last attempt
        still fits; a server's ``Retry-After`` that does not fit ended the call already.
        """
        wait, server_asked = _planned_wait(self, response)
        budget = current_budget()
        if budget is not None:
            wait = budget.pause_before_next(wait, server_asked=server_asked) or 0.0
        if wait > 0:
            time.sleep(wait)


def _planned_wait(policy: urllib3.Retry, response: BaseHTTPResponse | None) -> tuple[float, bool]:
    """Seconds ``policy`` would pause after ``response``, and whether the server asked so.

    The server's ``Retry-After`` when there is one, else the back-off.
    """
    if response is not None and policy.respect_retry_after_header:
        try:
            retry_after = policy.get_retry_after(response)
        except InvalidHeader:  # a malformed Retry-After: fall back to the back-off
            retry_after = None
        if retry_after is not None:
            return float(retry_after), True
    return float(policy.get_backoff_time()), False


class DeadlineTimeout(urllib3.Timeout):
    """Per-attempt timeouts that never reach past the call's deadline.

    urllib3 clones the timeout at the start of every attempt; the clone carries the
    time left of the call as its ``total``, so connect and read together wait no
    longer than that.

    Parameters
    ----------
    connect, read : float
        The usual per-attempt limits, e.g. ``10.0`` and ``60.0``.
    budget : CallBudget
        The call's budget.
    """

    def __init__(self, *, connect: float, read: float, budget: CallBudget) -> None:
        super().__init__(connect=connect, read=read)
        self.connect_seconds, self.read_seconds, self.budget = connect, read, budget

    def clone(self) -> urllib3.Timeout:
        """A fresh timeout for one attempt, bounded by the time left of the call."""
        return urllib3.Timeout(
            connect=self.connect_seconds,
            read=self.read_seconds,
            total=self.budget.attempt_timeout(),
        )
