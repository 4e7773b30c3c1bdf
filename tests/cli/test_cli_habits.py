"""Habits from gh and aws (issue 20, finding 7): options before the command, typos, no command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiledb.client.testing import DEFAULT_TOKEN, LocalServer

from .conftest import Cli


def test_a_bare_command_prints_the_help(cli: Cli) -> None:
    shown = cli()  # before: "the following arguments are required: COMMAND", status 2
    assert shown.stdout.startswith("usage: tiledb-client")
    assert "common commands:" in shown.stdout
    assert shown.stderr == ""


@pytest.mark.parametrize(("typed", "meant"), [("logn", "login"), ("whoamii", "whoami")])
def test_a_mistyped_command_gets_a_suggestion(cli: Cli, typed: str, meant: str) -> None:
    failed = cli(typed, expect=2)
    assert f"unknown command {typed!r}; did you mean {meant!r}?" in failed.stderr
    assert "invalid choice" not in failed.stderr


def test_profile_options_before_the_command(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    home = tmp_path / "profiles"
    cli("--profile-dir", str(home), "--profile", "lab", "configure", "--host", local_server.url,
        "--token-stdin", input=DEFAULT_TOKEN)  # fmt: skip
    assert (home / "profiles.json").is_file()
    listed = cli("--profile-dir", str(home), "profile", "list", "--json").json()
    assert [p["name"] for p in listed["profiles"]] == ["lab"]
    assert cli("--profile-dir", str(home), "--profile", "lab", "login").returncode == 0
    assert "takes no --profile" in cli("--profile", "lab", "backends", expect=2).stderr
    twice = cli("--profile", "lab", "login", "--profile", "other", expect=2)
    assert "--profile was given twice, with two values" in twice.stderr


def test_logout_of_a_token_profile_offers_the_way_to_forget_it(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    cli("configure", "--profile", "ci", "--host", local_server.url, "--token-stdin",
        input=DEFAULT_TOKEN)  # fmt: skip
    said = cli("logout", "--profile", "ci").stdout  # before: "nothing to do", and no way out
    assert "an API token, never revoked by logout" in said
    assert "To forget its token here: tiledb-client profile delete ci" in said


def test_configure_checks_by_default_and_saves_nothing_it_could_not_check(
    cli: Cli, vault: Path, hermetic_env: Path
) -> None:
    """Issue 20, finding 5: a port where nothing listens was stored, exit status 0."""
    args = ("configure", "--host", "http://127.0.0.1:9", "--workspace", "acme", "--token-stdin")
    failed = cli(*args, input=DEFAULT_TOKEN, expect=1)
    assert "Error: Cannot reach 127.0.0.1:9" in failed.stderr
    assert "Nothing was saved." in failed.stderr
    assert "pass --no-verify to save them unchecked" in failed.stderr
    assert not (hermetic_env / ".tiledb" / "profiles.json").exists()
    assert list(vault.parent.glob("*.vault")) == []
    cli(*args, "--no-verify", input=DEFAULT_TOKEN)
    assert (hermetic_env / ".tiledb" / "profiles.json").exists()
