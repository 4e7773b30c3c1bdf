"""Helpers of the inputs, network and logging part of the reliability suite."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Stopwatch:
    """Seconds a ``with timed() as watch:`` block took (``watch.seconds``)."""

    started: float = 0.0
    seconds: float = 0.0


@contextlib.contextmanager
def timed() -> Iterator[Stopwatch]:
    """Measure the wall time of a block, also when it raises."""
    watch = Stopwatch(time.perf_counter())
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - watch.started


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
