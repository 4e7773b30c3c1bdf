"""``tokens`` lists, and ``logout --everywhere`` revokes, what this tool minted on any machine."""

from __future__ import annotations

from pathlib import Path

import requests

from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)

from .conftest import Cli

ADA = (DEFAULT_USERNAME, DEFAULT_PASSWORD)


def _mint(server: LocalServer, name: str, *, password: bool) -> str:
    body = {"name": name, "workspace_id": DEFAULT_WORKSPACE}
    auth = {"auth": ADA} if password else {"headers": {"X-TILEDB-REST-API-KEY": DEFAULT_TOKEN}}
    answer = requests.post(server.url + "/v4/tokens", json=body, timeout=10, **auth)  # type: ignore[arg-type]
    answer.raise_for_status()
    return str(answer.json()["data"]["token_id"])


def _active(server: LocalServer) -> set[str]:
    return {t.name for t in server.tokens if t.active}


def test_tokens_then_logout_everywhere(cli: Cli, local_server: LocalServer, vault: Path) -> None:
    cli(
        "configure", "--profile", "pw", "--host", local_server.url, "--workspace",
        DEFAULT_WORKSPACE, "--username", DEFAULT_USERNAME, "--password-stdin",
        input=DEFAULT_PASSWORD,
    )  # fmt: skip
    cli("login", "--profile", "pw")  # this machine's session token
    _mint(local_server, "login-session-laptop", password=True)  # another machine's
    _mint(local_server, "job-forgotten", password=False)  # a child job's
    _mint(local_server, "ci-token", password=False)  # made by hand: not ours to revoke

    listed = cli("tokens", "--profile", "pw", "--json").json()["tokens"]
    names = sorted(t["name"] for t in listed)
    assert len(names) == 3 and "job-forgotten" in names and "login-session-laptop" in names
    assert {t["kind"] for t in listed} == {"session", "api"}
    assert all(t["expires_at"] and t["created_at"] for t in listed)
    table = cli("tokens", "--profile", "pw").stdout
    assert "login-session-laptop" in table and "ci-token" not in table

    refused = cli("logout", "--profile", "pw", "--everywhere", expect=1)
    assert "without confirmation" in refused.output and "--yes" in refused.output
    assert len(_active(local_server) & set(names)) == 3  # nothing revoked

    done = cli("logout", "--profile", "pw", "--everywhere", "--yes", "--json").json()
    assert sorted(t["name"] for t in done["revoked"]) == names and done["failed"] == []
    assert _active(local_server) == {"ci-token", "local-server-default"}
    # the next login mints a fresh token: the revoked one was forgotten locally too
    cli("login", "--profile", "pw")
    again = cli("tokens", "--profile", "pw", "--json").json()["tokens"]
    assert len(again) == 1 and again[0]["name"] not in names


def test_logout_everywhere_finds_what_environment_logins_minted(
    cli: Cli, local_server: LocalServer, tmp_path: Path
) -> None:
    """Issue 22, finding 3: with TILEDB_REST_USERNAME/PASSWORD (the CI way) each exec mints a
    session token that no cache records; the server's list still finds every one."""
    env = {
        "TILEDB_REST_SERVER_ADDRESS": local_server.url,
        "TILEDB_REST_USERNAME": DEFAULT_USERNAME,
        "TILEDB_REST_PASSWORD": DEFAULT_PASSWORD,
        "TILEDB_REST_WORKSPACE": DEFAULT_WORKSPACE,
    }
    for _ in range(3):
        cli("exec", "--", "true", env=env)
    minted = {t.name for t in local_server.tokens if t.active and t.name.startswith("login-")}
    assert len(minted) >= 3
    done = cli("logout", "--everywhere", "--yes", "--json", env=env).json()
    assert {t["name"] for t in done["revoked"]} >= minted
    assert not [t for t in local_server.tokens if t.active and t.name.startswith("login-")]


def test_prune_revokes_an_orphan_session_token(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    """Issue 22, finding 5: a login that cached its token after its profile was deleted."""
    import json

    cli(
        "configure", "--profile", "pw", "--host", local_server.url, "--workspace",
        DEFAULT_WORKSPACE, "--username", DEFAULT_USERNAME, "--password-stdin",
        input=DEFAULT_PASSWORD,
    )  # fmt: skip
    cli("login", "--profile", "pw")
    profiles = Path.home() / ".tiledb" / "profiles.json"
    data = json.loads(profiles.read_text())
    del data["pw"]  # as a `profile delete` that ran just before the login cached its token
    profiles.write_text(json.dumps(data))
    assert any(t.name.startswith("login-session-") for t in local_server.tokens if t.active)
    pruned = cli("profile", "prune", "--yes", "--json").json()
    assert pruned
    assert not [t for t in local_server.tokens if t.active and t.name.startswith("login-")]
