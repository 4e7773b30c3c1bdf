"""The reliability suite's randomness replays from pytest-randomly's ``--randomly-seed``.

A child pytest loads the fixtures and the summary of ``tests/reliability/conftest.py``:
a test's ``reliability_seed`` is the run's ``--randomly-seed`` plus a number of the
test's id (so the same whatever ran before it), the seed is printed with the figures,
and hypothesis runs the same examples whatever the seed.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])

CONFTEST = """
from tests.reliability.conftest import figures, pytest_terminal_summary, reliability_seed
"""
CHILD_TESTS = """
import json
import os

from hypothesis import given, settings, strategies as st


def _note(*values):
    with open(os.environ["SEED_WITNESS"], "a") as out:
        out.write(json.dumps(values) + "\\n")


def test_a(reliability_seed):
    _note("seed", "a", reliability_seed)


def test_b(reliability_seed):
    _note("seed", "b", reliability_seed)


@settings(max_examples=20)
@given(st.text())
def test_examples(text):
    _note("example", text)
"""


def expected(seed: int, test: str) -> int:
    return (seed + zlib.crc32(f"test_child.py::{test}".encode())) % 2**32


@pytest.fixture
def child(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", ROOT)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_child=CHILD_TESTS)
    return pytester


def run(
    child: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[dict[str, int], list[str], str]:
    """Run the child pytest; return the seeds of its tests, hypothesis' examples, its output."""
    witness = child.path / f"witness-{len(list(child.path.glob('witness-*')))}.jsonl"
    monkeypatch.setenv("SEED_WITNESS", str(witness))
    result = child.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == 0, result.stdout.str()
    notes = [json.loads(line) for line in witness.read_text().splitlines()]
    seeds = {note[1]: note[2] for note in notes if note[0] == "seed"}
    examples = [note[1] for note in notes if note[0] == "example"]
    return seeds, examples, result.stdout.str()


def test_a_tests_seed_comes_from_randomly_seed_whatever_ran_before(
    child: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds, _, output = run(child, monkeypatch, "-p", "randomly", "--randomly-seed=5")
    assert seeds == {"a": expected(5, "test_a"), "b": expected(5, "test_b")}
    assert "seed: 5 (from --randomly-seed); replay: python -m pytest --randomly-seed=5" in output
    alone, _, _ = run(child, monkeypatch, "-p", "randomly", "--randomly-seed=5", "-k", "test_b")
    assert alone == {"b": seeds["b"]}
    other, _, _ = run(child, monkeypatch, "-p", "randomly", "--randomly-seed=6")
    assert other == {"a": expected(6, "test_a"), "b": expected(6, "test_b")}


def test_without_randomly_the_environment_gives_the_seed(
    child: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_RELIABILITY_SEED", "7")
    seeds, _, output = run(child, monkeypatch, "-p", "no:randomly")
    assert seeds == {"a": expected(7, "test_a"), "b": expected(7, "test_b")}
    assert "seed: 7 (from TILEDB_CLIENT_RELIABILITY_SEED)" in output


def test_hypothesis_runs_the_same_examples_whatever_the_seed(
    child: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, first, _ = run(child, monkeypatch, "-p", "randomly", "--randomly-seed=5")
    _, second, _ = run(child, monkeypatch, "-p", "randomly", "--randomly-seed=6")
    assert len(set(first)) > 5  # it did generate examples
    assert first == second
