"""Every example of the documentation runs here, so the docs cannot rot.

``collector`` says how each fenced block runs (or why it cannot run here);
``runner`` runs a page's blocks in order in a sandbox: the test's HOME, a private
Secret Service, and the bundled server in its own process (TileDB core calls hold
the GIL). See both modules for the conventions pages follow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.collector import ROOT, UnmarkedBlockError, blocks, pages
from tests.docs.runner import Sandbox, python_executable_dir
from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, ServerProcess

PAGES = pages()


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _kinds(page: Path) -> list[str]:
    try:
        return [block.kind for block in blocks(page)]
    except UnmarkedBlockError:
        return ["unmarked"]


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_block_runs_or_says_why_not(page: Path) -> None:
    for block in blocks(page):
        block.kind  # raises UnmarkedBlockError  # noqa: B018


@pytest.fixture(scope="module")
def docs_server() -> Iterator[ServerProcess]:
    """One bundled server for every page (a page's data lives in its own HOME)."""
    with ServerProcess() as server:
        yield server


def make_sandbox(directory: Path, server: ServerProcess) -> Sandbox:
    """A sandbox in ``directory`` (created) whose examples talk to ``server``."""
    directory.mkdir(parents=True)
    home = os.environ["HOME"]
    env = {
        **os.environ,
        "PATH": f"{python_executable_dir()}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "TILEDB_TOKEN": DEFAULT_TOKEN,
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "TERM": "xterm",
        "PWD": str(directory),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    return Sandbox(
        directory=directory,
        substitutions={
            "https://api.example.com": server.url,
            "api.example.com": server.url,
            "/home/ada": home,
        },
        answers={"token": DEFAULT_TOKEN, "password": DEFAULT_PASSWORD},
        env=env,
    )


# Pages whose examples run in a test of their own, which checks more (the server's log).
OWN_TEST = {ROOT / "docs" / "how-to" / "dask.md"}
RUN_PAGES = [
    page for page in PAGES if page not in OWN_TEST and any(kind != "skip" for kind in _kinds(page))
]


@pytest.mark.parametrize("page", RUN_PAGES, ids=_page_id)
def test_page_examples_run(
    page: Path, tmp_path: Path, secret_service: str, docs_server: ServerProcess
) -> None:
    sandbox = make_sandbox(tmp_path / "work", docs_server)
    for block in blocks(page):
        sandbox.run(block)
