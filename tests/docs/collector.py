"""Collect the fenced code blocks of the documentation, and decide how each one runs.

Every fenced block of every page (``docs/**/*.md``, ``README.md``, ``SECURITY.md``)
is one of:

- ``python``: executed, the blocks of a page in order, in one namespace;
- ``console``: each ``$ command`` runs in bash (in a pseudo-terminal, so hidden
  prompts and tables behave as for a person); the lines after it are the expected
  output, compared with runs of spaces collapsed, where a line ``...`` stands for
  any lines and ``...`` inside a line for any text. A step with expected output shows
  at least one line that is not ``...``; every step exits 0, unless its command ends
  with the shell comment ``# exit N`` (then it must exit N);
- ``sh`` / ``bash``: the whole block runs as one bash script;
- any block with ``title="path"``: written to that file in the page's sandbox
  (a later block then uses it), and parsed when it is JSON, TOML, YAML or INI;
- a ``python`` block right after ``<!-- docs-test: raises NAME REASON -->`` must
  raise an exception of class ``NAME`` (e.g. ``TileDBError``: the bundled server
  holds no arrays, so opening one is refused after the request arrived);
- a block right after ``<!-- docs-test: skip REASON -->``: not run here, for the
  reason given (it needs sudo, systemd, a cluster, ...). JSON, TOML, YAML and INI
  blocks are still parsed.

Any other block fails the collection: an example must run, or say why it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

RUNNABLE = {"python": "python", "py": "python", "console": "console", "sh": "sh", "bash": "sh"}
PARSED_FORMATS = {"json", "toml", "yaml", "yml", "ini"}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_SKIP = re.compile(r"^\s*<!--\s*docs-test:\s*skip\b(?P<reason>.*?)-->\s*$")
_RAISES = re.compile(r"^\s*<!--\s*docs-test:\s*raises\s+(?P<name>\w+)(?P<reason>.*?)-->\s*$")
_TITLE = re.compile(r"""\btitle=(?P<quote>["'])(?P<title>[^"']+)(?P=quote)""")


class UnmarkedBlockError(Exception):
    """A block that is neither runnable nor marked as not runnable here."""


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    title: str | None
    body: str
    skip_reason: str | None
    raises: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def kind(self) -> str:
        """``python``, ``console``, ``sh``, ``file`` or ``skip``."""
        if self.skip_reason is not None:
            if not self.skip_reason:
                raise UnmarkedBlockError(f"{self.where}: <!-- docs-test: skip --> needs a reason")
            return "skip"
        if self.title is not None:
            return "file"
        if self.language in RUNNABLE:
            return RUNNABLE[self.language]
        raise UnmarkedBlockError(
            f"{self.where}: a ```{self.language or '(no language)'} block that is neither"
            " runnable (python, console, sh, or a file with title=...) nor marked"
            " <!-- docs-test: skip REASON --> right above it"
        )


def pages() -> list[Path]:
    """Every page whose examples the suite runs."""
    found = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)
    return [ROOT / "README.md", ROOT / "SECURITY.md", *found]


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            line = lines[end]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            end += 1
        language = info.split()[0].lstrip(".").lower() if info else ""
        title = _TITLE.search(info)
        skip_reason = raises = None
        previous = index - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        if previous >= 0 and (marker := _SKIP.match(lines[previous])):
            skip_reason = marker["reason"].strip(" :-")
        if previous >= 0 and (marker := _RAISES.match(lines[previous])):
            raises = marker["name"]
        found.append(
            Block(
                page=page,
                line=index + 1,
                language=language,
                title=title["title"] if title else None,
                body="\n".join(body) + "\n",
                skip_reason=skip_reason,
                raises=raises,
            )
        )
        index = end + 1
    return found
