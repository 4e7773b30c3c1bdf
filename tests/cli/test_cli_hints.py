"""Each failure's hint fits its cause; none sends people to a command that fails the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiledb.client.testing import DEFAULT_TOKEN, LocalServer

from .conftest import Cli, Result

GENERIC = "to store credentials first"


def error_and_hint(result: Result) -> tuple[str, str]:
    lines = result.stderr.splitlines()
    error = next(line for line in lines if line.startswith("Error: "))
    hint = next((line for line in lines if line.startswith("Hint: ")), "")
    return error, hint


def configure_token(cli: Cli, url: str, *extra: str, env: dict[str, str] | None = None) -> None:
    cli("configure", "--host", url, "--token-stdin", *extra, input=DEFAULT_TOKEN, env=env)


@pytest.mark.parametrize("command", ["login", "whoami"])
def test_wrong_passphrase_names_its_source_and_the_fix(
    cli: Cli, local_server: LocalServer, vault: Path, command: str
) -> None:
    configure_token(cli, local_server.url)
    failed = cli(command, env={"TILEDB_CLIENT_PASSPHRASE": "not the passphrase"}, expect=1)
    error, hint = error_and_hint(failed)
    assert "The passphrase from $TILEDB_CLIENT_PASSPHRASE does not unlock" in error
    expected = "Set TILEDB_CLIENT_PASSPHRASE to the passphrase the vault was created with."
    assert hint == f"Hint: {expected}"
    assert GENERIC not in failed.stderr
    assert "whoami" not in hint


def test_wrong_passphrase_file_names_the_file(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    configure_token(cli, local_server.url)
    wrong = tmp_path / "passphrase"
    wrong.write_text("not the passphrase\n")
    env = {"TILEDB_CLIENT_PASSPHRASE": "", "TILEDB_CLIENT_PASSPHRASE_FILE": str(wrong)}
    error, hint = error_and_hint(cli("login", env=env, expect=1))
    assert f"the file {wrong} ($TILEDB_CLIENT_PASSPHRASE_FILE)" in error
    assert f"Put the vault's passphrase in {wrong}" in hint


def test_empty_passphrase_file_reads_well(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    configure_token(cli, local_server.url)
    empty = tmp_path / "passphrase"
    empty.write_text("\n")
    env = {"TILEDB_CLIENT_PASSPHRASE": "", "TILEDB_CLIENT_PASSPHRASE_FILE": str(empty)}
    error, hint = error_and_hint(cli("login", env=env, expect=1))
    assert f"The file {empty} ($TILEDB_CLIENT_PASSPHRASE_FILE) is empty" in error
    assert "file the file" not in error
    assert "Write the passphrase into it" in hint


def test_keyring_profile_without_dbus_says_how_to_reach_it(
    cli: Cli, local_server: LocalServer, secret_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_token(cli, local_server.url, "--backend", "keyring")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")  # as in an SSH session
    for command in ("login", "whoami"):
        failed = cli(command, expect=1)
        error, hint = error_and_hint(failed)
        assert "The OS keyring could not read" in error
        assert "no D-Bus session bus" in hint
        assert "DBUS_SESSION_BUS_ADDRESS" in hint
        assert "tiledb-client configure --profile default --overwrite --backend encrypted-file" in (
            hint
        )
        assert GENERIC not in failed.stderr
        assert "whoami" not in hint


def test_only_a_missing_profile_says_configure(cli: Cli) -> None:
    error, hint = error_and_hint(cli("login", "--profile", "lab", expect=1))
    assert "profile 'lab' does not exist" in error
    assert hint == (
        "Hint: Run tiledb-client configure --profile lab to store credentials first,"
        " or set TILEDB_REST_TOKEN."
    )  # issue 20, finding 8: it named a Python function, "configure()"


def test_library_errors_carry_the_same_hint(
    local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tiledb.client

    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "not the passphrase")
    from tiledb.client.secrets.encrypted_file import clear_key_cache

    clear_key_cache()
    with pytest.raises(tiledb.client.LoginError) as raised:
        tiledb.client.login()
    assert raised.value.hint is not None
    assert raised.value.hint.startswith("Set TILEDB_CLIENT_PASSPHRASE")
    assert str(raised.value).endswith(raised.value.hint)  # Python callers see it too
    assert GENERIC not in str(raised.value)


def test_a_profile_finds_its_vault_without_the_variable(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    """Issue 20, finding 2: a cron job or a new shell without TILEDB_CLIENT_SECRETS_FILE.

    The advice was to store the token again, which made a second vault and stranded the
    real one; the profile now records its vault, and a login finds it there.
    """
    configure_token(cli, local_server.url)
    unset = {"TILEDB_CLIENT_SECRETS_FILE": ""}
    assert cli("login", env=unset).returncode == 0
    assert cli("doctor", env=unset).returncode == 0
    assert list(tmp_path.rglob("*.vault")) == [vault]  # no second vault
    vault.rename(vault.with_name("moved.vault"))
    error, hint = error_and_hint(cli("login", env=unset, expect=1))
    assert f"The vault {vault} that holds this profile's secrets" in error
    assert "does not exist" in error
    assert "If it moved, point TILEDB_CLIENT_SECRETS_FILE at it" in hint


def test_no_other_backend_is_offered_where_it_is_unavailable_too(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    """Issue 20, finding 8: without D-Bus, the hint offered --backend keyring."""
    configure_token(cli, local_server.url)
    env = {"TILEDB_CLIENT_PASSPHRASE": "", "DBUS_SESSION_BUS_ADDRESS": ""}
    error, hint = error_and_hint(cli("whoami", env=env, expect=1))
    assert "passphrase" in error.lower()
    assert "--backend keyring" not in hint
