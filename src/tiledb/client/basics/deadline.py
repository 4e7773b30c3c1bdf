"""Run one call with a time limit, so a store that hangs cannot hang the caller.

Python cannot interrupt a thread: the call runs in a daemon thread and the caller stops
waiting; a :class:`Lane` then fails later calls at once until it returns
(docs/performance.md, "Keyring calls that hang").
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
    """The call did not finish within ``timeout`` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no answer within {timeout:g} s")
        self.timeout = timeout


class StillRunning(DeadlineExceeded):
    """An earlier call of the lane (``what``) outlived its limit and has not returned yet."""

    def __init__(self, what: str, waiting: float) -> None:
        Exception.__init__(self, f"{what} has been waiting for an answer for {waiting:.0f} s")
        self.timeout = 0.0
        self.what = what
        self.waiting = waiting


def timeout_from_env(variable: str, default: float) -> float:
    """Return the seconds in ``variable``, ``default`` when unset; ConfigurationError if not > 0."""
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
    """Run calls one at a time, each within a time limit, never queueing behind a hung one."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._busy = False
        self._stuck: tuple[str, float] | None = None  # (name, start) of a call past its limit

    def call(self, func: Callable[[], T], timeout: float, *, name: str) -> T:
        """Return ``func()`` run in a daemon thread, or raise DeadlineExceeded after ``timeout`` s.

        Raises StillRunning at once while an earlier call is past its limit; re-raises what
        ``func`` raised.
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
