"""The command line on a real (pseudo-)terminal: hidden prompts, confirmation, end of input.

``pexpect`` runs ``python -m tiledb.client`` with a pty as its controlling terminal,
so ``getpass`` and ``input`` behave as for a person at a keyboard: the test types,
and everything the terminal showed is kept in a transcript.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, DEFAULT_USERNAME, LocalServer

from ..backends import VAULT_PASSPHRASE
from .conftest import Cli, child_env

EOF_KEY = "\x04"  # Ctrl-D at the start of a line: end of input on a terminal


class Terminal:
    """One run of the command line on a pseudo-terminal."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "tiledb.client", *args],
            env=env,
            encoding="utf-8",
            timeout=30,
            dimensions=(24, 200),
        )
        self.child.logfile_read = self.transcript

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)

    def type(self, line: str) -> None:
        self.child.sendline(line)

    def type_new_passphrase(self, first: str, repeat: str) -> None:
        """At the new-passphrase prompt: ``first``, then ``repeat`` when asked again."""
        self.type(first)
        self.expect("Repeat the passphrase: ")
        self.type(repeat)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF, timeout=60)
        self.child.close()
        status = self.child.exitstatus
        assert status is not None, self.text
        return int(status)

    @property
    def text(self) -> str:
        return self.transcript.getvalue()


@pytest.fixture
def terminal_env(vault: Path) -> Iterator[dict[str, str]]:
    """The child's environment: the test's vault, but no passphrase, so it must prompt."""
    env = child_env()
    env.pop("TILEDB_CLIENT_PASSPHRASE")
    env["TERM"] = "dumb"
    yield env


def configure_on_terminal(server: LocalServer, env: dict[str, str]) -> Terminal:
    terminal = Terminal("configure", "--host", server.url, env=env)
    terminal.expect("Token (input hidden): ")
    terminal.type(DEFAULT_TOKEN)
    terminal.expect("New passphrase for the TileDB secrets vault ")
    return terminal


def test_hidden_prompts_and_a_confirmed_new_passphrase(
    local_server: LocalServer, vault: Path, terminal_env: dict[str, str]
) -> None:
    terminal = configure_on_terminal(local_server, terminal_env)
    terminal.expect(f"{vault}: ")  # the prompt names the vault
    terminal.type_new_passphrase(VAULT_PASSPHRASE, VAULT_PASSPHRASE)
    assert terminal.finish() == 0, terminal.text
    # Nothing typed was echoed: neither the token nor the passphrase is on the screen.
    assert DEFAULT_TOKEN not in terminal.text
    assert VAULT_PASSPHRASE not in terminal.text
    profile = ProfileStore().get("default")
    assert profile is not None
    assert profile["client.secret_backend"] == "encrypted-file"
    stored = get_backend("encrypted-file").get(
        secret_entry_key(profile["client.secret_id"], "token")
    )
    assert stored == DEFAULT_TOKEN  # and the typed passphrase opens the vault

    # A later command asks once (the vault exists), on the same terminal.
    login = Terminal("login", "--json", env=terminal_env)
    login.expect("Passphrase for the TileDB secrets vault ")
    login.type(VAULT_PASSPHRASE)
    assert login.finish() == 0, login.text
    assert f'"user": "{DEFAULT_USERNAME}"' in login.text
    assert VAULT_PASSPHRASE not in login.text


def test_different_passphrases_get_another_try(
    local_server: LocalServer, vault: Path, terminal_env: dict[str, str]
) -> None:
    """Issue 20, finding 6: a typo at "Repeat" lost the token just pasted."""
    terminal = configure_on_terminal(local_server, terminal_env)
    terminal.type("short")
    terminal.expect("use at least 8; try again.")
    terminal.expect("New passphrase for the TileDB secrets vault ")
    terminal.type_new_passphrase(VAULT_PASSPHRASE, VAULT_PASSPHRASE + " typo")
    terminal.expect("The two passphrases differ; try again.")
    terminal.expect("New passphrase for the TileDB secrets vault ")
    terminal.type_new_passphrase(VAULT_PASSPHRASE, VAULT_PASSPHRASE)
    assert terminal.finish() == 0, terminal.text
    assert DEFAULT_TOKEN not in terminal.text
    assert VAULT_PASSPHRASE not in terminal.text

    login = Terminal("login", env=terminal_env)  # and a wrong passphrase gets another try
    login.expect("Passphrase for the TileDB secrets vault ")
    login.type("not the passphrase")
    login.expect("That passphrase does not unlock the vault; try again.")
    login.expect("Passphrase for the TileDB secrets vault ")
    login.type(VAULT_PASSPHRASE)
    assert login.finish() == 0, login.text


def test_three_different_passphrases_save_nothing(
    local_server: LocalServer, vault: Path, terminal_env: dict[str, str]
) -> None:
    terminal = configure_on_terminal(local_server, terminal_env)
    for typo in ("a", "b", "c"):
        terminal.type_new_passphrase(VAULT_PASSPHRASE, VAULT_PASSPHRASE + typo)
    assert terminal.finish() == 1
    assert "The two passphrases differ; nothing was changed." in terminal.text
    assert "Traceback" not in terminal.text
    assert not vault.exists()
    assert ProfileStore().get("default") is None


@pytest.mark.parametrize("at", ["first", "repeat"])
def test_end_of_input_at_the_passphrase_prompt(
    local_server: LocalServer, vault: Path, terminal_env: dict[str, str], at: str
) -> None:
    terminal = configure_on_terminal(local_server, terminal_env)
    if at == "repeat":
        terminal.type(VAULT_PASSPHRASE)
        terminal.expect("Repeat the passphrase: ")
    terminal.child.send(EOF_KEY)
    assert terminal.finish() == 1
    assert "No passphrase was entered (end of input)." in terminal.text
    assert "Traceback" not in terminal.text
    assert "internal error" not in terminal.text
    assert not vault.exists()
    assert ProfileStore().get("default") is None


def test_end_of_input_at_the_token_prompt(
    local_server: LocalServer, vault: Path, terminal_env: dict[str, str]
) -> None:
    terminal = Terminal("configure", "--host", local_server.url, env=terminal_env)
    terminal.expect("Token (input hidden): ")
    terminal.child.send(EOF_KEY)
    assert terminal.finish() == 1
    assert "Error: No token entered" in terminal.text
    assert "internal error" not in terminal.text
    assert ProfileStore().get("default") is None


@pytest.mark.parametrize(("answer", "deleted"), [("n", False), ("", False), ("yes", True)])
def test_profile_delete_asks_on_a_terminal(
    cli: Cli, local_server: LocalServer, vault: Path, answer: str, deleted: bool
) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN)
    terminal = Terminal("profile", "delete", "default", env=child_env())
    terminal.expect("[y/N] ")
    terminal.type(answer)
    assert terminal.finish() == (0 if deleted else 1), terminal.text
    assert (ProfileStore().get("default") is None) is deleted
    if not deleted:
        assert "Cancelled; nothing was changed." in terminal.text


def test_ctrl_c_at_a_prompt_leaves_the_prompt_line(
    local_server: LocalServer, vault: Path, terminal_env: dict[str, str]
) -> None:
    """Issue 20, finding 8: "Error: Interrupted." landed on the prompt's line."""
    terminal = Terminal("configure", "--host", local_server.url, env=terminal_env)
    terminal.expect("Token (input hidden): ")
    terminal.child.sendintr()
    assert terminal.finish() == 130
    prompt_line = terminal.text.split("Token (input hidden): ", 1)[1].split("\n", 1)[0]
    assert "Error" not in prompt_line
    assert "\nError: Interrupted." in terminal.text.replace("\r\n", "\n")
    assert ProfileStore().get("default") is None


def test_cli_habits_on_a_terminal(terminal_env: dict[str, str]) -> None:
    """Issue 20, finding 7, where a person meets it (tests/cli/test_cli_habits.py: the rest)."""
    bare = Terminal(env=terminal_env)
    bare.expect("usage: tiledb-client")
    assert bare.finish() == 0
    typo = Terminal("logn", env=terminal_env)
    typo.expect("unknown command 'logn'; did you mean 'login'?")
    assert typo.finish() == 2
    before = Terminal("--profile", "nowhere", "login", env=terminal_env)
    before.expect("profile 'nowhere' does not exist")
    assert before.finish() == 1
    assert "invalid choice" not in before.text
