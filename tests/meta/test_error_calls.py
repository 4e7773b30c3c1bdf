"""Every error of the tree is raised in one shape: the message, then ``hint=`` by keyword.

``ExplainedError(*args, hint=None)`` takes any positional arguments, so a hint passed by
position would silently become part of the problem (``"('No profile.', 'Run ...')"``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import tiledb.client.errors as errors
from tiledb.client.cli.common import CliError

PACKAGE = Path(errors.__file__).parent
ERROR_NAMES = {
    name
    for name, value in {**vars(errors), "CliError": CliError}.items()
    if isinstance(value, type) and issubclass(value, errors.ExplainedError)
} | {"WorkspacesError"}


def test_no_error_is_given_its_hint_by_position() -> None:
    calls, wrong = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ERROR_NAMES:
                calls += 1
                if len(node.args) > 1:
                    wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert calls > 100, calls  # the walk found the package's raises
    assert wrong == [], f"a hint passed by position: {wrong}"
