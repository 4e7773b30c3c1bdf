"""Run one call with a time limit, so a store that hangs cannot hang the caller.

A call into the OS keyring can block indefinitely: a D-Bus session bus that
accepts the connection and never replies, a Secret Service waiting on an unlock
prompt nobody will see. Python cannot interrupt a thread, so the call runs in a
daemon worker thread and the caller stops waiting after the limit. A call that
timed out may still finish later in the background; its result is discarded.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from tiledb.client.basics.errors import ConfigurationError

__all__ = ["DeadlineExceeded", "call_with_deadline", "timeout_from_env"]

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


def call_with_deadline(func: Callable[[], T], timeout: float, *, name: str) -> T:
    """Return ``func()``, or raise :class:`DeadlineExceeded` after ``timeout`` seconds.

    Parameters
    ----------
    func : callable
        Called without arguments in a new daemon thread.
    timeout : float
        Seconds to wait for it, e.g. ``10.0``.
    name : str
        Name of the worker thread, shown in thread dumps, e.g.
        ``"tiledb-client keyring get"``.

    Returns
    -------
    object
        What ``func`` returned.

    Raises
    ------
    DeadlineExceeded
        When ``func`` is still running after ``timeout`` seconds.
    BaseException
        Whatever ``func`` raised, re-raised in the calling thread.
    """
    outcome: _Outcome[T] = _Outcome()

    def work() -> None:
        try:
            outcome.value = func()
        except BaseException as exc:
            outcome.error = exc
        finally:
            outcome.done.set()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    if not outcome.done.wait(timeout):
        raise DeadlineExceeded(timeout)
    if outcome.error is not None:
        error, outcome.error = outcome.error, None
        raise error
    return cast(T, outcome.value)  # set by func() when no error was raised
