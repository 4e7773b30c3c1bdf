"""On a terminal: the backend is chosen before any prompt, and a prompt is a passphrase source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiledb.client.testing import DEFAULT_TOKEN, DEFAULT_USERNAME, LocalServer

from .conftest import Cli

TOKEN_PROMPT = "Token (input hidden): "
PASSPHRASE = "typed vault passphrase, for this test"


@pytest.fixture
def no_backend_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No D-Bus session (so no OS keyring) and no passphrase variable; yield the vault path."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("TILEDB_CLIENT_KEYRING_TIMEOUT", "5")
    vault = tmp_path / "vault" / "secrets.vault"
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", str(vault))
    return vault


def test_no_usable_backend_fails_before_asking_for_the_token(
    cli: Cli, local_server: LocalServer, no_backend_configured: Path
) -> None:
    configure = ("configure", "--host", local_server.url, "--workspace", "acme")
    failed = cli.on_terminal(*configure, expect=1, timeout=20)
    assert TOKEN_PROMPT not in failed.terminal  # nobody typed a token for nothing
    assert "No secure secret backend is available" in failed.stderr
    assert "--backend encrypted-file" in failed.stderr  # a prompt-only vault must be named
    named = cli.on_terminal(*configure, "--backend", "keyring", expect=1, timeout=20)
    assert TOKEN_PROMPT not in named.terminal
    assert "The secret backend 'keyring' (--backend / secret_backend=) cannot be used" in (
        named.stderr
    )


def test_typed_passphrase_vault_is_healthy_for_doctor_on_the_same_terminal(
    cli: Cli, local_server: LocalServer, no_backend_configured: Path
) -> None:
    cli.on_terminal(
        "configure",
        "--host",
        local_server.url,
        "--backend",
        "encrypted-file",
        answers=[
            (TOKEN_PROMPT, DEFAULT_TOKEN),
            ("New passphrase for the TileDB secrets vault", PASSPHRASE),
            ("Repeat the passphrase: ", PASSPHRASE),
        ],
    )
    assert no_backend_configured.is_file()
    doctor = cli.on_terminal("doctor", "--offline", "--json")
    report = doctor.json()
    assert report["ok"] is True, doctor.stdout
    encrypted = next(b for b in report["backends"] if b["name"] == "encrypted-file")
    assert encrypted["available"] is True
    assert encrypted["interactive"] is True
    assert "passphrase from the terminal prompt" in encrypted["reason"]
    assert "no passphrase source" not in doctor.stdout
    # the encrypted file's vault, not the `vault` backend (HashiCorp Vault / OpenBao)
    vault = [
        f for f in report["findings"] if f["subject"] == "vault" and "Vault" not in f["message"]
    ]
    assert [f["severity"] for f in vault] == ["info"]
    assert "Passphrase" not in doctor.terminal  # doctor never prompts
    human = cli.on_terminal("doctor", "--offline")
    assert "problem(s) would stop a login" not in human.output
    assert "no problem would stop a login" in human.stdout
    assert "name it (--backend encrypted-file)" in human.stdout  # where new secrets go

    login = cli.on_terminal(
        "login", answers=[("Passphrase for the TileDB secrets vault", PASSPHRASE)]
    )
    assert DEFAULT_USERNAME in login.stdout
    # Off the terminal the same vault has no passphrase source: that is a real problem.
    assert cli("doctor", "--offline", expect=1).returncode == 1
