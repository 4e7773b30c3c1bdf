"""Running COMMAND for ``tiledb-client exec``: replace this process, or wait for a child.

On POSIX COMMAND replaces this process, as ``env(1)`` does: every signal reaches it
directly, its exit status is the caller's, and nothing of Python (a password) stays in
memory. Where that is not possible (Windows), :func:`run_child` forwards signals to a child.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, NoReturn

__all__ = ["FORWARDED_SIGNALS", "can_replace_process", "replace_process", "run_child"]

FORWARDED_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
    if hasattr(signal, name)
)
"""The signals :func:`run_child` passes on to COMMAND (those that exist here)."""

_RESTORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)


def can_replace_process() -> bool:
    """Return whether ``os.execvpe`` replaces this process (POSIX) here."""
    return os.name == "posix"


def replace_process(argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """Replace this process with ``argv`` (on ``env["PATH"]``); OSError leaves it unchanged."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    for number in _RESTORED_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    try:
        os.execvpe(argv[0], list(argv), dict(env))  # noqa: S606 - COMMAND is the user's
    except BaseException:
        for number in _RESTORED_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise


def exit_status(returncode: int) -> int:
    """Return a shell's exit status for a child's ``returncode`` (``-15`` gives ``143``)."""
    return 128 - returncode if returncode < 0 else returncode


def run_child(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv`` as a child with environment ``env``, forwarding signals; return its status.

    Outside the main thread no handler can be installed: the child gets only what the
    operating system sends it.
    """
    pending: list[int] = []
    child: list[subprocess.Popen[bytes]] = []

    def forward(number: int, _frame: FrameType | None) -> None:
        if not child:
            pending.append(number)
            return
        if os.name == "nt" and number == signal.SIGINT:
            return  # the console already sent Ctrl-C to every process attached to it
        with contextlib.suppress(OSError, ValueError):  # it has ended: nothing to forward to
            child[0].send_signal(number)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for number in FORWARDED_SIGNALS:
            previous[number] = signal.signal(number, forward)
    try:
        child.append(subprocess.Popen(list(argv), env=dict(env)))  # noqa: S603 - the user's
        for number in pending:
            forward(number, None)
        return exit_status(child[0].wait())
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
