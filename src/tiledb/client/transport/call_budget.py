"""The time budget of one REST call, across all its attempts, and what each attempt got.

Every call of :class:`~tiledb.client.transport.rest.RestClient` runs under a
:class:`CallBudget`: a total deadline (``$TILEDB_CLIENT_REQUEST_DEADLINE`` seconds,
default 60) that retries, back-off sleeps and per-attempt timeouts all have to fit
in, in every retry mode. The retry policy (``urllib3.Retry``, built per client)
finds the budget of the call it is deciding about through :func:`current_budget`, a
context variable set for the duration of the call (urllib3 runs the attempts in the
calling thread).

When the deadline passes, the error says what was tried: e.g. "gave up after 61.0 s
and 12 attempts (HTTP 503 x12)".

This module imports nothing heavy; the ``urllib3`` side is
:mod:`tiledb.client.transport.deadline_retry`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from tiledb.client.basics.deadline import timeout_from_env

__all__ = [
    "DEADLINE_ENV",
    "DEFAULT_DEADLINE_SECONDS",
    "LAST_ATTEMPT_SECONDS",
    "CallBudget",
    "current_budget",
    "request_deadline",
    "running",
]

DEADLINE_ENV = "TILEDB_CLIENT_REQUEST_DEADLINE"
"""Environment variable: seconds one REST call may take, retries included."""

DEFAULT_DEADLINE_SECONDS = 60.0
"""The default total deadline of one REST call."""

_MINIMUM_ATTEMPT_SECONDS = 0.05
"""Never start an attempt with less time left than this."""

LAST_ATTEMPT_SECONDS = 1.0
"""The time kept for one last attempt when a back-off pause is shortened to fit
(a quarter of the deadline when that is less)."""


def request_deadline() -> float:
    """Return the total deadline of one REST call, in seconds.

    ``$TILEDB_CLIENT_REQUEST_DEADLINE`` (e.g. ``"120"``), else 60.

    Raises
    ------
    ConfigurationError
        When the variable is not a positive number.
    """
    return timeout_from_env(DEADLINE_ENV, DEFAULT_DEADLINE_SECONDS)


@dataclass
class CallBudget:
    """The deadline of one call and the outcome of each of its attempts.

    Parameters
    ----------
    seconds : float
        The total deadline, e.g. ``60.0``.
    idempotent : bool
        Whether the call may be sent again after the server answered or stopped
        answering mid-way. ``POST /v4/tokens`` is not: a retry could mint a second
        token. Connection failures (nothing was sent) are retried either way.
    """

    seconds: float
    idempotent: bool = True
    started: float = field(default_factory=time.monotonic)
    outcomes: list[str] = field(default_factory=list)
    expired: bool = False
    last_recorded: bool = False
    stop_reason: str | None = None

    def elapsed(self) -> float:
        """Seconds since the call started."""
        return time.monotonic() - self.started

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative)."""
        return self.seconds - self.elapsed()

    def pause_before_next(self, pause: float, *, server_asked: bool) -> float | None:
        """The pause to take before one more attempt, or ``None`` to stop retrying.

        Parameters
        ----------
        pause : float
            What the retry policy would wait, e.g. ``32.0``.
        server_asked : bool
            Whether ``pause`` is the server's ``Retry-After``: it is respected (stop
            when it does not fit). A back-off that does not fit is shortened, keeping
            :data:`LAST_ATTEMPT_SECONDS` for the attempt, so the budget is used.
        """
        pause = max(pause, 0.0)
        left = self.remaining()
        reserve = min(LAST_ATTEMPT_SECONDS, self.seconds / 4)  # a short deadline keeps less
        if left - pause >= reserve or (pause == 0.0 and left >= _MINIMUM_ATTEMPT_SECONDS):
            return pause
        if server_asked or left < 2 * reserve:
            return None
        return left - reserve

    def give_up(self, pause: float) -> None:
        """Mark the call as stopped by its deadline; ``pause`` was the wait before the next try."""
        self.expired = True
        if self.remaining() < _MINIMUM_ATTEMPT_SECONDS:
            self.stop_reason = f"no time left before the {self.seconds:g} s deadline"
        else:
            self.stop_reason = (
                f"the pause before the next try ({pause:g} s, back-off or the server's"
                f" Retry-After) would pass the {self.seconds:g} s deadline"
            )

    def record(self, outcome: str, *, last: bool = False) -> None:
        """Note what one attempt got, e.g. ``"HTTP 503"`` or ``"no answer in time"``."""
        self.outcomes.append(outcome)
        self.last_recorded = last

    def attempt_timeout(self) -> float:
        """The time the next attempt may take at most (what is left, at least a little)."""
        return max(self.remaining(), _MINIMUM_ATTEMPT_SECONDS)

    def report(self) -> str:
        """What was tried, e.g. ``"3 attempts in 1.8 s: HTTP 503 x3"``."""
        counts = Counter(self.outcomes)
        tried = ", ".join(
            f"{outcome} x{count}" if count > 1 else outcome for outcome, count in counts.items()
        )
        attempts = len(self.outcomes)
        noun = "attempt" if attempts == 1 else "attempts"
        return f"{attempts} {noun} in {self.elapsed():.1f} s" + (f": {tried}" if tried else "")


_CURRENT: contextvars.ContextVar[CallBudget | None] = contextvars.ContextVar(
    "tiledb_client_call_budget", default=None
)


def current_budget() -> CallBudget | None:
    """The budget of the call running in this thread, if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def running(budget: CallBudget) -> Iterator[CallBudget]:
    """Make ``budget`` the current one for the duration of the ``with`` block."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
