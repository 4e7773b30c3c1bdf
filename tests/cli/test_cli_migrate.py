"""``tiledb-client migrate`` on files written by TileDB core and by TileDB-Cloud-Py."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import tiledb
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    LocalServer,
)

from .conftest import Cli, child_env
from .test_cli_flow import all_text_under


def write_core_profiles(host: str) -> None:
    """A token profile and a password profile, saved by TileDB core itself."""
    token = tiledb.Profile("default")
    token["rest.server_address"] = host
    token["rest.token"] = DEFAULT_TOKEN
    token["rest.workspace"] = DEFAULT_WORKSPACE
    token.save()
    password = tiledb.Profile("pw")
    password["rest.server_address"] = host
    password["rest.username"] = DEFAULT_USERNAME
    password["rest.password"] = DEFAULT_PASSWORD
    password["rest.workspace"] = DEFAULT_WORKSPACE
    password.save()


def backups_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if ".migrate-backup-" in path.name]


def test_migrate_core_profiles(
    cli: Cli, local_server: LocalServer, secret_backend: str, hermetic_env: Path
) -> None:
    write_core_profiles(local_server.url)
    store = ProfileStore()
    before = store.path.read_bytes()
    assert DEFAULT_TOKEN in all_text_under(hermetic_env)

    plan = cli("migrate", "--dry-run", "--json").json()
    assert plan["dry_run"] is True
    assert plan["backend"] == secret_backend
    moves = {item["profile"]: item["secrets"] for item in plan["items"] if item["action"] == "move"}
    assert moves == {"default": ["token"], "pw": ["password"]}
    assert store.path.read_bytes() == before  # a dry run changes nothing

    done = cli("migrate")
    assert "default" in done.stdout and "pw" in done.stdout
    text = all_text_under(hermetic_env)
    assert DEFAULT_TOKEN not in text
    assert DEFAULT_PASSWORD not in text
    assert not backups_under(hermetic_env)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    for name in ("default", "pw"):
        profile = store.get(name)
        assert profile is not None
        assert "rest.token" not in profile and "rest.password" not in profile
        assert profile["client.secret_backend"] == secret_backend
        loaded = tiledb.Profile.load(name)  # TileDB core still reads host and workspace
        assert loaded["rest.server_address"] == local_server.url
        assert loaded["rest.workspace"] == DEFAULT_WORKSPACE
    assert ProfileStore().get("pw")["client.auth"] == "password"  # type: ignore[index]

    assert cli("login", "--json").json()["user"] == DEFAULT_USERNAME
    assert cli("login", "--profile", "pw", "--json").json()["auth"] == "password"

    after = store.path.read_bytes()
    again = cli("migrate", "--json").json()  # idempotent
    assert again["migrated"] == []
    assert {item["action"] for item in again["items"]} == {"skip"}
    assert store.path.read_bytes() == after


def test_migrate_cloud_json(
    cli: Cli, local_server: LocalServer, vault: Path, hermetic_env: Path
) -> None:
    cloud = hermetic_env / ".tiledb" / "cloud.json"
    cloud.parent.mkdir(mode=0o700)
    cloud.write_text(
        json.dumps(
            {
                "api_key": {"X-TILEDB-REST-API-KEY": DEFAULT_TOKEN},
                "host": local_server.url + "/v1",
                "verify_ssl": True,
                "username": DEFAULT_USERNAME,
            }
        )
    )
    migrated = cli("migrate", "--json").json()
    assert migrated["migrated"] == ["default"]
    profile = ProfileStore().get("default")
    assert profile is not None
    assert profile["rest.server_address"] == local_server.url  # "/v1" dropped
    assert profile["rest.workspace"] == DEFAULT_WORKSPACE_ID  # named by the token
    scrubbed = json.loads(cloud.read_text())
    assert "api_key" not in scrubbed
    assert scrubbed["host"] == local_server.url + "/v1"  # the rest is kept for its tool
    assert DEFAULT_TOKEN not in all_text_under(hermetic_env)
    assert not backups_under(hermetic_env)
    assert cli("login", "--json").json()["workspace"] == DEFAULT_WORKSPACE
    again = cli("migrate", "--json").json()
    assert again["migrated"] == []


def test_migrate_cloud_json_password_needs_a_workspace(
    cli: Cli, local_server: LocalServer, vault: Path, hermetic_env: Path
) -> None:
    cloud = hermetic_env / "legacy" / "cloud.json"
    cloud.parent.mkdir()
    document = {
        "host": local_server.url,
        "username": DEFAULT_USERNAME,
        "password": DEFAULT_PASSWORD,
    }
    cloud.write_text(json.dumps(document))
    refused = cli("migrate", "--cloud-json", str(cloud), "--profile", "old", expect=1)
    assert "--workspace" in refused.stderr
    assert json.loads(cloud.read_text()) == document  # untouched
    assert not ProfileStore().exists()
    cli("migrate", "--cloud-json", str(cloud), "--profile", "old", "--workspace", DEFAULT_WORKSPACE)
    assert "password" not in json.loads(cloud.read_text())
    summary = cli("login", "--profile", "old", "--json").json()
    assert (summary["user"], summary["auth"]) == (DEFAULT_USERNAME, "password")


def test_migrate_without_a_backend_changes_nothing(
    cli: Cli, local_server: LocalServer, hermetic_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    write_core_profiles(local_server.url)
    before = ProfileStore().path.read_bytes()
    failed = cli("migrate", expect=1)
    assert failed.stderr.startswith("Error: No secure secret backend is available")
    assert "TILEDB_CLIENT_PASSPHRASE" in failed.stderr
    assert ProfileStore().path.read_bytes() == before
    assert not backups_under(hermetic_env)


def test_mixed_migrate_moves_what_it_can(
    cli: Cli, local_server: LocalServer, vault: Path, hermetic_env: Path
) -> None:
    """Plaintext profiles.json tokens beside a cloud.json that needs --workspace."""
    write_core_profiles(local_server.url)
    cloud = hermetic_env / ".tiledb" / "cloud.json"
    document = {
        "host": local_server.url,
        "username": DEFAULT_USERNAME,
        "password": DEFAULT_PASSWORD,
    }
    cloud.write_text(json.dumps(document))

    planned = cli("migrate", "--dry-run", expect=1)
    assert "Would not be migrated: cloud-json" in planned.stderr

    done = cli("migrate", expect=1)
    assert "Moved the secrets of 'default', 'pw'" in done.stdout
    assert "Not migrated: cloud-json from" in done.stderr
    assert "run again with --workspace NAME" in done.stderr
    assert "Everything else was migrated" in done.stderr
    store = ProfileStore()
    assert DEFAULT_TOKEN not in store.path.read_text()
    assert DEFAULT_PASSWORD not in store.path.read_text()
    assert json.loads(cloud.read_text()) == document  # left for the next run
    assert cli("login", "--json").json()["user"] == DEFAULT_USERNAME

    remaining = cli("migrate", "--json", expect=1).json()
    assert (remaining["migrated"], remaining["remaining"]) == ([], ["cloud-json"])
    fixes = [item["fix"] for item in remaining["items"] if item["action"] == "error"]
    assert fixes == ["--workspace NAME"]

    finished = cli("migrate", "--workspace", DEFAULT_WORKSPACE, "--json").json()
    assert (finished["migrated"], finished["remaining"]) == (["cloud-json"], [])
    assert DEFAULT_PASSWORD not in all_text_under(hermetic_env)
    assert cli("login", "--profile", "cloud-json", "--json").json()["auth"] == "password"
    cli("migrate")  # nothing left: status 0


def test_the_plaintext_warning_is_shown_once(
    cli: Cli, local_server: LocalServer, hermetic_env: Path
) -> None:
    write_core_profiles(local_server.url)
    message = "keeps its rest.token in plain text"
    for command in (["login"], ["whoami"]):
        assert cli(*command).stderr.count(message) == 1
    script = "import tiledb.client; tiledb.client.login(); tiledb.client.get_user()"
    python = subprocess.run(
        [sys.executable, "-c", script],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert python.stderr.count(message) == 1, python.stderr
