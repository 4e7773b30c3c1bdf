"""Pieces shared by the commands: the printer, the error type, common options, reading secrets.

Warnings and errors go to standard error; ``--json`` prints one JSON document. Tables and
colour only on a terminal; piped, tables are tab-separated lines without a header.

A secret comes from standard input (``--token-stdin``, ``--password-stdin``) or a hidden
prompt on a terminal, never from an argument; without either the command fails at once.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from tiledb.client.basics.inputs import MAX_SECRET_LENGTH, CredentialKind, clean_secret
from tiledb.client.basics.masking import escaped
from tiledb.client.errors import ConfigurationError, ExplainedError

if TYPE_CHECKING:
    from tiledb.client.session.session import Session

__all__ = [
    "CliError",
    "Output",
    "add_json",
    "add_profile_dir",
    "add_profile_options",
    "confirm",
    "isatty",
    "login",
    "prompt_value",
    "read_secret",
    "stdin_is_terminal",
]

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


class CliError(ExplainedError):
    """A command-line failure: ``Error: message`` and ``Hint: hint``, exit status 1."""


def add_profile_dir(parser: argparse.ArgumentParser) -> None:
    """Add ``--profile-dir DIR``."""
    parser.add_argument(
        "--profile-dir",
        metavar="DIR",
        help="directory of profiles.json (default: $TILEDB_PROFILE_DIR, else ~/.tiledb)",
    )


def add_profile_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--profile NAME`` and ``--profile-dir DIR``."""
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="profile name (default: $TILEDB_PROFILE_NAME, else 'default')",
    )
    add_profile_dir(parser)


def add_json(parser: argparse.ArgumentParser) -> None:
    """Add ``--json``."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document on standard output"
    )


def login(args: argparse.Namespace) -> Session:
    """Log in with ``--profile`` and ``--profile-dir``; return the session installed."""
    from tiledb.client import client as api
    from tiledb.client.session import current

    api.login(profile_name=args.profile, profile_dir=args.profile_dir)
    session = current.peek()
    if session is None:  # login() installs a session or raises
        raise CliError("The login did not establish a session.")
    return session


def stdin_is_terminal() -> bool:
    """Return whether standard input is an interactive terminal."""
    return isatty(sys.stdin)


def _from_stdin(label: CredentialKind, flag: str) -> str:
    source = f"standard input ({flag})"
    # A little more than the longest secret (UTF-8: up to 4 bytes a character), so that an
    # endless or huge pipe is refused instead of filling the memory.
    limit = 4 * MAX_SECRET_LENGTH + 3
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read(limit)
    else:
        data = str(sys.stdin.read(limit) if sys.stdin else "").encode("utf-8", "surrogateescape")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"The {label} read from {source} is not valid UTF-8 text (an invalid byte at"
            f" offset {exc.start}).",
            hint=f"Give the {label} as UTF-8 text, exactly as issued.",
        ) from None
    if not text.strip("\r\n"):
        raise CliError(
            f"{flag} was given, but standard input held no {label}.",
            hint="Pipe exactly one line, e.g."
            f" `printenv TOKEN_VAR | tiledb-client configure ... {flag}`.",
        )
    return _cleaned(text, label, source)


def _cleaned(text: str, label: CredentialKind, source: str) -> str:
    """The secret checked by :func:`clean_secret`, as a CliError if refused."""
    try:
        return clean_secret(text, label, source=source)
    except ConfigurationError as exc:
        raise CliError(
            str(exc), hint="Give exactly one line (one trailing newline is removed)."
        ) from None


def read_secret(label: CredentialKind, *, from_stdin: bool, flag: str) -> str:
    """Return a secret from standard input (``from_stdin``: option ``flag``), or a hidden prompt.

    Raises CliError when nothing was given, :func:`~tiledb.client.basics.inputs.clean_secret`
    refuses it, or there is neither the flag nor a terminal.
    """
    if from_stdin:
        return _from_stdin(label, flag)
    if not stdin_is_terminal():
        raise CliError(
            f"No {label} given, and standard input is not a terminal, so there is no prompt.",
            hint=f"Pipe it in with {flag}; secrets are never taken as command-line arguments.",
        )
    try:
        value = getpass.getpass(f"{label.capitalize()} (input hidden): ")
    except EOFError:  # Ctrl-D at the prompt
        value = ""
    if not value:
        raise CliError(
            f"No {label} entered.", hint=f"Type it at the prompt, or pipe it in with {flag}."
        )
    return _cleaned(value, label, "the prompt")


def prompt_value(label: str) -> str | None:
    """Ask for a non-secret value on a terminal; ``None`` without a terminal or answer."""
    if not stdin_is_terminal():
        return None
    try:
        return input(f"{label}: ").strip() or None
    except EOFError:
        return None


def confirm(question: str, *, assume_yes: bool, what: str) -> None:
    """Ask a yes/no question on a terminal, else require ``assume_yes``; CliError on no."""
    if assume_yes:
        return
    if not stdin_is_terminal():
        raise CliError(
            f"Refusing to {what} without confirmation.", hint="Pass --yes when scripting."
        )
    try:
        answer = input(f"{question} [y/N] ").strip().lower()
    except EOFError:
        answer = ""
    if answer not in ("y", "yes"):
        raise CliError("Cancelled; nothing was changed.")
