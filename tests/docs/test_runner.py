"""The docs runner itself: a console step fails when its command fails or shows nothing.

A step whose expected output is only ``...`` would match anything, a crash included;
a step that exits non-zero says so with ``# exit N`` at the end of its command.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docs.collector import DOCS, Block
from tests.docs.runner import Sandbox


def _console(body: str) -> Block:
    return Block(
        page=DOCS / "example.md",
        line=1,
        language="console",
        title=None,
        body=body,
        skip_reason=None,
    )


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    env = {**os.environ, "PWD": str(tmp_path)}
    return Sandbox(directory=tmp_path, substitutions={}, answers={}, env=env)


def test_a_crash_shown_as_only_dots_fails(sandbox: Sandbox) -> None:
    with pytest.raises(AssertionError, match=r"only `\.\.\.`"):
        sandbox.run(_console("$ echo Traceback; exit 3\n...\n"))
    assert sandbox.ran == []


def test_a_failing_command_fails_even_when_its_output_matches(sandbox: Sandbox) -> None:
    with pytest.raises(AssertionError, match="exit status 3, expected 0"):
        sandbox.run(_console("$ echo Traceback; exit 3\nTraceback\n"))


def test_a_failing_command_without_output_fails(sandbox: Sandbox) -> None:
    with pytest.raises(AssertionError, match="exit status 1, expected 0"):
        sandbox.run(_console("$ false\n"))


def test_the_exit_marker_names_the_expected_status(sandbox: Sandbox) -> None:
    sandbox.run(_console("$ echo Traceback; exit 3  # exit 3\nTraceback\n$ false  # exit 1\n"))
    assert sandbox.ran == ["docs/example.md:1"]


def test_a_command_that_succeeds_against_its_exit_marker_fails(sandbox: Sandbox) -> None:
    with pytest.raises(AssertionError, match="exit status 0, expected 2"):
        sandbox.run(_console("$ echo fine  # exit 2\nfine\n"))


def test_the_exit_marker_must_be_the_exact_status(sandbox: Sandbox) -> None:
    with pytest.raises(AssertionError, match="exit status 3, expected 1"):
        sandbox.run(_console("$ exit 3  # exit 1\n"))


def test_dots_inside_a_line_still_need_its_literal_text(sandbox: Sandbox) -> None:
    sandbox.run(_console("$ echo 'took 0.3 s'\ntook ... s\n"))
    with pytest.raises(AssertionError, match="--- expected ---"):
        sandbox.run(_console("$ echo Traceback\ntook ... s\n"))
