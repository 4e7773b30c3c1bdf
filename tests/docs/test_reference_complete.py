"""The reference pages name everything the code has: no name can be added silently.

The CLI reference is checked by its build hook (a command without help on a page
fails the build); the precedence table is generated from ``SETTINGS``. These tests
cover the rest: every seed name, every error class, every environment variable.
"""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

from tests.docs.collector import DOCS, ROOT
from tiledb.client import client, errors
from tiledb.client.session.settings import SETTINGS


def _hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, DOCS / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_seed_name_has_its_docstring_on_the_api_page() -> None:
    text = (DOCS / "api.md").read_text()
    rendered = set(re.findall(r"^::: tiledb\.client\.client\.(\w+)$", text, re.MULTILINE))
    missing = set(client.__all__) - rendered - {"Workspace"}
    assert not missing
    assert "::: tiledb.client.basics.models.Workspace" in text


def test_every_error_class_says_when_it_is_raised() -> None:
    text = (DOCS / "reference" / "errors.md").read_text()
    for name in errors.__all__:
        assert f"| `{name}` |" in text, name


def test_every_environment_variable_is_documented() -> None:
    text = (DOCS / "reference" / "environment.md").read_text()
    used = {setting.env for setting in SETTINGS}
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r'"(TILEDB_[A-Z_]+)"', path.read_text()))
    missing = {name for name in used if f"`{name}`" not in text}
    assert not missing


def test_the_precedence_table_has_a_row_per_setting() -> None:
    table = _hook("settings_table").settings_table()
    rows = table.splitlines()[2:]
    assert len(rows) == len(SETTINGS)
    for row, setting in zip(rows, SETTINGS, strict=True):
        assert f"`{setting.env}`" in row
        assert ("(secret)" in row) == setting.secret


def test_the_cli_hook_knows_every_command() -> None:
    hook = _hook("cli_help")
    texts = hook.help_texts()
    assert {"", "configure", "login", "profile", "profile list", "doctor"} <= set(texts)
    assert texts["profile list"].startswith("usage: tiledb-client profile list")
    markers = {
        " ".join(match["command"].split())
        for page in DOCS.rglob("*.md")
        for match in hook.MARKER.finditer(page.read_text())
    }
    assert markers == set(texts)


def test_no_page_links_to_the_removed_paths() -> None:
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+\.md)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).resolve().exists(), (page, target)
