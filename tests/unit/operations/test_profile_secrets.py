"""A profile and its secret under faults: concurrent delete and rename, kills, failed stores.

The property: whatever happens, no profile is left without its secret; a crash leaves at
worst an orphan secret, which ``doctor`` lists and ``profile prune`` removes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import tiledb
from tests.backends import HookedVault
from tiledb.client.client import client
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.configure import configure
from tiledb.client.operations.doctor.diagnose import diagnose
from tiledb.client.operations.profile_admin import delete_profile, rename_profile
from tiledb.client.secrets import registry
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.storage import profile_keys
from tiledb.client.storage.profiles import ProfileStore

if TYPE_CHECKING:
    from tiledb.client.operations.profile_secrets import OrphanReport

ROOT = Path(__file__).resolve().parents[3]
HOST = "https://api.example.com"


def add_profile(name: str, token: str) -> None:
    configure(
        token=token,
        workspace="ws_1",
        host=HOST,
        profile_name=name,
        secret_backend="encrypted-file",
        factory=client,
    )


def vault_entries(vault: Path) -> list[str]:
    return sorted(json.loads(vault.read_text())["entries"]) if vault.exists() else []


def stranded_profiles() -> list[str]:
    """Profiles naming a backend secret that is not there."""
    stranded = []
    for name, profile in ProfileStore().read().items():
        kind = "password" if profile.get(profile_keys.AUTH) == "password" else "token"
        key = secret_entry_key(profile[profile_keys.SECRET_ID], kind)
        if not registry.get_backend(profile[profile_keys.SECRET_BACKEND]).contains(key):
            stranded.append(name)
    return stranded


def find_orphans(**kwargs: object) -> OrphanReport:
    from tiledb.client.operations.profile_secrets import find_orphans

    return find_orphans(**kwargs)  # type: ignore[arg-type]


def prune_orphans(**kwargs: object) -> OrphanReport:
    from tiledb.client.operations.profile_secrets import prune_orphans

    return prune_orphans(**kwargs)  # type: ignore[arg-type]


def run_hooked(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a child with a HookedVault registered as ``backend``."""
    prelude = (
        "import os, signal, sys\n"
        "from tests.backends import HookedVault\n"
        "from tiledb.client.client import client\n"
        "from tiledb.client.secrets import registry\n"
        "def kill(key):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    return subprocess.run(
        [sys.executable, "-c", prelude + script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_delete_and_rename_of_one_profile_at_once_strand_nothing(vault: Path) -> None:
    backend = HookedVault()
    registry.use_backend(backend)
    add_profile("a", "tok-a-ws_1-x")
    renamer: dict[str, object] = {}

    def rename_meanwhile(key: str) -> None:
        backend.after_delete = None  # once, while the delete is under way

        def rename() -> None:
            try:
                rename_profile("a", "b")
                renamer["outcome"] = "renamed"
            except ConfigurationError as exc:
                renamer["outcome"] = str(exc)

        thread = threading.Thread(target=rename)
        thread.start()
        thread.join(timeout=1.0)  # give it every chance to interleave
        renamer["thread"] = thread

    backend.after_delete = rename_meanwhile
    with contextlib.suppress(ConfigurationError):
        delete_profile("a", factory=client)
    thread = renamer["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=40)
    assert stranded_profiles() == []
    assert ProfileStore().names() == []
    assert "There is no profile 'a'" in str(renamer["outcome"])  # the rename waited, then failed
    assert vault_entries(vault) == []


def test_a_kill_during_profile_delete_leaves_at_worst_an_orphan(vault: Path) -> None:
    registry.use_backend(HookedVault())
    add_profile("a", "tok-a-ws_1-x")
    secret_id = ProfileStore().get("a")[profile_keys.SECRET_ID]  # type: ignore[index]
    child = run_hooked(
        "from tiledb.client.operations.profile_admin import delete_profile\n"
        "registry.use_backend(HookedVault(after_delete=kill))\n"
        "delete_profile('a', factory=client)\n"
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert stranded_profiles() == []
    assert "a" not in ProfileStore().names()  # the profile went first
    report = find_orphans(backends=["encrypted-file"])
    assert {o.key for o in report.orphans} == {f"token: {secret_id}"}
    pruned = prune_orphans(backends=["encrypted-file"])
    assert [o.key for o in pruned.orphans] == [f"token: {secret_id}"]
    assert vault_entries(vault) == []


def test_a_kill_during_configure_leaves_an_orphan_that_doctor_lists(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.use_backend(HookedVault())
    add_profile("kept", "tok-kept-ws_1-x")
    child = run_hooked(
        "from tiledb.client.operations.configure import configure\n"
        "registry.use_backend(HookedVault(after_set=kill))\n"
        "configure(token='tok-new-ws_1-x', workspace='ws_1', host='https://h.example',\n"
        "          profile_name='new', secret_backend='encrypted-file', factory=client)\n"
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert ProfileStore().names() == ["kept"]
    assert stranded_profiles() == []
    [orphan] = find_orphans(backends=["encrypted-file"]).orphans
    assert orphan.key.startswith(f"token: new @ {ProfileStore().path} [")
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "encrypted-file")
    report = diagnose(network=False)
    [finding] = [f for f in report.findings if f.subject == orphan.key]
    assert finding.severity == "warning"
    assert "orphan secret in the 'encrypted-file' backend" in finding.message
    assert finding.fix == "tiledb-client profile prune"
    assert "tok-new-ws_1-x" not in json.dumps(report.to_json())
    prune_orphans()
    assert vault_entries(vault) == [f"token: {ProfileStore().get('kept')['client.secret_id']}"]


def test_a_profile_replaced_by_another_tool_leaves_an_orphan_that_doctor_lists(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.use_backend(HookedVault())
    add_profile("default", "tok-old-ws_1-x")
    old_id = ProfileStore().get("default")[profile_keys.SECRET_ID]  # type: ignore[index]
    vendor = tiledb.Profile("default")  # what the vendor's configure(overwrite=True) writes
    vendor["rest.server_address"] = HOST
    vendor["rest.token"] = "tok-vendor-ws_1-x"
    vendor.save(overwrite=True)
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "encrypted-file")
    report = diagnose(network=False)
    orphan = [f for f in report.findings if f.subject == f"token: {old_id}"]
    assert [f.severity for f in orphan] == ["warning"]


def test_a_store_that_fails_after_landing_leaves_no_orphan(vault: Path) -> None:
    def time_out(key: str) -> None:
        # As a keyring call that timed out may still land: the caller only sees an error.
        raise SecretBackendError("The OS keyring did not answer within 10 s")

    registry.use_backend(HookedVault(after_set=time_out))
    with pytest.raises(SecretBackendError, match="did not answer"):
        add_profile("a", "tok-a-ws_1-x")
    assert ProfileStore().names() == []
    assert vault_entries(vault) == []


def test_delete_keeps_the_profile_when_its_backend_cannot_delete(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.use_backend(HookedVault())
    add_profile("a", "tok-a-ws_1-x")
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")  # deleting from the vault needs it
    from tiledb.client.secrets import encrypted_file

    encrypted_file.clear_key_cache()
    with pytest.raises(SecretBackendError, match="the profile was kept"):
        delete_profile("a", factory=client)
    assert ProfileStore().names() == ["a"]
    assert stranded_profiles() == []
    result = delete_profile("a", factory=client, force=True)
    assert result.secret_problems
    assert ProfileStore().names() == []
    assert len(find_orphans(backends=["encrypted-file"]).orphans) == 1
