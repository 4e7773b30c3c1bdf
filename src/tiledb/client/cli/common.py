"""Pieces shared by the commands: the error type, common options, reading secrets.

Secrets are read from standard input (``--token-stdin`` / ``--password-stdin``; one
trailing newline removed) or from a hidden ``getpass`` prompt on a terminal. Without
a terminal and without the flag, the command fails at once rather than block. A
secret is never accepted as a command-line argument.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

__all__ = [
    "CliError",
    "add_json",
    "add_profile_dir",
    "add_profile_options",
    "confirm",
    "read_secret",
    "stdin_is_terminal",
]


class CliError(Exception):
    """A failure to report as ``Error: message`` (and ``Hint: hint``); exit status 1.

    Parameters
    ----------
    message : str
        What went wrong; never a secret.
    hint : str, optional
        What to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


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


def stdin_is_terminal() -> bool:
    """Return whether standard input is an interactive terminal."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _from_stdin(label: str, flag: str) -> str:
    data = sys.stdin.read() if sys.stdin is not None else ""
    if data.endswith("\r\n"):
        data = data[:-2]
    elif data.endswith("\n"):
        data = data[:-1]
    if not data:
        raise CliError(
            f"{flag} was given, but standard input held no {label}.",
            "Pipe exactly one line, e.g."
            f" `printenv TOKEN_VAR | tiledb-client configure ... {flag}`.",
        )
    if "\n" in data or "\r" in data:
        raise CliError(
            f"The {label} read from standard input ({flag}) spans several lines.",
            "Give exactly one line (one trailing newline is removed).",
        )
    return data


def read_secret(label: str, *, from_stdin: bool, flag: str) -> str:
    """Return a secret from standard input, or a hidden prompt on a terminal.

    Parameters
    ----------
    label : str
        What is asked for, e.g. ``"token"``.
    from_stdin : bool
        The ``--token-stdin``-like flag was given.
    flag : str
        That flag's name, for messages, e.g. ``"--token-stdin"``.

    Raises
    ------
    CliError
        When nothing was given, or there is neither the flag nor a terminal.
    """
    if from_stdin:
        return _from_stdin(label, flag)
    if not stdin_is_terminal():
        raise CliError(
            f"No {label} given, and standard input is not a terminal, so there is no prompt.",
            f"Pipe it in with {flag}; secrets are never taken as command-line arguments.",
        )
    value = getpass.getpass(f"{label.capitalize()} (input hidden): ")
    if not value:
        raise CliError(f"No {label} entered.")
    return value


def prompt_value(label: str, default: str | None = None) -> str | None:
    """Ask for a non-secret value on a terminal; ``None`` without a terminal or answer."""
    if not stdin_is_terminal():
        return default
    shown = f" [{default}]" if default else ""
    try:
        answer = input(f"{label}{shown}: ").strip()
    except EOFError:
        return default
    return answer or default


def confirm(question: str, *, assume_yes: bool, what: str) -> None:
    """Ask a yes/no question on a terminal; require ``--yes`` otherwise.

    Raises
    ------
    CliError
        When the answer is no, or there is no terminal and ``assume_yes`` is false.
    """
    if assume_yes:
        return
    if not stdin_is_terminal():
        raise CliError(f"Refusing to {what} without confirmation.", "Pass --yes when scripting.")
    try:
        answer = input(f"{question} [y/N] ").strip().lower()
    except EOFError:
        answer = ""
    if answer not in ("y", "yes"):
        raise CliError("Cancelled; nothing was changed.")


def value(args: argparse.Namespace, name: str) -> Any:
    """Return ``args.<name>``, or ``None`` when the command has no such option."""
    return getattr(args, name, None)
