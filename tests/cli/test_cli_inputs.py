"""Secrets on standard input and in the environment: cleaned or refused, never printed.

Issue 8, items 1, 8 and 10: ``printf ' tok\\n' | configure --token-stdin``, a token
with a newline in ``TILEDB_REST_TOKEN`` shown in full by ``whoami`` / ``-v login`` /
``doctor``; invalid UTF-8 on ``--token-stdin`` ending in ``UnicodeEncodeError``;
``--profile ""`` silently meaning ``default``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)

from .conftest import Cli, child_env


def run_bytes(*args: str, stdin: bytes) -> subprocess.CompletedProcess[str]:
    """Run the command line with raw bytes on standard input."""
    proc = subprocess.run(
        [sys.executable, "-m", "tiledb.client", *args],
        input=stdin,
        capture_output=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def test_a_piped_token_with_surrounding_whitespace_is_stored_clean(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", input=f" {DEFAULT_TOKEN}\n")
    login = cli("-v", "login", "--json")
    assert login.json()["user"] == DEFAULT_USERNAME


@pytest.mark.parametrize(
    ("stdin", "problem"),
    [
        (b"tdb-SeCrEt\x00value\n", "control character U+0000"),
        (b"tdb-SeCrEt\x1b]0;title\x07value\n", "control character U+001B"),
        (b"tdb-SeCrEt\xffvalue\n", "not valid UTF-8"),
        (b"tdb-SeCrEt\xed\xa0\x80value\n", "not valid UTF-8"),  # an encoded lone surrogate
        (b"x" * 100_000, "the limit is 1024"),
        (b"first-SeCrEt\nsecond\n", "several lines"),
    ],
)
def test_bad_stdin_tokens_are_refused_naming_the_input(
    stdin: bytes, problem: str, local_server: LocalServer, vault: Path
) -> None:
    result = run_bytes(
        "configure", "--host", local_server.url, "--workspace", DEFAULT_WORKSPACE,
        "--token-stdin", stdin=stdin,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert problem in result.stderr
    assert "--token-stdin" in result.stderr
    assert "Unexpected internal error" not in result.stderr
    assert "SeCrEt" not in result.stdout + result.stderr
    assert ProfileStore().get("default") is None


def test_an_invalid_utf8_password_is_refused(local_server: LocalServer, vault: Path) -> None:
    result = run_bytes(
        "configure",
        "--host",
        local_server.url,
        "--workspace",
        DEFAULT_WORKSPACE,
        "--username",
        DEFAULT_USERNAME,
        "--password-stdin",
        stdin=b"pass\xc3word\n",
    )
    assert result.returncode == 1
    assert "The password read from standard input (--password-stdin) is not valid UTF-8" in (
        result.stderr
    )


def test_a_newline_token_in_the_environment_is_never_printed(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    env = {
        "TILEDB_REST_TOKEN": f"{DEFAULT_TOKEN}\n",
        "TILEDB_REST_SERVER_ADDRESS": local_server.url,
    }
    assert cli("whoami", "--json", env=env).json()["user"] == DEFAULT_USERNAME
    assert cli("-v", "login", env=env).returncode == 0
    cli("doctor", env=env, expect=None)
    # A token that cannot be cleaned: refused by name, never shown (the cli fixture
    # also checks every output of this test for the token).
    bad = {**env, "TILEDB_REST_TOKEN": f"{DEFAULT_TOKEN[:20]}\n{DEFAULT_TOKEN[20:]}"}
    for args in (("whoami",), ("-v", "login"), ("-v", "whoami", "--json")):
        result = cli(*args, env=bad, expect=1)
        assert "TILEDB_REST_TOKEN spans several lines" in result.stderr
        assert DEFAULT_TOKEN[:20] not in result.output
        assert DEFAULT_TOKEN[20:] not in result.output


def test_an_empty_profile_name_is_an_error(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    result = cli(
        "configure", "--profile", "", "--host", local_server.url, "--token-stdin",
        input=DEFAULT_TOKEN, expect=1,
    )  # fmt: skip
    assert "Invalid profile name ''" in result.stderr
    assert ProfileStore().get("default") is None
    for args in (("login",), ("whoami",), ("logout",), ("profile", "show", "")):
        assert "Invalid profile name ''" in cli(*args, "--profile", "", expect=1).stderr


def test_a_password_with_spaces_and_a_newline_from_stdin(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    local_server.add_user("bo", f" {DEFAULT_PASSWORD} ", workspaces={DEFAULT_WORKSPACE: "member"})
    cli.secrets.append(f" {DEFAULT_PASSWORD} ")
    cli(
        "configure", "--host", local_server.url, "--workspace", DEFAULT_WORKSPACE,
        "--username", "bo", "--password-stdin", input=f" {DEFAULT_PASSWORD} \n",
    )  # fmt: skip
    assert cli("login", "--json").json()["user"] == "bo"


def test_doctor_and_migrate_never_show_a_password_kept_in_a_host(
    cli: Cli, local_server: LocalServer, vault: Path, hermetic_env: Path
) -> None:
    # A profile written by hand (or another tool) with credentials inside the host URL.
    leaked = "hunter2-SeCrEt"
    cli.secrets.append(leaked)
    bad_host = local_server.url.replace("http://", f"http://ada:{leaked}@")
    directory = hermetic_env / ".tiledb"
    directory.mkdir(mode=0o700)
    (directory / "profiles.json").write_text(
        json.dumps(
            {
                "version": 1,
                "default": {"rest.server_address": bad_host, "rest.token": DEFAULT_TOKEN},
                "ftp": {"rest.server_address": "ftp://files.example", "rest.token": "t"},
            }
        )
    )
    doctor = cli("doctor", expect=None)
    assert "Unexpected internal error" not in doctor.output
    assert "user information" in doctor.output
    assert "scheme 'ftp' is not supported" in doctor.output
    plan = cli("migrate", "--dry-run", "--json", expect=None)
    assert "Unexpected internal error" not in plan.output
    items = {item["profile"]: item for item in plan.json()["items"]}
    assert items["default"]["action"] == "error"
    assert "user information" in items["default"]["reason"]
    # Nothing reached the server with the credentials of the host.
    assert not [r for r in local_server.requests if "authorization" in r.headers]
