"""pytest fixtures that choose a real secret backend for a test.

- ``vault``: the encrypted-file backend, pinned by ``TILEDB_CLIENT_SECRET_BACKEND``, with a
  passphrase from the environment and a cheap KDF (production costs are measured by
  ``benchmarks/kdf_unlock.py``). Pinned, so that a keyring answering on the machine is
  never chosen instead.
- ``secret_backend``: parametrized over ``encrypted-file`` and ``keyring`` (the real
  Secret Service of ``tests.secret_service``); sets ``TILEDB_CLIENT_SECRET_BACKEND``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tiledb.client.secrets import encrypted_file, registry
from tiledb.client.secrets.encrypted_file import KdfPolicy

VAULT_PASSPHRASE = "test vault passphrase, not a real one"
_CHEAP_ARGON2ID = {"memory_cost": 8, "iterations": 1, "lanes": 1}
_CHEAP_SCRYPT = {"n": 2, "r": 1, "p": 1}
CHEAP_POLICY = KdfPolicy(
    argon2id=_CHEAP_ARGON2ID,
    argon2id_minimum=_CHEAP_ARGON2ID,
    scrypt=_CHEAP_SCRYPT,
    scrypt_minimum=_CHEAP_SCRYPT,
)


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Configure and select the encrypted-file backend; yield the vault path."""
    path = tmp_path / "vault" / "secrets.vault"
    registry.use_backend(encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY))
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "encrypted-file")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", VAULT_PASSPHRASE)
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", str(path))
    encrypted_file.clear_key_cache()
    yield path
    encrypted_file.clear_key_cache()


@pytest.fixture(params=["encrypted-file", "keyring"])
def secret_backend(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, vault: Path
) -> str:
    """The name of a real backend, selected through TILEDB_CLIENT_SECRET_BACKEND."""
    if request.param == "keyring":
        request.getfixturevalue("secret_service")
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", request.param)
    return str(request.param)


class HookedVault(encrypted_file.EncryptedFileBackend):
    """The real encrypted-file backend (cheap KDF) that calls back after each set or delete.

    A fault-injection point, not a fake: every call stores or deletes for real, then
    ``after_set(key)`` / ``after_delete(key)`` runs at that exact moment, e.g. to start
    a concurrent operation, raise as a keyring call that timed out after it landed, or
    SIGKILL the process.
    """

    def __init__(
        self,
        *,
        after_set: Callable[[str], None] | None = None,
        after_delete: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(kdf_policy=CHEAP_POLICY)
        self.after_set = after_set
        self.after_delete = after_delete

    def set(self, key: str, secret: str) -> None:
        super().set(key, secret)
        if self.after_set is not None:
            self.after_set(key)

    def delete(self, key: str) -> bool:
        existed = super().delete(key)
        if self.after_delete is not None:
            self.after_delete(key)
        return existed


def decrypt_every_copy(
    directory: Path, passphrase: str = VAULT_PASSPHRASE
) -> dict[Path, dict[str, str]]:
    """Decrypt every file under ``directory`` that parses as a vault: ``{file: {entry: secret}}``.

    Finds what a thief with the passphrase would find: the vault, and any copy of it
    (temporary files a killed writer left, for one).
    """
    from tiledb.client.errors import ConfigurationError
    from tiledb.client.secrets import _vault

    found: dict[Path, dict[str, str]] = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
        try:
            vault = _vault.parse(path, path.read_text(encoding="utf-8"), CHEAP_POLICY)
            key = _vault.derive(vault.header["kdf"], passphrase)
            found[path] = {name: str(vault.decrypt(key, name)) for name in vault.entries}
        except (_vault.NotAVaultError, UnicodeDecodeError, ValueError, ConfigurationError):
            continue
    return found
