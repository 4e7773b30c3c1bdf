"""The ``>>>`` examples of every docstring the API reference renders, executed.

The reference pages render objects with ``::: dotted.name`` (mkdocstrings); their
docstrings' examples are documentation too. Each group of consecutive ``>>>`` lines
(an example with its own prose) runs in a fresh HOME, with ``tiledb`` imported: a group
that calls ``configure`` starts from no profile, any other from a machine where the
profiles ``default`` and ``production`` are configured (a token, in the keyring).
An example marked ``# doctest: +SKIP`` does not run.
"""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

import tiledb
import tiledb.client
from tests.docs.collector import DOCS
from tiledb.client.secrets import registry
from tiledb.client.session import current

_RENDERED = re.compile(r"^::: (?P<name>[\w.]+)\s*$", re.MULTILINE)


def _resolve(name: str) -> Any:
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(name)


Group = tuple[list[doctest.Example], dict[str, Any]]


def rendered_examples() -> list[tuple[str, Group]]:
    """``(where, examples)`` for each group of examples in a rendered docstring."""
    names = sorted(
        {m["name"] for p in DOCS.rglob("*.md") for m in _RENDERED.finditer(p.read_text())}
    )
    finder = doctest.DocTestFinder(exclude_empty=True)
    groups: list[tuple[str, Group]] = []
    for name in names:
        obj = _resolve(name)
        if isinstance(obj, type(tiledb)):  # a module: its members render, not its docstring
            continue
        for test in finder.find(obj, name):
            current_group: list[doctest.Example] = []
            end = -1
            for example in test.examples:
                if current_group and example.lineno != end:
                    groups.append(
                        (f"{test.name}:{current_group[0].lineno}", (current_group, test.globs))
                    )
                    current_group = []
                current_group.append(example)
                end = example.lineno + example.source.count("\n") + example.want.count("\n")
            if current_group:
                groups.append(
                    (f"{test.name}:{current_group[0].lineno}", (current_group, test.globs))
                )
    return groups


GROUPS = rendered_examples()


def test_the_rendered_docstrings_have_examples() -> None:
    assert any(where.startswith("tiledb.client.client.configure") for where, _ in GROUPS)


@pytest.mark.parametrize("group", [g for _, g in GROUPS], ids=[w for w, _ in GROUPS])
def test_docstring_example_runs(
    group: Group,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    secret_service: str,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    registry.forget_backends()
    examples, module_globals = group
    if not any("configure(" in example.source for example in examples):
        for profile in ("default", "production"):
            tiledb.client.configure(
                token="my-token", workspace="myworkspace", host="myhost.com", profile_name=profile
            )
    globs = {**module_globals, "tiledb": tiledb}  # as doctest does: the module's names
    test = doctest.DocTest(examples, globs, "example", None, 0, None)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append)
    current.install(None, update_default_ctx=False)
    assert runner.failures == 0, "".join(report)
