"""Run one call with a time limit, so a store that hangs cannot hang the caller.

A call into the OS keyring can block indefinitely: a D-Bus session bus that
accepts the connection and never replies, a Secret Service waiting on an unlock
prompt nobody will see. Python cannot interrupt a thread, so the call runs in a
daemon worker thread and the caller stops waiting after the limit. A call that
timed out may still finish later in the background; its result is discarded.

A :class:`Lane` runs such calls one at a time. While a call that outlived its
limit is still running, later calls fail at once with :class:`StillRunning`
instead of queueing behind it; when it finally returns, the lane answers again.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from tiledb.client.errors import ConfigurationError

__all__ = ["DeadlineExceeded", "Lane", "StillRunning", "timeout_from_env"]

T = TypeVar("T")


class DeadlineExceeded(Exception):  # noqa: N818 - reads as the event, like TimeoutError
    """The call did not finish within its time limit.

    Attributes
    ----------
    timeout : float
        The limit in seconds, e.g. ``10.0``.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no answer within {timeout:g} s")
        self.timeout = timeout


class StillRunning(DeadlineExceeded):
    """An earlier call of the lane outlived its limit and has not returned yet.

    Attributes
    ----------
    what : str
        The name of that call, e.g. ``"tiledb-client keyring read"``.
    waiting : float
        Seconds since it started, e.g. ``12.5``.
    """

    def __init__(self, what: str, waiting: float) -> None:
        Exception.__init__(self, f"{what} has been waiting for an answer for {waiting:.0f} s")
        self.timeout = 0.0
        self.what = what
        self.waiting = waiting


def timeout_from_env(variable: str, default: float) -> float:
    """Return the timeout in seconds set by the environment variable ``variable``.

    Parameters
    ----------
    variable : str
        e.g. ``"TILEDB_CLIENT_KEYRING_TIMEOUT"``, set to e.g. ``"2.5"``.
    default : float
        Returned when the variable is unset or empty, e.g. ``10.0``.

    Raises
    ------
    ConfigurationError
        When the value is not a positive, finite number of seconds.
    """
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(
            f"{variable}={raw!r} is not a valid timeout: give a positive number of seconds,"
            f" e.g. {variable}=30 (the default is {default:g})."
        )
    return value


class _Outcome(Generic[T]):
    """What the worker produced: a value or an exception."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None


class Lane:
    """Run calls one at a time, each within a time limit, never queueing behind a hung one.

    Each call runs in a daemon worker thread and
    holds the lane until it returns, so calls never overlap. A caller waits for
    the lane and its call together at most ``timeout`` seconds. When a call
    outlives its limit, the lane is *stuck*: every later call raises
    :class:`StillRunning` at once, without starting a thread, until the stuck
    call returns (an unlock prompt answered, a stopped daemon resumed); then the
    lane answers again.

    Examples
    --------
    >>> lane = Lane()
    >>> lane.call(lambda: 42, 10.0, name="tiledb-client keyring read")
    42
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._busy = False
        self._stuck: tuple[str, float] | None = None  # (name, start) of a call past its limit

    def call(self, func: Callable[[], T], timeout: float, *, name: str) -> T:
        """Return ``func()`` run on the lane, or raise after ``timeout`` seconds.

        Parameters
        ----------
        func : callable
            Called without arguments in a new daemon thread.
        timeout : float
            Seconds to wait for the lane and the call together, e.g. ``10.0``.
        name : str
            Name of the worker thread and of the call in errors, e.g.
            ``"tiledb-client keyring read"``.

        Raises
        ------
        StillRunning
            At once, while an earlier call that outlived its limit has not returned.
        DeadlineExceeded
            When the lane or ``func`` did not finish within ``timeout`` seconds.
        BaseException
            Whatever ``func`` raised, re-raised in the calling thread.
        """
        end = time.monotonic() + timeout
        self._enter(end, timeout)
        outcome: _Outcome[T] = _Outcome()
        started = time.monotonic()

        def work() -> None:
            try:
                outcome.value = func()
            except BaseException as exc:
                outcome.error = exc
            finally:
                with self._state:
                    self._busy = False
                    self._stuck = None
                    outcome.done.set()
                    self._state.notify_all()

        try:
            threading.Thread(target=work, name=name, daemon=True).start()
        except BaseException:
            with self._state:
                self._busy = False
                self._state.notify_all()
            raise
        if not outcome.done.wait(max(0.0, end - time.monotonic())):
            with self._state:
                if not outcome.done.is_set():
                    self._stuck = (name, started)
                    self._state.notify_all()
                    raise DeadlineExceeded(timeout)
        if outcome.error is not None:
            error, outcome.error = outcome.error, None
            raise error
        return cast(T, outcome.value)  # set by func() when no error was raised

    def _enter(self, end: float, timeout: float) -> None:
        """Take the lane, waiting until ``end`` at most; fail at once while it is stuck."""
        with self._state:
            while True:
                if self._stuck is not None:
                    what, since = self._stuck
                    raise StillRunning(what, time.monotonic() - since)
                if not self._busy:
                    self._busy = True
                    return
                remaining = end - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded(timeout)
                self._state.wait(remaining)
