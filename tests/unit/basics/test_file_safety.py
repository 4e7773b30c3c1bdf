"""Files other users can change are refused; a readable passphrase file is warned about.

Like OpenSSH's StrictModes (SECURITY.md, "Unsafe files"): the profile directory and file
and the passphrase file are refused when another user owns them or everyone can write to
them; group write access is reported by ``doctor``; read access to the passphrase file
gives an :class:`InsecureFileWarning`.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from tests.backends import CHEAP_POLICY, VAULT_PASSPHRASE
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.doctor.diagnose import diagnose
from tiledb.client.secrets import encrypted_file
from tiledb.client.secrets.passphrase import InsecureFileWarning
from tiledb.client.storage.profiles import ProfileStore

OTHER_UID = 12345  # no such user here: "another user"


@pytest.fixture
def passphrase_file(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "run" / "passphrase"
    path.parent.mkdir()
    path.write_text(VAULT_PASSPHRASE + "\n")
    path.chmod(0o600)
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(path))
    encrypted_file.clear_key_cache()
    return path


def use_vault() -> None:
    encrypted_file.clear_key_cache()
    encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY).set("k", "v")


class TestPassphraseFile:
    def test_private_file_is_used_quietly(self, passphrase_file: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            use_vault()

    @pytest.mark.parametrize("mode", [0o666, 0o602], ids=oct)
    def test_writable_by_everyone_is_refused(self, passphrase_file: Path, mode: int) -> None:
        passphrase_file.chmod(mode)
        with pytest.raises(SecretBackendError, match="other users can write to it") as info:
            use_vault()
        assert str(passphrase_file) in str(info.value)
        assert VAULT_PASSPHRASE not in str(info.value)

    def test_owned_by_another_user_is_refused(self, passphrase_file: Path) -> None:
        os.chown(passphrase_file, OTHER_UID, OTHER_UID)
        with pytest.raises(SecretBackendError, match=f"owned by uid {OTHER_UID}, not by you"):
            use_vault()

    @pytest.mark.parametrize("mode", [0o644, 0o640, 0o444], ids=oct)
    def test_readable_by_others_is_warned_about(self, passphrase_file: Path, mode: int) -> None:
        passphrase_file.chmod(mode)
        with pytest.warns(InsecureFileWarning, match="can read it") as caught:
            use_vault()
        assert VAULT_PASSPHRASE not in str(caught[0].message)

    def test_group_writable_is_accepted(self, passphrase_file: Path) -> None:
        passphrase_file.chmod(0o620)  # a per-user group (umask 002) is only you
        use_vault()

    def test_a_directory_others_can_write_is_refused(self, passphrase_file: Path) -> None:
        passphrase_file.parent.chmod(0o777)  # no sticky bit: anyone can swap the file
        with pytest.raises(SecretBackendError, match=r"its directory .*other users can write"):
            use_vault()

    def test_a_link_swapped_in_by_another_user_is_refused(
        self, passphrase_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        drop = tmp_path / "drop"
        drop.mkdir()
        drop.chmod(0o777)
        (drop / "passphrase").symlink_to(passphrase_file)  # the attacker's link, a safe target
        monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(drop / "passphrase"))
        with pytest.raises(SecretBackendError, match=f"its directory {drop}: other users"):
            use_vault()

    def test_a_link_in_a_private_directory_is_followed(
        self, passphrase_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        mounted = tmp_path / "secret-volume"  # Kubernetes mounts secrets as links to ..data/
        mounted.mkdir(mode=0o700)
        (mounted / "passphrase").symlink_to(passphrase_file)
        monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(mounted / "passphrase"))
        use_vault()

    def test_a_named_pipe_is_refused_at_once_and_never_read(
        self, passphrase_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fifo = tmp_path / "run" / "fifo"
        os.mkfifo(fifo, 0o600)
        monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(fifo))
        with pytest.raises(SecretBackendError, match="it is a named pipe, not a regular file"):
            use_vault()  # before the fix: blocked in open() until the test's time limit
        report = diagnose(network=False)  # doctor reads the source too
        assert any("named pipe" in f.message for f in report.findings), report.findings


class TestProfileDirectory:
    @pytest.fixture
    def store(self, hermetic_env: Path) -> ProfileStore:
        store = ProfileStore()
        store.save("default", {"rest.server_address": "https://h.example"})
        return store

    @pytest.mark.parametrize(
        ("mode", "which"),
        [(0o777, "directory"), (0o703, "directory"), (0o666, "file")],
        ids=["0777-directory", "0703-directory", "0666-file"],
    )
    def test_writable_by_everyone_is_refused(
        self, store: ProfileStore, mode: int, which: str
    ) -> None:
        (store.directory if which == "directory" else store.path).chmod(mode)
        for call in (store.read, lambda: store.save("x", {}, overwrite=True)):
            with pytest.raises(ConfigurationError, match="other users can write to it") as info:
                call()
            assert f"profile {which}" in str(info.value)

    def test_owned_by_another_user_is_refused(self, store: ProfileStore) -> None:
        os.chown(store.directory, OTHER_UID, OTHER_UID)
        with pytest.raises(ConfigurationError, match="owned by uid 12345, not by you"):
            store.read()

    def test_sticky_world_writable_directory_is_accepted(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o1777)  # like /tmp: nobody can replace what is yours in it
        store = ProfileStore(shared)
        store.save("default", {"rest.server_address": "https://h.example"})
        assert store.names() == ["default"]

    def test_doctor_names_who_can_write(self, store: ProfileStore, passphrase_file: Path) -> None:
        store.directory.chmod(0o777)
        passphrase_file.chmod(0o644)
        os.chown(store.path, OTHER_UID, OTHER_UID)
        with pytest.warns(InsecureFileWarning):  # the backend probe reads the passphrase file
            report = diagnose(network=False)
        findings = {f.subject: f for f in report.findings if f.section == "files"}
        directory = findings[str(store.directory)]
        assert directory.severity == "error"
        assert "mode 0777, other users can write to it" in directory.message
        assert directory.fix == f"chmod 700 {store.directory}"
        owner = findings[str(store.path)]
        assert owner.severity == "error"
        assert "owned by uid 12345, not by you" in owner.message
        assert owner.fix is not None and owner.fix.startswith('chown "$(id -un)"')
        secret = findings[str(passphrase_file)]
        assert secret.severity == "warning"
        assert "mode 0644, other users can read it" in secret.message

    def test_doctor_reports_group_write(self, store: ProfileStore) -> None:
        store.directory.chmod(0o770)
        finding = next(
            f for f in diagnose(network=False).findings if f.subject == str(store.directory)
        )
        assert finding.severity == "warning"
        assert "members of group" in finding.message and "can write to it" in finding.message
