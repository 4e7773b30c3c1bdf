"""Where the passphrase of the encrypted secrets vault comes from, first match wins.

(An unlock agent holding the vault comes first: ``encrypted_file``.) Then
``$TILEDB_CLIENT_PASSPHRASE``, the file named by ``$TILEDB_CLIENT_PASSPHRASE_FILE``, the
systemd credential ``$CREDENTIALS_DIRECTORY/tiledb-client-passphrase``, a hidden prompt
on a terminal, else :class:`~tiledb.client.errors.BackendUnavailableError` (SECURITY.md,
"Passphrase sources"). Nothing here prints, logs or quotes a passphrase.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tiledb.client.basics.file_safety import (
    mode_of,
    others_can_change_path,
    others_can_read,
    read_regular_file,
)
from tiledb.client.errors import BackendUnavailableError, SecretBackendError

__all__ = [
    "InsecureFileWarning",
    "PASSPHRASE_ENV",
    "PASSPHRASE_FILE_ENV",
    "CREDENTIAL_NAME",
    "NO_SOURCE_HINT",
    "PROMPT_SOURCE",
    "PassphraseSource",
    "configured_source",
    "find_source",
    "terminal_prompt_possible",
]

PASSPHRASE_ENV = "TILEDB_CLIENT_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
PASSPHRASE_FILE_ENV = "TILEDB_CLIENT_PASSPHRASE_FILE"  # noqa: S105 - a variable name
CREDENTIAL_NAME = "tiledb-client-passphrase"
NO_SOURCE_HINT = (
    "no passphrase source: run `tiledb-client unlock` once (an agent then answers), or set"
    f" {PASSPHRASE_ENV} to the passphrase, or {PASSPHRASE_FILE_ENV} to a file holding it"
    " (a terminal prompt is used only on an interactive terminal)"
)
_MAX_FILE_BYTES = 64 * 1024  # a passphrase, not a document: refuse /dev/zero and friends

logger = logging.getLogger(__name__)


class InsecureFileWarning(UserWarning):
    """A file holding a secret can be read by other users (e.g. a 0644 passphrase file)."""


@dataclass(frozen=True)
class PassphraseSource:
    """One place a passphrase can be read from; ``label`` names it for people and the key cache."""

    kind: Literal["env", "file", "stdin", "prompt"]
    label: str
    path: Path | None = None

    @property
    def interactive(self) -> bool:
        """Whether reading asks a person (so the result is worth remembering)."""
        return self.kind == "prompt"

    def read(self, *, vault: Path, confirm: bool = False) -> str:
        """Return the passphrase, never empty; ``confirm``: a prompt asks twice (a new vault).

        Raises SecretBackendError when the source is unset, unreadable or empty, or the two
        answers differ.
        """
        if self.kind == "env":
            value = os.environ.get(PASSPHRASE_ENV, "")
            if not value:
                raise SecretBackendError(f"{PASSPHRASE_ENV} is no longer set.")
            return value
        if self.kind == "file":
            return _read_file(self.path or Path(), self.label)
        if self.kind == "stdin":
            line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
            if not line:
                raise SecretBackendError("No passphrase on standard input.")
            return line
        return _prompt(vault, confirm=confirm)

    def wrong_passphrase_hint(self) -> str:
        """Say how to give the right passphrase through this source (and what shadows what)."""
        if self.kind == "env":
            hint = f"Set {PASSPHRASE_ENV} to the passphrase the vault was created with."
            if os.environ.get(PASSPHRASE_FILE_ENV):
                hint += (
                    f" It wins over {PASSPHRASE_FILE_ENV}: unset {PASSPHRASE_ENV} to use the"
                    " file instead."
                )
            return hint
        if self.kind == "file":
            return (
                f"Put the vault's passphrase in {self.path} (one line), or point"
                f" {PASSPHRASE_FILE_ENV} at the file that holds it."
            )
        return (
            "Type the passphrase the vault was created with (the first `configure` that used"
            f" it chose it), or give it without a prompt in {PASSPHRASE_ENV} or a file named by"
            f" {PASSPHRASE_FILE_ENV}."
        )

    def check(self) -> str | None:
        """Return why the source cannot be read, or ``None`` when it can; never prompts."""
        if self.kind != "file":
            return None
        try:
            self.read(vault=Path())
        except SecretBackendError as exc:
            return str(exc)
        return None


def configured_source() -> PassphraseSource | None:
    """Return the non-interactive source the environment configures, if any; reads no file."""
    if os.environ.get(PASSPHRASE_ENV):
        return PassphraseSource("env", f"${PASSPHRASE_ENV}")
    file_name = os.environ.get(PASSPHRASE_FILE_ENV)
    if file_name:
        path = Path(file_name).expanduser().absolute()
        return PassphraseSource("file", f"the file {path} (${PASSPHRASE_FILE_ENV})", path)
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL_NAME).is_file():
        path = Path(credentials) / CREDENTIAL_NAME
        return PassphraseSource("file", f"the systemd credential {path}", path)
    return None


PROMPT_SOURCE = PassphraseSource("prompt", "the terminal prompt")
"""The hidden prompt on the terminal, a source when standard input is one."""


def terminal_prompt_possible() -> bool:
    """Return whether a passphrase could be asked for now (standard input is a terminal)."""
    return _stdin_is_terminal()


def find_source() -> PassphraseSource:
    """Return a configured source, else the terminal prompt, else BackendUnavailableError."""
    source = configured_source()
    if source is not None:
        return source
    if _stdin_is_terminal():
        return PROMPT_SOURCE
    raise BackendUnavailableError(
        f"The encrypted secrets file needs a passphrase, and there is {NO_SOURCE_HINT}."
    )


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, OSError, ValueError):
        return False


def _check_file_safety(path: Path, label: str) -> None:
    """Refuse a passphrase file others can change; warn when they can read it (SECURITY.md)."""
    change = others_can_change_path(path)
    if change is not None:
        raise SecretBackendError(
            f"Refusing the passphrase in {label}: {change} (mode {mode_of(path)}). Another"
            " user could choose the"
            " passphrase of a new vault, or lock you out. Make the file yours and writable"
            " by you only (chmod 600)."
        )
    read = others_can_read(path)
    if read is not None:
        message = (
            f"The passphrase in {label} is not private: {read} (mode {mode_of(path)})."
            " Anyone who reads it can"
            " decrypt the secrets vault; chmod 600 it unless only you run here."
        )
        warnings.warn(message, InsecureFileWarning, stacklevel=2)
        logger.warning("%s", message)


def _read_file(path: Path, label: str) -> str:
    _check_file_safety(path, label)
    try:
        data = read_regular_file(path, _MAX_FILE_BYTES)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SecretBackendError(
            f"Cannot read the passphrase from {label}: {reason}. "
            f"Fix the file or its permissions, or unset {PASSPHRASE_FILE_ENV}."
        ) from None
    if len(data) > _MAX_FILE_BYTES:
        raise SecretBackendError(f"The passphrase in {label} is longer than 64 KiB.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # The decoder's message quotes bytes of the file.
        raise SecretBackendError(f"The passphrase in {label} is not UTF-8 text.") from None
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    if not text:
        raise SecretBackendError(
            f"{label[:1].upper()}{label[1:]} is empty: it should hold the vault's passphrase.",
            hint=f"Write the passphrase into it (one line), or unset {PASSPHRASE_FILE_ENV}.",
        )
    return text


PROMPT_TRIES = 3
"""Tries at a passphrase prompt, as sudo and ssh give."""
MIN_NEW_PASSPHRASE = 8
"""The shortest passphrase a new vault takes at the prompt (characters)."""


def _prompt(vault: Path, *, confirm: bool) -> str:
    what = "New passphrase" if confirm else "Passphrase"
    try:
        for tries_left in range(PROMPT_TRIES - 1, -1, -1):
            first = getpass.getpass(f"{what} for the TileDB secrets vault {vault}: ")
            if not first:
                raise SecretBackendError("The passphrase is empty; nothing was changed.")
            if not confirm:
                return first
            if len(first) < MIN_NEW_PASSPHRASE:
                problem = f"That passphrase is too short ({len(first)} characters): use at least"
                problem += f" {MIN_NEW_PASSPHRASE}"
            elif getpass.getpass("Repeat the passphrase: ") != first:
                problem = "The two passphrases differ"
            else:
                return first
            if not tries_left:
                raise SecretBackendError(f"{problem}; nothing was changed.")
            sys.stderr.write(f"{problem}; try again.\n")
    except EOFError:
        raise SecretBackendError("No passphrase was entered (end of input).") from None
    raise AssertionError("unreachable")  # pragma: no cover
