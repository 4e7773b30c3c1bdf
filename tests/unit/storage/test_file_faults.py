"""Files under faults: leftover temporary files, directory modes, nesting bombs, lock files.

The writers are the real ones (profiles.json, the vault, cloud.json); crashes are real
SIGKILLs of a child process at a chosen moment.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import CHEAP_POLICY, decrypt_every_copy
from tiledb.client.client import client
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.configure import configure
from tiledb.client.secrets import encrypted_file
from tiledb.client.storage.legacy_files import read_cloud_json
from tiledb.client.storage.profiles import ProfileStore

ROOT = Path(__file__).resolve().parents[3]
DEEP = "[" * 100_000 + "]" * 100_000


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def kill_during_rename(script: str) -> None:
    """Run ``script`` in a child that is SIGKILLed when a writer renames its temporary file.

    The temporary file is complete and fsynced at that moment: exactly what a crash
    right before ``os.replace`` leaves behind.
    """
    prelude = (
        "import os, pathlib, signal\n"
        "pathlib.Path.replace = lambda self, target: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from tests.backends import CHEAP_POLICY\n"
        "from tiledb.client.secrets.encrypted_file import EncryptedFileBackend\n"
        "vault = EncryptedFileBackend(kdf_policy=CHEAP_POLICY)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    child = subprocess.run(
        [sys.executable, "-c", prelude + script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


@pytest.fixture
def store(vault: Path) -> EncryptedFileBackend:
    return encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY)


EncryptedFileBackend = encrypted_file.EncryptedFileBackend


class TestLeftoverTemporaryFiles:
    def test_a_vault_copy_left_by_a_kill_goes_with_the_next_write(
        self, store: EncryptedFileBackend, vault: Path
    ) -> None:
        store.set("token: a", "secret-a")
        kill_during_rename("vault.set('token: b', 'secret-b')")
        [temp] = leftovers(vault.parent)
        copies = decrypt_every_copy(vault.parent)
        assert copies[vault.parent / temp]["token: b"] == "secret-b"  # a whole vault
        store.delete("token: a")
        assert leftovers(vault.parent) == []
        assert decrypt_every_copy(vault.parent) == {vault: {}}  # secret-a is nowhere

    def test_a_profile_file_copy_left_by_a_kill_goes_with_the_next_write(
        self, hermetic_env: Path
    ) -> None:
        profiles = ProfileStore()
        profiles.save("a", {"rest.server_address": "https://a.example"})
        kill_during_rename(
            "from tiledb.client.storage.profiles import ProfileStore\n"
            "ProfileStore().save('b', {'rest.server_address': 'https://b.example'})\n"
        )
        assert len(leftovers(profiles.directory)) == 1
        profiles.save("c", {"rest.server_address": "https://c.example"})
        assert leftovers(profiles.directory) == []
        assert profiles.names() == ["a", "c"]

    def test_only_dead_writers_files_of_ours_are_removed(self, hermetic_env: Path) -> None:
        profiles = ProfileStore()
        profiles.save("a", {"rest.server_address": "https://a.example"})
        folder = profiles.directory
        live = folder / ".profiles.json.0123456789abcdef.tmp"
        live.write_text("a writer is still writing this")
        foreign = folder / ".profiles.json.fedcba9876543210.tmp"
        foreign.write_text("another user's")
        os.chown(foreign, 12345, 12345)
        link = folder / ".profiles.json.aaaaaaaaaaaaaaaa.tmp"
        link.symlink_to(folder / "elsewhere")
        unrelated = [folder / "notes.tmp", folder / ".profiles.json.backup.tmp"]
        for path in unrelated:
            path.write_text("not ours")
        with live.open("rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # as a live writer holds it
            profiles.save("b", {"rest.server_address": "https://b.example"})
            assert live.exists()
        assert foreign.exists() and link.is_symlink()
        assert all(path.exists() for path in unrelated)
        profiles.save("c", {"rest.server_address": "https://c.example"})
        assert not live.exists()  # its writer is gone now


def created_modes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): f"{stat.S_IMODE(path.stat().st_mode):04o}"
        for path in sorted(root.rglob("*"))
        if path.is_dir() and not path.is_symlink()
    }


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_directories_created_for_us_are_private_under_umask_000(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_000: None
) -> None:
    made = tmp_path / "made"
    monkeypatch.setenv("TILEDB_PROFILE_DIR", str(made / "config" / "tiledb"))
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", str(made / "vaults" / "a" / "secrets.vault"))
    configure(
        token="tok-ws_1-x",
        workspace="ws_1",
        host="https://h.example",
        secret_backend="encrypted-file",
        factory=client,
    )
    monkeypatch.delenv("TILEDB_CLIENT_SECRETS_FILE")  # the default: ~/.local/share/...
    encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY).set("k", "v")
    modes = created_modes(tmp_path)
    del modes["home"]  # made by the test fixture
    modes.pop("xdg-runtime", None)  # $XDG_RUNTIME_DIR, made by the test fixture too
    assert set(modes) >= {
        "made",
        "made/config/tiledb",
        "made/vaults/a",
        "home/.local",
        "home/.local/share/tiledb-client",
    }
    assert len(modes) == 8  # made/{config/tiledb,vaults/a}, .local/share/tiledb-client
    assert {name: mode for name, mode in modes.items() if mode != "0700"} == {}
    for path in [*made.rglob("*"), *(tmp_path / "home").rglob("*")]:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


class TestNestingBombs:
    def test_profile_file(self, hermetic_env: Path) -> None:
        store = ProfileStore()
        store.directory.mkdir(mode=0o700)
        store.path.write_text(DEEP)
        with pytest.raises(ConfigurationError, match="nests arrays or objects too deeply") as info:
            store.read()
        assert str(store.path) in str(info.value)

    def test_vault(self, store: EncryptedFileBackend, vault: Path) -> None:
        vault.parent.mkdir(mode=0o700)
        vault.write_text('{"format": "tiledb-client-vault", "version": 1, "kdf": ' + DEEP + "}")
        for call in (lambda: store.get("k"), lambda: store.set("k", "v"), lambda: store.keys()):
            with pytest.raises(SecretBackendError, match="too deeply") as info:
                call()
            assert str(vault) in str(info.value)

    def test_cloud_json(self, hermetic_env: Path) -> None:
        cloud = hermetic_env / ".tiledb" / "cloud.json"
        cloud.parent.mkdir()
        cloud.write_text(DEEP)
        with pytest.raises(ConfigurationError, match="too deeply") as info:
            read_cloud_json(cloud)
        assert str(cloud) in str(info.value)


class TestLockFileIsASymlink:
    def test_profile_file(self, hermetic_env: Path, tmp_path: Path) -> None:
        store = ProfileStore()
        store.directory.mkdir(mode=0o700)
        target = tmp_path / "victim"
        target.write_text("precious")
        lock = store.directory / ".profiles.json.lock"
        lock.symlink_to(target)
        with pytest.raises(ConfigurationError, match="symbolic link") as info:
            store.save("a", {"rest.server_address": "https://a.example"})
        assert str(lock) in str(info.value)
        assert target.read_text() == "precious"

    def test_vault(self, store: EncryptedFileBackend, vault: Path, tmp_path: Path) -> None:
        vault.parent.mkdir(mode=0o700)
        lock = vault.parent / ".secrets.vault.lock"
        lock.symlink_to(tmp_path / "nowhere")
        with pytest.raises(SecretBackendError, match="symbolic link") as info:
            store.set("k", "v")
        assert str(lock) in str(info.value)
        assert not (tmp_path / "nowhere").exists()
