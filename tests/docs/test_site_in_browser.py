"""The built site, opened in headless Chromium: navigation and code blocks render.

The site is built with ``mkdocs build --strict`` (as ``tox -e docs`` does), then
Debian's ``chromium`` loads the tutorial from disk and prints the DOM after its
scripts ran. The test fails, never skips, when Chromium is missing: ``scripts/setup``
installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.docs.collector import DOCS, ROOT, blocks

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TUTORIAL = DOCS / "tutorial" / "first-login.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strict into a temporary directory."""
    target = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return target


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: run scripts/setup (apt-get install chromium)")
    return path


def dump_dom(url: str, profile: Path) -> str:
    """Load ``url`` in headless Chromium and return the DOM after its scripts ran."""
    result = subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


class _Page(HTMLParser):
    """What the checks need from the DOM: nav links, code blocks, copy buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.nav_links: list[str] = []
        self.active_links: list[str] = []
        self.code_blocks: list[str] = []
        self.highlight_spans = 0
        self.copy_buttons = 0
        self._link: list[str] | None = None
        self._link_tag = ""
        self._active = False
        self._depth = 0
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._link is not None and tag == self._link_tag:
            self._depth += 1
        elif self._link is None and tag in ("a", "label") and "md-nav__link" in classes:
            self._link, self._link_tag, self._depth = [], tag, 1
            self._active = "md-nav__link--active" in classes
        if "md-code__button" in classes:  # added by Material's script, not in the HTML
            self.copy_buttons += 1
        if tag == "pre":
            self._code = []
        elif self._code is not None and tag == "span":
            self.highlight_spans += 1

    def handle_endtag(self, tag: str) -> None:
        if self._link is not None and tag == self._link_tag:
            self._depth -= 1
            if self._depth == 0:
                text = " ".join("".join(self._link).split())
                self.nav_links.append(text)
                if self._active:
                    self.active_links.append(text)
                self._link = None
        if tag == "pre" and self._code is not None:
            self.code_blocks.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.append(data)
        if self._code is not None:
            self._code.append(data)


@pytest.fixture(scope="module")
def tutorial(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Page]:
    page = site / "tutorial" / "first-login" / "index.html"
    dom = dump_dom(page.as_uri(), tmp_path_factory.mktemp("chromium-profile"))
    parsed = _Page()
    parsed.feed(dom)
    yield parsed


def test_navigation_rendered(tutorial: _Page) -> None:
    for section in ("Tutorial", "How-to guides", "Explanation", "Reference"):
        assert section in tutorial.nav_links, tutorial.nav_links
    for page in ("First login on a desktop", "Python API", "Command line", "Threat model"):
        assert page in tutorial.nav_links, tutorial.nav_links
    assert "First login on a desktop" in tutorial.active_links
    # The page's table of contents (Material builds it from the headings).
    assert "3. Store your token" in tutorial.nav_links


def test_code_blocks_rendered(tutorial: _Page) -> None:
    expected = len(blocks(TUTORIAL))
    assert len(tutorial.code_blocks) == expected
    assert any(
        code.startswith("$ tiledb-client configure --host api.example.com")
        for code in tutorial.code_blocks
    ), tutorial.code_blocks
    assert any("tiledb.client.login()" in code for code in tutorial.code_blocks)
    assert tutorial.highlight_spans > 20  # Pygments highlighted the code
    # Material's script adds a copy button to each block: the page's JavaScript ran.
    assert tutorial.copy_buttons >= expected
