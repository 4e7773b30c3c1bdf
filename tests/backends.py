"""pytest fixtures that choose a real secret backend for a test.

- ``vault``: the encrypted-file backend with a passphrase from the environment and a
  cheap KDF (production costs are measured by ``benchmarks/kdf_unlock.py``).
- ``secret_backend``: parametrized over ``encrypted-file`` and ``keyring`` (the real
  Secret Service of ``tests.secret_service``); sets ``TILEDB_CLIENT_SECRET_BACKEND``.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    """Configure the encrypted-file backend; yield the vault path."""
    path = tmp_path / "vault" / "secrets.vault"
    registry.use_backend(encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY))
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
