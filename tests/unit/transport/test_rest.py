"""The attempt loop of one REST call: what is retried, the pauses, the deadline, the error.

The loop runs on an injected clock and sleep against the bundled server: a pause
moves the clock on without waiting, so a 60 s deadline is tested in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.inputs_support import closed_port
from tiledb.client.errors import ConfigurationError
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer
from tiledb.client.transport.rest import Attempts, RestClient, RestError, request_deadline


class FakeTime:
    """A clock that only a pause moves on; the pauses taken."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def client(url: str, fake: FakeTime, mode: str = "default") -> RestClient:
    return RestClient(url, token=DEFAULT_TOKEN, retry_mode=mode, clock=fake.clock, sleep=fake.sleep)


def attempts_at(elapsed: float, seconds: float = 60.0) -> Attempts:
    fake = FakeTime()
    attempts = Attempts(seconds, fake.clock)
    fake.now = elapsed
    return attempts


def test_a_pause_that_fits_is_taken_whole() -> None:
    assert attempts_at(10).pause(8.0, server_asked=False) == 8.0
    assert attempts_at(10).pause(8.0, server_asked=True) == 8.0


def test_a_back_off_that_does_not_fit_is_shortened_for_one_last_attempt() -> None:
    assert attempts_at(31.5).pause(32.0, server_asked=False) == 27.5  # the last attempt gets 1 s


def test_a_retry_after_that_does_not_fit_ends_the_call() -> None:
    attempts = attempts_at(1)
    assert attempts.pause(3600.0, server_asked=True) is None
    assert attempts.stopped is not None and "(3600 s, back-off" in attempts.stopped


def test_no_time_left_ends_the_call() -> None:
    assert attempts_at(59.5).pause(4.0, server_asked=False) is None
    late = attempts_at(61)
    assert late.pause(0.0, server_asked=False) is None
    assert late.stopped == "no time left before the 60 s deadline"


def test_a_short_deadline_keeps_a_quarter_for_the_last_attempt() -> None:
    assert attempts_at(0.4, seconds=2).pause(1.0, server_asked=False) == 1.0
    assert attempts_at(1.5, seconds=2).pause(2.0, server_asked=False) is None


def test_the_report_counts_what_each_attempt_got() -> None:
    attempts = attempts_at(3.21)
    attempts.outcomes += ["HTTP 503", "HTTP 503", "no answer in time"]
    assert attempts.report() == "3 attempts in 3.2 s: HTTP 503 x2, no answer in time"


def test_the_deadline_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert request_deadline() == 60.0
    monkeypatch.setenv("TILEDB_CLIENT_REQUEST_DEADLINE", "2.5")
    assert request_deadline() == 2.5
    monkeypatch.setenv("TILEDB_CLIENT_REQUEST_DEADLINE", "never")
    with pytest.raises(ConfigurationError, match="TILEDB_CLIENT_REQUEST_DEADLINE='never'"):
        request_deadline()


def test_a_503_storm_backs_off_doubling_until_the_deadline(
    server: LocalServer, fake: FakeTime
) -> None:
    server.fail_next(503, count=1000)
    with client(server.url, fake) as rest, pytest.raises(RestError) as caught:
        rest.get("/v4/users/self")
    assert fake.pauses == [0.25, 0.5, 1, 2, 4, 8, 16, 27.25]  # the last one cut to fit
    assert len(server.requests) == 9
    assert caught.value.status == 503
    assert str(caught.value).endswith(
        "HTTP 503: injected (HTTP 503) (stopped retrying, the pause before the next try (64 s,"
        " back-off or the server's Retry-After) would pass the 60 s deadline; 9 attempts in"
        " 59.0 s: HTTP 503 x9)"
    )


def test_a_retry_after_is_honoured(server: LocalServer, fake: FakeTime) -> None:
    server.answer_next(b'{"message": "busy"}', status=503, headers={"Retry-After": "7"})
    with client(server.url, fake) as rest:
        assert rest.get("/v4/users/self")["user"]["username"] == "ada"
    assert fake.pauses == [7.0]


def test_a_retry_after_past_the_deadline_ends_the_call_at_once(
    server: LocalServer, fake: FakeTime
) -> None:
    server.answer_next(b"{}", status=503, headers={"Retry-After": "3600"})
    with client(server.url, fake) as rest, pytest.raises(RestError, match="3600 s"):
        rest.get("/v4/users/self")
    assert fake.pauses == []
    assert len(server.requests) == 1


def test_a_malformed_retry_after_falls_back_to_the_back_off(
    server: LocalServer, fake: FakeTime
) -> None:
    server.answer_next(b"{}", status=503, headers={"Retry-After": "soon"})
    with client(server.url, fake) as rest:
        rest.get("/v4/users/self")
    assert fake.pauses == [0.25]


@pytest.mark.parametrize(("mode", "retried"), [("default", False), ("forceful", True)])
def test_statuses_per_mode(server: LocalServer, fake: FakeTime, mode: str, retried: bool) -> None:
    server.fail_next(502)
    with client(server.url, fake, mode) as rest:
        if retried:
            rest.get("/v4/users/self")
        else:
            with pytest.raises(RestError, match="HTTP 502"):
                rest.get("/v4/users/self")
    assert fake.pauses == ([0.25] if retried else [])


def test_a_post_is_not_retried_on_a_status(server: LocalServer, fake: FakeTime) -> None:
    server.fail_next(503, count=5)
    with client(server.url, fake, "forceful") as rest, pytest.raises(RestError, match="HTTP 503"):
        rest.post("/v4/tokens", {"name": "x"})
    assert [r.method for r in server.requests] == ["POST"]
    assert fake.pauses == []


def test_a_connection_failure_is_retried_three_times_even_for_a_post(fake: FakeTime) -> None:
    port = closed_port()
    with client(f"http://127.0.0.1:{port}", fake) as rest, pytest.raises(RestError) as caught:
        rest.post("/v4/tokens", {"name": "x"})
    assert fake.pauses == [0.25, 0.5, 1.0]
    assert "connection refused (4 attempts in 1.8 s: connection failed x4)" in str(caught.value)
    assert caught.value.status is None


def test_the_disabled_mode_makes_one_attempt(server: LocalServer, fake: FakeTime) -> None:
    server.fail_next(503)
    with client(server.url, fake, "disabled") as rest, pytest.raises(RestError, match="HTTP 503"):
        rest.get("/v4/users/self")
    refused = client(f"http://127.0.0.1:{closed_port()}", fake, "disabled")
    with refused, pytest.raises(RestError, match="1 attempt in"):
        refused.get("/v4/users/self")
    assert fake.pauses == []


def test_an_attempt_waits_no_longer_than_the_time_left(server: LocalServer) -> None:
    # The clock says 59.8 s of the 60 have passed once the call started: the one
    # attempt on a silent server gets a 0.2 s timeout, not the 60 s read timeout.
    readings = iter([0.0])
    server.silence_next()
    rest = RestClient(server.url, token=DEFAULT_TOKEN, clock=lambda: next(readings, 59.8))
    with rest, pytest.raises(RestError, match=r"1 attempt in 59\.8 s: no answer in time") as caught:
        rest.get("/v4/users/self")
    assert "got no answer: stopped retrying" in str(caught.value)
    assert DEFAULT_TOKEN not in str(caught.value)
