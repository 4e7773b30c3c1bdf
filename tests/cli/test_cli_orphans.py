"""Orphan secrets in a real Secret Service: doctor lists them, ``profile prune`` removes them."""

from __future__ import annotations

from pathlib import Path

import pytest

import tiledb
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.keyring_backend import KeyringBackend
from tiledb.client.storage.profiles import ProfileStore

from .conftest import Cli

pytestmark = [pytest.mark.secret_service, pytest.mark.usefixtures("secret_service")]

HOST = "https://api.example.com"
TOKEN = "tok-live-ws_1-x"


def orphan_findings(cli: Cli) -> list[dict[str, str]]:
    report = cli("doctor", "--offline", "--json", expect=None).json()
    return [f for f in report["findings"] if f["message"].startswith("orphan secret")]


def test_doctor_lists_and_prune_removes_orphans_in_the_secret_service(
    cli: Cli, hermetic_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "keyring")
    for name in ("default", "replaced"):
        cli("configure", "--profile", name, "--host", HOST, "--workspace", "ws_1", "--no-verify",
            "--token-stdin", input=TOKEN + "\n")  # fmt: skip
    store = ProfileStore()
    replaced_id = store.get("replaced")["client.secret_id"]  # type: ignore[index]
    vendor = tiledb.Profile("replaced")  # the vendor's configure(overwrite=True)
    vendor["rest.server_address"] = HOST
    vendor["rest.token"] = "tok-vendor-ws_1-x"
    vendor.save(overwrite=True)
    crashed = secret_entry_key(f"crashed @ {store.path} [0123abcd]", "session")
    KeyringBackend().set(crashed, "s" * 1000)
    elsewhere = secret_entry_key("default @ /somewhere/else/profiles.json [0123abcd]", "token")
    KeyringBackend().set(elsewhere, "not ours to judge")

    found = orphan_findings(cli)
    assert sorted(f["subject"] for f in found) == sorted([f"token: {replaced_id}", crashed])
    assert {f["fix"] for f in found} == {"tiledb-client profile prune"}
    listed = cli("profile", "prune", "--dry-run", "--json").json()
    assert len(listed["orphans"]) == 2
    assert listed["not_searched"] == [] or all(
        entry["backend"] != "keyring" for entry in listed["not_searched"]
    )
    assert KeyringBackend().get(f"token: {replaced_id}") == TOKEN  # nothing deleted yet

    pruned = cli("profile", "prune", "--yes")
    assert pruned.stdout.count("Deleted orphan secret in 'keyring'") == 2
    assert orphan_findings(cli) == []
    assert KeyringBackend().get(f"token: {replaced_id}") is None
    assert KeyringBackend().keys() == sorted(
        [f"token: {store.get('default')['client.secret_id']}", elsewhere]  # type: ignore[index]
    )
    assert TOKEN not in pruned.output


def test_prune_says_which_backends_it_could_not_search(
    cli: Cli, hermetic_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    ProfileStore().save("default", {"rest.server_address": HOST})
    result = cli("profile", "prune")
    assert "No orphan secrets" in result.stdout
    assert "the 'keyring' backend was not searched" in result.stderr


def test_prune_everywhere_finds_the_secrets_of_a_deleted_profile_folder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20, finding 4: a CI workspace or notebook folder deleted with its profiles.json."""
    import shutil

    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "keyring")
    gone, kept = tmp_path / "ci-workspace" / ".tiledb", tmp_path / "kept"
    for folder in (gone, kept):
        cli("configure", "--profile-dir", str(folder), "--host", HOST, "--workspace", "ws_1",
            "--no-verify", "--token-stdin", input=TOKEN + "\n")  # fmt: skip
    kept_id = ProfileStore(kept).get("default")["client.secret_id"]  # type: ignore[index]
    shutil.rmtree(tmp_path / "ci-workspace")
    plain = cli("profile", "prune", "--profile-dir", str(kept), "--dry-run").stdout
    assert "--everywhere also judges deleted profile files" in plain  # before: no way to see them
    listed = cli("profile", "prune", "--everywhere", "--dry-run", "--json").json()
    (orphan,) = listed["orphans"]
    assert orphan["key"].startswith(f"token: default @ {gone / 'profiles.json'} [")
    assert not (tmp_path / "ci-workspace").exists()  # judged without making the folder again
    pruned = cli("profile", "prune", "--everywhere", "--yes")
    assert pruned.stdout.count("Deleted orphan secret in 'keyring'") == 1
    assert KeyringBackend().get(f"token: {kept_id}") == TOKEN
    assert cli("profile", "prune", "--everywhere", "--dry-run", "--json").json()["orphans"] == []
