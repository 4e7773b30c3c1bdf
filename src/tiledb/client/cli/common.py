"""Pieces shared by the commands: the error type, common options, logging in, reading secrets.

A secret comes from standard input (``--token-stdin``, ``--password-stdin``) or a hidden
prompt on a terminal, never from an argument; without either the command fails at once.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from tiledb.client.basics.inputs import MAX_SECRET_LENGTH, CredentialKind, clean_secret
from tiledb.client.cli.output import isatty
from tiledb.client.errors import ConfigurationError, ExplainedError

if TYPE_CHECKING:
    from tiledb.client.session.session import Session

__all__ = [
    "CliError",
    "add_json",
    "add_profile_dir",
    "add_profile_options",
    "confirm",
    "login",
    "prompt_value",
    "read_secret",
    "stdin_is_terminal",
]


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
