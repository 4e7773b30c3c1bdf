"""How the command line prints: human text, tables, JSON, warnings and errors.

Warnings and errors go to standard error; ``--json`` prints one JSON document. Tables and
colour only on a terminal; piped, tables are tab-separated lines without a header.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from tiledb.client.basics.masking import escaped

__all__ = ["Output", "isatty"]

_STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
SEVERITY_STYLES = {"ok": "green", "info": "dim", "warning": "yellow", "error": "red"}


def isatty(stream: TextIO | None) -> bool:
    """Return whether ``stream`` is an interactive terminal (``None``, closed: no)."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _plain(text: str) -> str:
    """``text`` without colour codes, to measure its width."""
    return re.sub(r"\033\[[^m]*m", "", text)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class Output:
    """The printer of one command run; ``json_mode`` (``--json``) suppresses human text."""

    def __init__(
        self, *, json_mode: bool = False, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.terminal = isatty(self.stdout)
        # Colour on a terminal, unless NO_COLOR is set or TERM is dumb.
        plain = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
        self.colour = self.terminal and not plain
        self.err_colour = isatty(self.stderr) and not plain
        self._warned: set[str] = set()

    def paint(self, text: str, style: str, *, err: bool = False) -> str:
        """Return ``text`` in ``style`` (``"bold"``, ``"red"``, ...) when colour is on."""
        if not (self.err_colour if err else self.colour) or style not in _STYLES:
            return text
        return f"\033[{_STYLES[style]}m{text}\033[0m"

    def severity(self, severity: str) -> str:
        """Return a severity word (``ok``, ``warning``, ...), coloured on a terminal."""
        return self.paint(severity, SEVERITY_STYLES.get(severity, ""))

    def print(self, text: str = "") -> None:
        """Print a line of human output (nothing in JSON mode)."""
        if not self.json_mode:
            self.stdout.write(text + "\n")

    def json(self, document: Any) -> None:
        """Print ``document`` as the one JSON document of the run."""
        self.stdout.write(json.dumps(document, indent=2, default=str) + "\n")

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, tag: str | None = None
    ) -> None:
        """Print rows: aligned with a header on a terminal, else tab-separated, after ``tag``."""
        if self.json_mode:
            return
        cells = [[_text(value) for value in row] for row in rows]
        if not self.terminal:
            for row in cells:
                line = "\t".join(cell.replace("\t", " ") for cell in row)
                self.stdout.write((f"{tag}\t{line}" if tag else line) + "\n")
            return
        widths = [
            max([len(header)] + [len(_plain(row[i])) for row in cells])
            for i, header in enumerate(headers)
        ]
        for n, row in enumerate([[header.upper() for header in headers], *cells]):
            padded = [
                cell + " " * (w - len(_plain(cell))) for cell, w in zip(row, widths, strict=True)
            ]
            line = "  ".join(padded).rstrip()
            self.stdout.write((self.paint(line, "bold") if n == 0 else line) + "\n")

    def fields(self, pairs: Iterable[tuple[str, Any]], *, indent: str = "") -> None:
        """Print ``key: value`` pairs aligned on a terminal, else ``key<TAB>value`` lines."""
        if self.json_mode:
            return
        shown = [(key, _text(value)) for key, value in pairs]
        if not self.terminal:
            for key, value in shown:
                self.stdout.write(f"{key.replace(' ', '_')}\t{value}\n")
            return
        width = max((len(key) for key, _ in shown), default=0)
        for key, value in shown:
            self.stdout.write(
                f"{indent}{self.paint((key + ':').ljust(width + 1), 'dim')} {value}\n"
            )

    def heading(self, text: str) -> None:
        """Print a section heading (terminal only)."""
        if not self.json_mode and self.terminal:
            self.stdout.write(self.paint(text, "bold") + "\n")

    def warn(self, message: str) -> None:
        """Print ``Warning: message`` on standard error, once per message."""
        if message in self._warned:
            return
        self._warned.add(message)
        self.stderr.write(f"{self.paint('Warning:', 'yellow', err=True)} {escaped(message)}\n")

    def error(self, message: str, hint: str | None = None) -> None:
        """Print ``Error: message`` and an optional ``Hint: ...``, control characters escaped."""
        self.stderr.write(f"{self.paint('Error:', 'red', err=True)} {escaped(message)}\n")
        if hint:
            self.stderr.write(f"{self.paint('Hint:', 'cyan', err=True)} {escaped(hint)}\n")
