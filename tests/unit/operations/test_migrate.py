"""tiledb.client.operations.migrate: plan, apply, and undo on failure (encrypted file)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

import tiledb
from tests.faults import run_with_file_size_limit
from tiledb.client.operations import migrate
from tiledb.client.operations.migrate import MigrationError, apply_migration, plan_migration
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage.profiles import ProfileStore

TOKEN = "tdb1111-ws_0123456789abcdef-2222"
PASSWORD = "correct horse battery"
CLOUD_TOKEN = "cloudtoken-ws_fedcba9876543210-3333"


@pytest.fixture
def legacy(vault: Path, hermetic_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """profiles.json as TileDB core writes it, and a cloud.json; returns the HOME."""
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "encrypted-file")
    token = tiledb.Profile("default")
    token["rest.server_address"] = "https://api.example.com"
    token["rest.token"] = TOKEN
    token.save()
    password = tiledb.Profile("pw")
    password["rest.server_address"] = "https://api.example.com"
    password["rest.username"] = "ada"
    password["rest.password"] = PASSWORD
    password["rest.workspace"] = "acme"
    password.save()
    cloud = hermetic_env / ".tiledb" / "cloud.json"
    cloud.write_text(
        json.dumps(
            {"api_key": {"X-TILEDB-REST-API-KEY": CLOUD_TOKEN}, "host": "h/v1", "verify_ssl": False}
        )
    )
    return hermetic_env


def vault_entries(vault: Path) -> list[str]:
    if not vault.exists():
        return []
    return sorted(json.loads(vault.read_text())["entries"])


def test_plan_names_every_source(legacy: Path) -> None:
    plan = plan_migration()
    assert plan.backend == "encrypted-file"
    rows = [(i.profile, i.origin, i.action, i.kinds) for i in plan.items]
    assert rows == [
        ("default", "profiles.json", "move", ("token",)),
        ("pw", "profiles.json", "move", ("password",)),
        ("cloud-json", "cloud.json", "move", ("token",)),  # "default" is taken
    ]
    text = repr(plan) + json.dumps(plan.to_json())
    for secret in (TOKEN, PASSWORD, CLOUD_TOKEN):
        assert secret not in text
    only = plan_migration("pw")
    assert [i.profile for i in only.items] == ["pw"]
    assert [i.profile for i in plan_migration("fresh").items] == ["fresh"]  # from cloud.json


def test_apply_moves_scrubs_and_verifies(legacy: Path, vault: Path) -> None:
    result = apply_migration(plan_migration())
    assert [item.profile for item in result.moved] == ["default", "pw", "cloud-json"]
    store = ProfileStore()
    backend = get_backend("encrypted-file")
    expected = {
        "default": ("token", TOKEN),
        "pw": ("password", PASSWORD),
        "cloud-json": ("token", CLOUD_TOKEN),
    }
    for name, (kind, secret) in expected.items():
        profile = store.get(name)
        assert profile is not None
        assert profile["client.auth"] == kind
        assert backend.get(secret_entry_key(profile["client.secret_id"], kind)) == secret
    cloud_profile = store.get("cloud-json")
    assert cloud_profile is not None
    assert cloud_profile["rest.server_address"] == "https://h"
    assert cloud_profile["ssl.verify"] == "false"
    assert cloud_profile["rest.workspace"] == "ws_fedcba9876543210"
    files = "".join(p.read_text() for p in legacy.rglob("*") if p.is_file())
    for secret in (TOKEN, PASSWORD, CLOUD_TOKEN):
        assert secret not in files
    assert not [p for p in legacy.rglob("*") if ".migrate-backup-" in p.name]
    assert plan_migration().moves == []


APPLY_IN_CHILD = """
from tiledb.client.operations.migrate import MigrationError, apply_migration, plan_migration
try:
    apply_migration(plan_migration(cloud_json={cloud!r}))
except MigrationError as exc:
    report(error=str(exc), backups=[str(path) for path in exc.backups])
"""


def test_failure_while_storing_undoes_everything(legacy: Path, vault: Path) -> None:
    # The second secret is long; the disk fills up (no file may grow past 48 kB) while the
    # vault takes it. Every other file written on the way is smaller than that.
    long_password = "p" * 40_000
    with ProfileStore().edit() as profiles:
        profiles["pw"]["rest.password"] = long_password
    store = ProfileStore()
    profiles_before = store.path.read_bytes()
    cloud = legacy / ".tiledb" / "cloud.json"
    cloud_before = cloud.read_bytes()
    result = run_with_file_size_limit(APPLY_IN_CHILD.format(cloud=str(cloud)), limit=48_000)
    message = result["error"]
    assert "Nothing was lost" in message
    assert str(vault) in message  # the vault that could not be written
    for secret in (TOKEN, long_password, CLOUD_TOKEN):
        assert secret not in message
    assert store.path.read_bytes() == profiles_before
    assert cloud.read_bytes() == cloud_before
    assert vault_entries(vault) == []  # the secret stored first was deleted again
    assert result["backups"] == []  # nothing was lost: no plaintext copy left behind
    assert not [p for p in legacy.rglob("*") if ".migrate-backup-" in p.name]
    assert tiledb.Profile.load("default")["rest.token"] == TOKEN  # core still reads it


def test_backups_are_written_when_the_undo_cannot_restore(
    legacy: Path, plugin_backend: Any
) -> None:
    # While the migration reads the secrets back, another program damages profiles.json:
    # the undo cannot restore it, so the originals are kept in backups.
    plugin_backend.damage = ProfileStore().path
    store = ProfileStore()
    profiles_before = store.path.read_bytes()
    with pytest.raises(MigrationError, match="could not be undone") as caught:
        apply_migration(plan_migration())
    message = str(caught.value)
    assert caught.value.backups
    for backup in caught.value.backups:
        assert str(backup) in message
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    [profiles_backup] = [b for b in caught.value.backups if b.name.startswith("profiles.json")]
    assert profiles_backup.read_bytes() == profiles_before
    for secret in (TOKEN, PASSWORD, CLOUD_TOKEN):
        assert secret not in message


def test_failure_while_scrubbing_restores_the_files(legacy: Path, vault: Path) -> None:
    # cloud.json is rewritten indented, so its scrubbed copy is larger than the compact
    # original: with files limited to 20 kB, every write but that one succeeds.
    cloud = legacy / ".tiledb" / "cloud.json"
    document = json.loads(cloud.read_text())
    document["history"] = [0] * 5000
    cloud.write_text(json.dumps(document, separators=(",", ":")))
    cloud_before = cloud.read_bytes()
    assert len(cloud_before) < 20_000
    store = ProfileStore()
    profiles_before = store.read()
    result = run_with_file_size_limit(APPLY_IN_CHILD.format(cloud=str(cloud)), limit=20_000)
    assert f"Cannot write {cloud}" in result["error"]
    assert "Nothing was lost" in result["error"]
    assert store.read() == profiles_before  # profiles.json had been rewritten: it is restored
    assert cloud.read_bytes() == cloud_before
    assert vault_entries(vault) == []
    assert tiledb.Profile.load("pw")["rest.password"] == PASSWORD


_PLUGIN = """
from pathlib import Path

from tiledb.client.secrets.base import Availability, SecretBackend


class LossyBackend(SecretBackend):
    \"\"\"Keeps only the first 12 characters of a secret, without a word; when ``damage``
    names a file, overwrites it with garbage on every read (another program at work).\"\"\"

    name = "lossy"
    description = "a store with a silent length limit"
    entries = {}
    damage = None

    def probe(self):
        return Availability(True, "in memory")

    def get(self, key):
        if self.damage is not None:
            Path(self.damage).write_text("{damaged by another program")
        return self.entries.get(key)

    def set(self, key, secret):
        self.entries[key] = secret[:12]

    def delete(self, key):
        return self.entries.pop(key, None) is not None
"""


@pytest.fixture
def plugin_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A secret backend plugin, installed the way plugins are (an entry point); its class."""
    plugins = tmp_path / "plugins"
    info = plugins / "lossy_backend-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lossy-backend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[tiledb.client.secret_backends]\nlossy = lossy_backend:LossyBackend\n"
    )
    (plugins / "lossy_backend.py").write_text(_PLUGIN)
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "lossy")
    cls = __import__("lossy_backend").LossyBackend
    cls.entries, cls.damage = {}, None
    return cls


def test_a_backend_that_loses_data_fails_the_verification(
    legacy: Path, plugin_backend: Any
) -> None:
    store = ProfileStore()
    profiles_before = store.read()
    cloud = legacy / ".tiledb" / "cloud.json"
    cloud_before = cloud.read_bytes()
    with pytest.raises(MigrationError, match="does not match what was stored") as caught:
        apply_migration(plan_migration())
    assert "Nothing was lost" in str(caught.value)
    assert store.read() == profiles_before
    assert cloud.read_bytes() == cloud_before
    assert plugin_backend.entries == {}  # what it kept was deleted again
    assert tiledb.Profile.load("pw")["rest.password"] == PASSWORD


def test_profile_changed_meanwhile_is_not_overwritten(legacy: Path, vault: Path) -> None:
    plan = plan_migration("default")
    with ProfileStore().edit() as profiles:
        profiles["default"]["rest.token"] = "a-newer-token"
    with pytest.raises(MigrationError, match="changed while migrating"):
        apply_migration(plan)
    assert ProfileStore().get("default")["rest.token"] == "a-newer-token"  # type: ignore[index]
    assert vault_entries(vault) == []


def test_apply_reads_the_profile_file_before_writing_and_to_verify(
    legacy: Path, vault: Path, reads: list[str]
) -> None:
    plan = plan_migration()
    reads.clear()
    apply_migration(plan)
    assert reads == [str(ProfileStore().path)] * 2  # before: step 2 read it too


def test_plaintext_next_to_a_stored_secret_keeps_both(legacy: Path, vault: Path) -> None:
    apply_migration(plan_migration("default"))
    with ProfileStore().edit() as profiles:  # core adds a password to a migrated profile
        profiles["default"]["rest.password"] = PASSWORD
        profiles["default"]["rest.username"] = "ada"
    old_id = ProfileStore().get("default")["client.secret_id"]  # type: ignore[index]
    apply_migration(plan_migration("default"))
    profile = ProfileStore().get("default")
    assert profile is not None
    backend = get_backend("encrypted-file")
    assert profile["client.auth"] == "token"  # what the profile used before
    assert backend.get(secret_entry_key(profile["client.secret_id"], "token")) == TOKEN
    assert backend.get(secret_entry_key(profile["client.secret_id"], "password")) == PASSWORD
    assert not backend.contains(secret_entry_key(old_id, "token"))


def test_plan_errors_do_not_stop_the_others(legacy: Path, vault: Path) -> None:
    cloud = legacy / ".tiledb" / "cloud.json"
    document = {"host": "h", "username": "ada", "password": PASSWORD}  # names no workspace
    cloud.write_text(json.dumps(document))
    plan = plan_migration()
    assert [item.action for item in plan.items] == ["move", "move", "error"]
    assert plan.items[-1].fix == "--workspace NAME"
    assert plan.items[-1].to_json()["fix"] == "--workspace NAME"
    result = apply_migration(plan)
    assert [item.profile for item in result.moved] == ["default", "pw"]
    assert [item.origin for item in result.remaining] == ["cloud.json"]
    assert json.loads(cloud.read_text()) == document  # left as it was
    text = ProfileStore().path.read_text()
    assert TOKEN not in text and PASSWORD not in text
    assert migrate.plan_migration(cloud_json=legacy / "missing.json").items[-1].profile == "pw"
    again = apply_migration(plan_migration(workspace="acme"))
    assert [item.origin for item in again.moved] == ["cloud.json"]
    assert again.remaining == ()


def test_each_unresolved_cloud_json_says_what_resolves_it(legacy: Path, vault: Path) -> None:
    cloud = legacy / ".tiledb" / "cloud.json"
    cloud.write_text(json.dumps({"host": "h", "password": PASSWORD}))
    assert plan_migration(workspace="acme").errors[0].fix == (
        f'add "username" to {cloud}, or store the credentials with tiledb-client configure'
    )
    cloud.write_text(json.dumps({"host": "h", "api_key": {"X-TILEDB-REST-API-KEY": "t"}}))
    assert plan_migration().errors[0].fix == "--workspace NAME"


def test_unreadable_cloud_json_is_skipped_and_left_alone(legacy: Path, vault: Path) -> None:
    cloud = legacy / ".tiledb" / "cloud.json"
    cloud.write_text("{not json")
    plan = plan_migration()
    assert [item.action for item in plan.items] == ["move", "move", "skip"]
    assert "not migrated" in plan.items[-1].reason
    apply_migration(plan)
    assert cloud.read_text() == "{not json"
