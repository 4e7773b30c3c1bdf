"""Time-limited calls: a hung call never holds later calls of its lane."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tiledb.client.basics.deadline import DeadlineExceeded, Lane, StillRunning


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # lets the hung workers finish


def test_lane_returns_and_raises() -> None:
    lane = Lane()
    assert lane.call(lambda: 7, 1.0, name="t") == 7
    with pytest.raises(ZeroDivisionError):
        lane.call(lambda: 1 // 0, 1.0, name="t")


def test_lane_runs_calls_one_at_a_time() -> None:
    lane, running, overlaps = Lane(), [0], []

    def work() -> None:
        running[0] += 1
        overlaps.append(running[0])
        time.sleep(0.01)
        running[0] -= 1

    threads = [
        threading.Thread(target=lane.call, args=(work, 5.0), kwargs={"name": "t"}) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [1] * 8


def test_hung_call_makes_later_calls_fail_fast(release: threading.Event) -> None:
    lane = Lane()
    with pytest.raises(DeadlineExceeded):
        lane.call(lambda: release.wait(30), 0.2, name="tiledb-client keyring read")
    start = time.monotonic()
    with pytest.raises(StillRunning, match="keyring read has been waiting") as info:
        lane.call(lambda: 1, 5.0, name="tiledb-client keyring store")
    assert time.monotonic() - start < 0.1  # not 5 s behind the hung call
    assert info.value.what == "tiledb-client keyring read"
    release.set()
    deadline = time.monotonic() + 5
    while True:  # once the hung call returns, the lane answers again
        try:
            assert lane.call(lambda: 2, 5.0, name="t") == 2
            break
        except StillRunning:
            assert time.monotonic() < deadline
            time.sleep(0.01)


def test_waiting_caller_fails_fast_when_the_running_call_hangs(
    release: threading.Event,
) -> None:
    lane = Lane()
    errors: list[BaseException] = []

    def hang() -> None:
        try:
            lane.call(lambda: release.wait(30), 0.3, name="a")
        except DeadlineExceeded as exc:
            errors.append(exc)

    first = threading.Thread(target=hang)
    first.start()
    time.sleep(0.05)
    start = time.monotonic()
    with pytest.raises(StillRunning):
        lane.call(lambda: 1, 5.0, name="b")  # queued while "a" ran; told as soon as "a" is stuck
    assert time.monotonic() - start < 1.0
    first.join()
    assert len(errors) == 1


def test_errors_free_the_lane() -> None:
    lane = Lane()
    with pytest.raises(KeyError):
        lane.call(lambda: {}["x"], 1.0, name="t")
    assert lane.call(lambda: 3, 1.0, name="t") == 3
