"""The deadline of one REST call: when to pause, when to stop, what the error says."""

from __future__ import annotations

import time

import pytest

from tiledb.client.basics.errors import ConfigurationError
from tiledb.client.transport.call_budget import CallBudget, request_deadline


def budget_at(elapsed: float, seconds: float = 60.0) -> CallBudget:
    return CallBudget(seconds, started=time.monotonic() - elapsed)


def test_a_pause_that_fits_is_taken_whole() -> None:
    assert budget_at(10).pause_before_next(8.0, server_asked=False) == 8.0
    assert budget_at(10).pause_before_next(8.0, server_asked=True) == 8.0


def test_a_back_off_that_does_not_fit_is_shortened_for_one_last_attempt() -> None:
    pause = budget_at(31.5).pause_before_next(32.0, server_asked=False)
    assert pause == pytest.approx(27.5, abs=0.05)  # the last attempt gets 1 s


def test_a_retry_after_that_does_not_fit_ends_the_call() -> None:
    assert budget_at(1).pause_before_next(3600.0, server_asked=True) is None


def test_no_time_left_ends_the_call() -> None:
    assert budget_at(59.5).pause_before_next(4.0, server_asked=False) is None
    assert budget_at(61).pause_before_next(0.0, server_asked=False) is None


def test_a_short_deadline_keeps_a_quarter_for_the_last_attempt() -> None:
    assert budget_at(0.4, seconds=2).pause_before_next(1.0, server_asked=False) == 1.0
    assert budget_at(1.5, seconds=2).pause_before_next(2.0, server_asked=False) is None


def test_the_report_counts_what_each_attempt_got() -> None:
    budget = budget_at(3.21)
    for outcome in ("HTTP 503", "HTTP 503", "no answer in time"):
        budget.record(outcome)
    assert budget.report() == "3 attempts in 3.2 s: HTTP 503 x2, no answer in time"


def test_the_deadline_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert request_deadline() == 60.0
    monkeypatch.setenv("TILEDB_CLIENT_REQUEST_DEADLINE", "2.5")
    assert request_deadline() == 2.5
    monkeypatch.setenv("TILEDB_CLIENT_REQUEST_DEADLINE", "never")
    with pytest.raises(ConfigurationError, match="TILEDB_CLIENT_REQUEST_DEADLINE='never'"):
        request_deadline()
