"""tests/fresh_context.py: a fresh contextvars context per test, pytest's checks intact."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])

CHILD_TESTS = """
import contextvars

import tiledb

from tiledb.client.basics.tiledb_py import default_ctx_var

VAR = contextvars.ContextVar("var")


async def test_async_without_a_plugin():
    pass


def test_returns_a_value():
    return 42


def test_a_sets_context_variables():
    VAR.set("left over")
    default_ctx_var().set(tiledb.Ctx({"sm.tile_cache_size": "777"}))


def test_b_sees_none_of_them():
    assert VAR.get(None) is None
    assert default_ctx_var().get(None) is None
"""


def run_child(pytester: pytest.Pytester, *plugins: str) -> pytest.RunResult:
    pytester.makepyfile(test_child=CHILD_TESTS)
    options = [arg for plugin in plugins for arg in ("-p", plugin)]
    return pytester.runpytest_subprocess(
        *options, "-p", "no:randomly", "-p", "no:cacheprovider", "-rA"
    )


def test_async_and_returning_tests_are_still_checked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", ROOT)
    result = run_child(pytester, "tests.fresh_context")
    result.assert_outcomes(passed=3, failed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "PASSED test_child.py::test_b_sees_none_of_them",
            "FAILED test_child.py::test_async_without_a_plugin - Failed: async def functio*",
        ]
    )
    assert "PytestReturnNotNoneWarning" in result.stdout.str()


def test_without_the_plugin_context_variables_leak(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", ROOT)
    result = run_child(pytester)
    result.stdout.fnmatch_lines(["FAILED test_child.py::test_b_sees_none_of_them*"])


def test_the_suite_fails_a_test_that_returns_a_value(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", ROOT)
    pytester.makepyfile(test_child="def test_returns_a_value():\n    return 42\n")
    pytester.makepyprojecttoml(Path(ROOT, "pyproject.toml").read_text())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "tests.fresh_context")
    result.assert_outcomes(failed=1)
