"""configure -> profile list -> login -> whoami -> logout -> profile delete, in subprocesses."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    LocalServer,
)

from .conftest import Cli

KINDS = ("token", "password", "session")


def all_text_under(root: Path) -> str:
    return "\n".join(
        path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()
    )


def assert_no_secret_left(backend_name: str, secret_id: str) -> None:
    backend = get_backend(backend_name)
    for kind in KINDS:
        assert not backend.contains(secret_entry_key(secret_id, kind)), kind


def test_token_profile_end_to_end(
    cli: Cli, local_server: LocalServer, secret_backend: str, hermetic_env: Path
) -> None:
    configured = cli(
        "configure",
        "--host",
        local_server.url,
        "--token-stdin",
        "--verify",
        "--json",
        input=DEFAULT_TOKEN + "\n",
    ).json()
    assert configured["backend"] == secret_backend
    assert configured["workspace"] == DEFAULT_WORKSPACE_ID  # named by the token
    assert configured["verified"]["username"] == DEFAULT_USERNAME
    assert configured["verified"]["role"] == "admin"

    listed = cli("profile", "list", "--json").json()["profiles"]
    assert [(p["name"], p["backend"], p["secret_present"]) for p in listed] == [
        ("default", secret_backend, True)
    ]
    assert listed[0]["host"] == local_server.url
    assert listed[0]["auth"] == "token"

    login = cli("login")
    for expected in (
        DEFAULT_USERNAME,
        DEFAULT_WORKSPACE,
        "admin",
        secret_backend,
        local_server.url,
    ):
        assert expected in login.stdout
    summary = cli("login", "--json").json()
    assert (summary["user"], summary["workspace"], summary["role"]) == (
        DEFAULT_USERNAME,
        DEFAULT_WORKSPACE,
        "admin",
    )
    assert (summary["backend"], summary["host"]) == (secret_backend, local_server.url)

    who = cli("whoami", "--json").json()
    assert who["user"] == DEFAULT_USERNAME
    assert [w["name"] for w in who["workspaces"]] == [DEFAULT_WORKSPACE]
    sources = {row["setting"]: row for row in who["settings"]}
    assert sources["token"]["value"].startswith("****")
    assert sources["token"]["source"].endswith(f"via {secret_backend}")
    assert sources["host"]["source"].startswith("profile 'default'")

    profile = ProfileStore().get("default")
    assert profile is not None
    secret_id = profile["client.secret_id"]
    assert get_backend(secret_backend).contains(secret_entry_key(secret_id, "token"))
    assert stat.S_IMODE(ProfileStore().path.stat().st_mode) == 0o600
    assert DEFAULT_TOKEN not in all_text_under(hermetic_env)

    deleted = cli("profile", "delete", "default", "--yes", "--json").json()
    assert deleted["secrets_deleted"] is True
    assert ProfileStore().get("default") is None
    assert_no_secret_left(secret_backend, secret_id)
    assert cli("profile", "list", "--json").json()["profiles"] == []


def test_password_profile_session_token_is_shared_then_revoked(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    cli(
        "configure",
        "--profile",
        "pw",
        "--host",
        local_server.url,
        "--workspace",
        DEFAULT_WORKSPACE,
        "--username",
        DEFAULT_USERNAME,
        "--password-stdin",
        input=DEFAULT_PASSWORD,
    )
    assert cli("login", "--profile", "pw", "--json").json()["auth"] == "password"
    who = cli("whoami", "--profile", "pw")
    assert "expires 20" in who.stdout and "renews it from 20" in who.stdout, who.stdout
    expiry = cli("whoami", "--profile", "pw", "--json").json()
    assert expiry["session_renews"] < expiry["session_expires"]  # renewed before it expires
    doctor = cli("doctor", "--profile", "pw", "--json", expect=None).json()
    findings = doctor["findings"]
    (found,) = [f for f in findings if f["section"] == "profiles" and f["subject"] == "pw"]
    assert f"cached session token expires {expiry['session_expires']}" in found["message"]
    made = [r for r in local_server.requests if r.route == "/v4/tokens" and r.method == "POST"]
    assert len(made) == 1  # whoami reused the session token login cached
    out = cli("logout", "--profile", "pw").stdout
    assert "revoked" in out
    assert not [t for t in local_server.tokens if t.active and t.name.startswith("login-session")]
    again = cli("logout", "--profile", "pw", "--json").json()
    assert again == {"profile": "pw", "revoked": False, "forgot": False}

    cli("login", "--profile", "pw")  # a new session token, revoked by the delete below
    profile = ProfileStore().get("pw")
    assert profile is not None
    deleted = cli("profile", "delete", "pw", "--yes", "--json").json()
    assert deleted["session_token_revoked"] is True
    assert not [t for t in local_server.tokens if t.active and t.name.startswith("login-session")]
    assert_no_secret_left("encrypted-file", profile["client.secret_id"])


def test_rename_keeps_the_secret_reachable(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    # One trailing newline (here "\r\n") is removed from a secret read from stdin.
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN + "\r\n")
    renamed = cli("profile", "rename", "default", "prod", "--json").json()
    assert renamed["new"] == "prod"
    assert renamed["profile"]["secret_id"].startswith("default @ ")  # the secret did not move
    assert cli("login", "--profile", "prod", "--json").json()["user"] == DEFAULT_USERNAME
    failed = cli("profile", "rename", "nope", "other", expect=1)
    assert failed.stderr.startswith("Error: There is no profile 'nope'")


def test_configure_verify_saves_nothing_on_refusal(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    wrong = "not-the-password-987"
    cli.secrets.append(wrong)
    result = cli(
        "configure",
        "--host",
        local_server.url,
        "--workspace",
        DEFAULT_WORKSPACE,
        "--username",
        DEFAULT_USERNAME,
        "--password-stdin",
        "--verify",
        input=wrong,
        expect=1,
    )
    assert "refused the username 'ada'" in result.stderr
    assert "Nothing was saved" in result.stderr
    assert "Traceback" not in result.stderr
    assert not ProfileStore().exists()
    assert not vault.exists()
    result = cli(
        "configure",
        "--host",
        local_server.url,
        "--workspace",
        "nowhere",
        "--token-stdin",
        "--verify",
        input=DEFAULT_TOKEN,
        expect=1,
    )
    assert "knows no workspace 'nowhere'" in result.stderr
    assert not ProfileStore().exists()


def test_existing_profile_needs_overwrite(cli: Cli, local_server: LocalServer, vault: Path) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN)
    first = ProfileStore().get("default")
    assert first is not None
    refused = cli("configure", "--host", local_server.url, "--token-stdin", expect=1)
    assert "--overwrite" in refused.stderr
    cli(
        "configure",
        "--host",
        local_server.url,
        "--token-stdin",
        "--overwrite",
        input=DEFAULT_TOKEN,
    )
    second = ProfileStore().get("default")
    assert second is not None
    assert second["client.secret_id"] != first["client.secret_id"]
    assert_no_secret_left("encrypted-file", first["client.secret_id"])


def test_delete_refuses_to_orphan_a_secret(
    cli: Cli, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("configure", "--host", "http://127.0.0.1:9", "--no-verify", "--token-stdin",
        input=DEFAULT_TOKEN)  # fmt: skip
    store = ProfileStore()
    with store.edit() as profiles:  # the profile claims a backend that cannot answer here
        profiles["default"]["client.secret_backend"] = "keyring"
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    kept = cli("profile", "delete", "default", "--yes", expect=1)
    assert "was kept" in kept.stderr
    assert store.get("default") is not None
    forced = cli("profile", "delete", "default", "--yes", "--force")
    assert "Warning:" in forced.stderr
    assert store.get("default") is None
