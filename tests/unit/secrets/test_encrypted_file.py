"""Tests of the encrypted-file secret backend and its passphrase sources."""

from __future__ import annotations

import base64
import getpass
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tiledb.client.errors import (
    BackendUnavailableError,
    SecretBackendError,
    VaultTamperedError,
    WrongPassphraseError,
)
from tiledb.client.secrets import encrypted_file, passphrase
from tiledb.client.secrets.encrypted_file import EncryptedFileBackend, KdfPolicy
from tiledb.client.testing.backend_conformance import BackendConformance

SRC = Path(__file__).resolve().parents[3] / "src"
PASSPHRASE = "correct horse battery staple"
# The cheapest costs the KDFs accept: tests run in milliseconds. Production costs are
# exercised by benchmarks/kdf_unlock.py and by the downgrade tests below.
_CHEAP = {
    "argon2id": {"memory_cost": 8, "iterations": 1, "lanes": 1},
    "scrypt": {"n": 2, "r": 1, "p": 1},
}
TEST_POLICY = KdfPolicy(
    argon2id=_CHEAP["argon2id"],
    argon2id_minimum=_CHEAP["argon2id"],
    scrypt=_CHEAP["scrypt"],
    scrypt_minimum=_CHEAP["scrypt"],
)
SCRYPT_POLICY = KdfPolicy(**{**TEST_POLICY.__dict__, "prefer_argon2id": False})


@pytest.fixture(autouse=True)
def fresh_key_cache() -> Iterator[None]:
    encrypted_file.clear_key_cache()
    yield
    encrypted_file.clear_key_cache()


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vaultdir" / "secrets.vault"
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", str(path))
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", PASSPHRASE)
    return path


@pytest.fixture
def store(vault: Path) -> EncryptedFileBackend:
    return EncryptedFileBackend(kdf_policy=TEST_POLICY)


class TestConformance(BackendConformance):
    @pytest.fixture
    def backend(self, store: EncryptedFileBackend) -> EncryptedFileBackend:
        return store


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def save(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document))


def flip(b64: str) -> str:
    data = bytearray(base64.b64decode(b64))
    data[0] ^= 1
    return base64.b64encode(bytes(data)).decode()


# -- files ------------------------------------------------------------------------


def test_default_path_is_in_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    assert encrypted_file.vault_path() == Path("/srv/data/tiledb-client/secrets.vault")


def test_file_modes(store: EncryptedFileBackend, vault: Path) -> None:
    store.set("k", "v")
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.parent.stat().st_mode) == 0o700
    lock = vault.with_name(".secrets.vault.lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600
    assert sorted(p.name for p in vault.parent.iterdir()) == [lock.name, vault.name]


def test_secret_never_in_clear_and_nonce_fresh(store: EncryptedFileBackend, vault: Path) -> None:
    secret = "tdb-very-secret-token-value"
    store.set("k", secret)
    first = load(vault)["entries"]["k"]
    store.set("k", secret)
    second = load(vault)["entries"]["k"]
    assert first["nonce"] != second["nonce"]
    assert first["ciphertext"] != second["ciphertext"]
    raw = vault.read_bytes()
    for form in (secret.encode(), base64.b64encode(secret.encode()), PASSPHRASE.encode()):
        assert form not in raw
    assert b"tdb-very" not in raw


def test_header_and_names_in_clear(store: EncryptedFileBackend, vault: Path) -> None:
    store.set("token: default", "v")
    document = load(vault)
    assert document["format"] == "tiledb-client-vault"
    assert document["version"] == 1
    assert document["kdf"]["name"] == "argon2id"
    assert len(base64.b64decode(document["kdf"]["salt"])) == 16
    assert list(document["entries"]) == ["token: default"]


# -- errors -----------------------------------------------------------------------


def test_wrong_passphrase(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set("k", "v")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "not the passphrase")
    # No need to clear the cache: a new passphrase is a new cache key.
    with pytest.raises(WrongPassphraseError) as info:
        store.get("k")
    assert "TILEDB_CLIENT_PASSPHRASE" in str(info.value)
    assert "not the passphrase" not in str(info.value)
    with pytest.raises(WrongPassphraseError):
        store.set("k2", "v2")
    assert list(load(vault)["entries"]) == ["k"]


@pytest.mark.parametrize("cached", [True, False], ids=["cached-key", "fresh-key"])
def test_tampered_ciphertext(store: EncryptedFileBackend, vault: Path, *, cached: bool) -> None:
    store.set("k", "v")
    document = load(vault)
    document["entries"]["k"]["ciphertext"] = flip(document["entries"]["k"]["ciphertext"])
    save(vault, document)
    if not cached:
        encrypted_file.clear_key_cache()
    with pytest.raises(VaultTamperedError):
        store.get("k")
    with pytest.raises(VaultTamperedError):
        store.set("other", "x")  # a tampered vault is never re-MACed into validity


@pytest.mark.parametrize("change", ["swap", "rename", "drop", "add"])
def test_entries_cannot_be_moved(store: EncryptedFileBackend, vault: Path, change: str) -> None:
    store.set("token: a", "secret-a")
    store.set("token: b", "secret-b")
    document = load(vault)
    entries = document["entries"]
    if change == "swap":
        entries["token: a"], entries["token: b"] = entries["token: b"], entries["token: a"]
    elif change == "rename":
        entries["token: c"] = entries.pop("token: a")
    elif change == "drop":
        del entries["token: a"]
    else:
        entries["token: c"] = entries["token: a"]
    save(vault, document)
    with pytest.raises(VaultTamperedError):
        store.get("token: b")


def test_entry_name_is_bound_even_with_valid_mac(store: EncryptedFileBackend, vault: Path) -> None:
    # Defence in depth: even if the index MAC is recomputed (it cannot be without the key;
    # the test uses the key), the per-entry associated data still catches the swap.
    store.set("token: a", "secret-a")
    store.set("token: b", "secret-b")
    parsed = encrypted_file._parse(vault, vault.read_text(), TEST_POLICY)
    key = encrypted_file._derive(parsed.header["kdf"], PASSPHRASE)
    a, b = parsed.entries["token: a"], parsed.entries["token: b"]
    parsed.entries["token: a"], parsed.entries["token: b"] = b, a
    encrypted_file._write_vault(parsed, key)
    with pytest.raises(VaultTamperedError, match="token: a"):
        store.get("token: a")


@pytest.mark.parametrize("field", ["iterations", "salt", "verifier"])
def test_modified_header_reads_as_wrong_passphrase(
    store: EncryptedFileBackend, vault: Path, field: str
) -> None:
    # The salt and KDF parameters are inputs of the key derivation, and the verifier is
    # the only check available before a key exists: a changed header yields a different
    # key, which is cryptographically indistinguishable from a wrong passphrase. The
    # error says so ("or the vault's header was changed"). Weakened parameters are
    # caught before derivation (see the downgrade tests).
    store.set("k", "v")
    document = load(vault)
    if field == "iterations":
        document["kdf"]["iterations"] += 1
    elif field == "salt":
        document["kdf"]["salt"] = flip(document["kdf"]["salt"])
    else:
        document["verifier"] = flip(document["verifier"])
    save(vault, document)
    encrypted_file.clear_key_cache()
    with pytest.raises(WrongPassphraseError, match="header"):
        store.get("k")


def test_modified_verifier_with_cached_key_is_tampering(
    store: EncryptedFileBackend, vault: Path
) -> None:
    store.set("k", "v")
    document = load(vault)
    document["verifier"] = flip(document["verifier"])
    save(vault, document)
    with pytest.raises(VaultTamperedError):
        store.get("k")


@pytest.mark.parametrize("kdf", ["argon2id", "scrypt"])
def test_downgraded_kdf_params_are_refused(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch, kdf: str
) -> None:
    writer = EncryptedFileBackend(kdf_policy=SCRYPT_POLICY if kdf == "scrypt" else TEST_POLICY)
    writer.set("k", "v")  # written with parameters far below the production minimum
    assert load(vault)["kdf"]["name"] == kdf
    production = EncryptedFileBackend()
    with pytest.raises(VaultTamperedError, match="downgrade"):
        production.get("k")
    with pytest.raises(VaultTamperedError):
        production.set("k", "w")


def test_absurd_kdf_params_are_refused(store: EncryptedFileBackend, vault: Path) -> None:
    store.set("k", "v")
    document = load(vault)
    document["kdf"]["memory_cost"] = 2**31  # would allocate 2 TiB
    save(vault, document)
    with pytest.raises(VaultTamperedError):
        store.get("k")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        # each parameter within its maximum, together about 2 GiB and minutes of work
        ("scrypt", {"n": 2**20, "r": 16, "p": 16}),
        ("argon2id", {"memory_cost": 2**20, "iterations": 16, "lanes": 16}),
        # a combination cryptography itself refuses (memory_cost < 8 * lanes)
        ("argon2id", {"memory_cost": 8, "iterations": 1, "lanes": 2}),
    ],
    ids=["scrypt-work", "argon2id-work", "argon2id-lanes"],
)
def test_costly_or_impossible_kdf_combinations_are_refused_before_deriving(
    vault: Path, name: str, params: dict[str, int]
) -> None:
    writer = EncryptedFileBackend(kdf_policy=SCRYPT_POLICY if name == "scrypt" else TEST_POLICY)
    writer.set("k", "v")
    document = load(vault)
    document["kdf"] = {"name": name, "salt": document["kdf"]["salt"], **params}
    save(vault, document)
    encrypted_file.clear_key_cache()
    started = time.perf_counter()
    with pytest.raises(VaultTamperedError, match="KDF"):
        writer.get("k")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["kdf"].update(name="pbkdf2"),
        lambda d: d["kdf"].update(extra=1),
        lambda d: d["kdf"].update(iterations="3"),
        lambda d: d.pop("mac"),
        lambda d: d["entries"]["k"].update(nonce="!!"),
        lambda d: d.update(entries=[]),
    ],
    ids=["kdf-name", "kdf-extra", "param-type", "no-mac", "bad-b64", "entries-type"],
)
def test_damaged_structure_is_tampering(
    store: EncryptedFileBackend, vault: Path, mutate: Any
) -> None:
    store.set("k", "v")
    document = load(vault)
    mutate(document)
    save(vault, document)
    with pytest.raises(VaultTamperedError):
        store.get("k")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not json", "not JSON"),
        ('{"version": 1, "a": {}}', "not a tiledb-client-vault"),
        ("[1, 2]", "not a tiledb-client-vault"),
        ('{"format": "tiledb-client-vault", "version": 2}', "version 2"),
    ],
)
def test_foreign_file_is_never_overwritten(
    store: EncryptedFileBackend, vault: Path, content: str, message: str
) -> None:
    vault.parent.mkdir(parents=True)
    vault.write_text(content)
    for call in (lambda: store.set("k", "v"), lambda: store.get("k"), lambda: store.delete("k")):
        with pytest.raises(SecretBackendError, match=message) as info:
            call()
        assert str(vault) in str(info.value)
        assert not isinstance(info.value, (WrongPassphraseError, VaultTamperedError))
    assert vault.read_text() == content
    availability = store.probe()
    assert not availability.available
    assert str(vault) in availability.reason


# -- passphrase sources -----------------------------------------------------------


def test_passphrase_file(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(PASSPHRASE + "\n")
    secret_file.chmod(0o600)
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(secret_file))
    store = EncryptedFileBackend(kdf_policy=TEST_POLICY)
    availability = store.probe()
    assert availability.available
    assert str(secret_file) in availability.reason
    store.set("k", "v")
    # The trailing newline was stripped: the plain env passphrase opens the same vault.
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE_FILE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", PASSPHRASE)
    encrypted_file.clear_key_cache()
    assert store.get("k") == "v"


def test_env_passphrase_wins_over_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "a")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", "/nonexistent")
    source = passphrase.configured_source()
    assert source is not None
    assert source.kind == "env"


@pytest.mark.parametrize(
    "content", [b"", b"\n", b"\xff\xfe secret"], ids=["empty", "newline", "binary"]
)
def test_bad_passphrase_file(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    secret_file = tmp_path / "passphrase"
    secret_file.write_bytes(content)
    secret_file.chmod(0o600)
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(secret_file))
    store = EncryptedFileBackend(kdf_policy=TEST_POLICY)
    assert not store.probe().available
    with pytest.raises(SecretBackendError, match=str(secret_file)) as info:
        store.set("k", "v")
    assert "secret" not in str(info.value).replace("secrets", "")


def test_missing_passphrase_file(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", "/nonexistent/passphrase")
    availability = EncryptedFileBackend(kdf_policy=TEST_POLICY).probe()
    assert not availability.available
    assert "/nonexistent/passphrase" in availability.reason
    with pytest.raises(SecretBackendError, match="/nonexistent/passphrase"):
        EncryptedFileBackend(kdf_policy=TEST_POLICY).set("k", "v")


def test_no_source_and_no_terminal(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(sys, "stdin", None)
    availability = store.probe()
    assert not availability.available
    assert "TILEDB_CLIENT_PASSPHRASE_FILE" in availability.reason
    # Without a vault, reading needs no passphrase at all.
    assert store.get("k") is None
    assert not store.contains("k")
    assert store.delete("k") is False
    with pytest.raises(BackendUnavailableError, match="TILEDB_CLIENT_PASSPHRASE_FILE"):
        store.set("k", "v")
    assert not vault.exists()


def test_terminal_prompt(
    store: EncryptedFileBackend,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(passphrase, "_stdin_is_terminal", lambda: True)
    answers: list[str] = []
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    # Issue 20, finding 6: a second chance, as sudo and ssh give (before: one mistake lost all).
    answers[:] = ["short", PASSPHRASE, "typo", PASSPHRASE, PASSPHRASE]
    store.set("k", "v")  # too short, then different, then the same: stored
    assert answers == []
    assert "New passphrase" in prompts[0]
    assert str(vault) in prompts[0]
    said = capsys.readouterr().err
    assert "That passphrase is too short (5 characters): use at least 8; try again." in said
    assert "The two passphrases differ; try again." in said
    assert store.get("k") == "v"  # the derived key is remembered: no other prompt
    assert len(prompts) == 5

    encrypted_file.clear_key_cache()
    answers[:] = ["wrong one", "wrong two", PASSPHRASE]
    assert store.get("k") == "v"  # the third try opens it
    assert capsys.readouterr().err.count("does not unlock the vault; try again.") == 2
    encrypted_file.clear_key_cache()
    answers[:] = ["wrong one", "wrong two", "wrong three"]
    with pytest.raises(WrongPassphraseError):
        store.get("k")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", PASSPHRASE)
    assert store.get("k") == "v"


def test_three_mistakes_at_a_new_passphrase_store_nothing(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(passphrase, "_stdin_is_terminal", lambda: True)
    answers = [PASSPHRASE, "typo1", PASSPHRASE, "typo2", "x"]
    monkeypatch.setattr(getpass, "getpass", lambda prompt: answers.pop(0))
    with pytest.raises(SecretBackendError, match=r"too short .*; nothing was changed"):
        store.set("k", "v")
    assert answers == []
    assert not vault.exists()


def test_key_is_derived_once(store: EncryptedFileBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = encrypted_file._derive

    def counting(kdf: Any, secret: str) -> bytes:
        calls.append(kdf["name"])
        return real(kdf, secret)

    monkeypatch.setattr(encrypted_file, "_derive", counting)
    store.set("a", "1")
    store.set("b", "2")
    assert EncryptedFileBackend(kdf_policy=TEST_POLICY).get("a") == "1"
    assert len(calls) == 1


# -- KDFs and probe ---------------------------------------------------------------


def test_scrypt_vault_still_readable(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    EncryptedFileBackend(kdf_policy=SCRYPT_POLICY).set("k", "v")
    assert load(vault)["kdf"]["name"] == "scrypt"
    encrypted_file.clear_key_cache()
    assert store.get("k") == "v"
    store.set("k2", "v2")  # the vault keeps its KDF
    assert load(vault)["kdf"]["name"] == "scrypt"


def test_without_argon2id_support(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set("k", "v")  # argon2id
    monkeypatch.setattr(encrypted_file, "argon2id_supported", lambda: False)
    encrypted_file.clear_key_cache()
    with pytest.raises(SecretBackendError) as caught:
        store.get("k")
    assert str(caught.value) == (
        "The secrets vault uses Argon2id, which this cryptography build lacks: install"
        " cryptography>=44 built with OpenSSL>=3.2 (the PyPI wheels are)."
    )
    assert "Argon2id" in store.probe().reason
    vault.unlink()
    store.set("k", "v")
    assert load(vault)["kdf"]["name"] == "scrypt"


def test_default_backend_writes_and_reads_production_parameters(vault: Path) -> None:
    # What a new vault costs to guess (SECURITY.md, "KDF parameters"): Argon2id with
    # 64 MiB, 3 passes, 4 lanes, or scrypt N=2**16, r=8, p=1 without Argon2id.
    backend = EncryptedFileBackend()
    backend.set("k", "v")
    kdf = load(vault)["kdf"]
    if kdf["name"] == "argon2id":
        assert (kdf["memory_cost"], kdf["iterations"], kdf["lanes"]) == (65536, 3, 4)
    else:
        assert (kdf["n"], kdf["r"], kdf["p"]) == (2**16, 8, 1)
    encrypted_file.clear_key_cache()
    assert EncryptedFileBackend().get("k") == "v"


def test_probe(store: EncryptedFileBackend, vault: Path) -> None:
    availability = store.probe()
    assert availability.available
    assert "TILEDB_CLIENT_PASSPHRASE" in availability.reason
    assert PASSPHRASE not in availability.reason
    store.set("k", "v")
    vault.write_text("{}")
    assert not store.probe().available


def test_contains_needs_no_passphrase(
    store: EncryptedFileBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set("k", "v")
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(sys, "stdin", None)
    assert store.contains("k")
    assert not store.contains("other")


def test_set_refuses_empty_and_non_strings(store: EncryptedFileBackend) -> None:
    with pytest.raises(ValueError):
        store.set("k", "")
    with pytest.raises(ValueError):
        store.set("", "v")
    with pytest.raises(ValueError):
        store.set("k", None)  # type: ignore[arg-type]


def test_imports_stay_lazy() -> None:
    code = (
        "import sys\n"
        "import tiledb.client.secrets.registry, tiledb.client.secrets.passphrase\n"
        "assert 'cryptography' not in sys.modules, 'cryptography imported eagerly'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


# -- several processes ------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from tiledb.client.secrets import encrypted_file as ef
    cheap = {"memory_cost": 8, "iterations": 1, "lanes": 1}
    policy = ef.KdfPolicy(cheap, cheap, {"n": 2, "r": 1, "p": 1}, {"n": 2, "r": 1, "p": 1})
    backend = ef.EncryptedFileBackend(kdf_policy=policy)
    worker, count = sys.argv[1], int(sys.argv[2])
    for index in range(count):
        backend.set(f"token: w{worker}-{index}", f"value-{worker}-{index}")
    """
)


def test_concurrent_writers_in_processes(store: EncryptedFileBackend, vault: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    workers, count = 4, 8
    processes = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(worker), str(count)], env=env)
        for worker in range(workers)
    ]
    assert all(process.wait(timeout=90) == 0 for process in processes)
    assert len(load(vault)["entries"]) == workers * count
    for worker in range(workers):
        for index in range(count):
            assert store.get(f"token: w{worker}-{index}") == f"value-{worker}-{index}"


def test_registry_builds_this_backend(vault: Path) -> None:
    from tiledb.client.secrets import registry

    backend = registry.get_backend("encrypted-file")
    assert isinstance(backend, EncryptedFileBackend)
    assert backend.name == "encrypted-file"


def test_passphrase_is_nfc_normalised_and_bytes_safe(
    store: EncryptedFileBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "caf\u00e9")  # composed é
    store.set("k", "v")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "cafe\u0301")  # e + combining accent
    assert store.get("k") == "v"
    if sys.platform != "win32":  # a non-UTF-8 byte in the environment (POSIX only)
        monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "caf\udcff")
        with pytest.raises(WrongPassphraseError) as info:
            store.get("k")
        assert "\udcff" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "accepted"),
    [
        (b"p" * 65536, True),  # exactly 64 KiB
        (b"p" * 65535 + b"\n", True),  # 64 KiB with its newline
        (b"p" * 65536 + b"\n", False),  # one byte over: refused, even if only a newline
        (b"p" * 65537, False),
        (b"p" * 10_000_000, False),  # read no further than the limit
    ],
    ids=["64KiB", "64KiB-with-newline", "64KiB-plus-newline", "64KiB-plus-1", "10MB"],
)
def test_passphrase_file_of_at_most_64_kib(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, accepted: bool
) -> None:
    secret_file = tmp_path / "passphrase"
    secret_file.write_bytes(content)
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(secret_file))
    store = EncryptedFileBackend(kdf_policy=TEST_POLICY)
    assert store.probe().available is accepted
    if accepted:
        store.set("k", "v")
        monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE_FILE")
        monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", content.decode().rstrip("\n"))
        encrypted_file.clear_key_cache()
        assert store.get("k") == "v"  # the file's content, less one newline, is the passphrase
    else:
        with pytest.raises(SecretBackendError, match="longer than 64 KiB") as caught:
            store.set("k", "v")
        assert str(secret_file) in str(caught.value)
        assert "ppp" not in str(caught.value)
        assert not vault.exists()


def test_end_of_input_at_the_passphrase_prompt(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(passphrase, "_stdin_is_terminal", lambda: True)

    def end_of_input(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", end_of_input)
    with pytest.raises(SecretBackendError, match=r"No passphrase was entered \(end of input\)"):
        store.set("k", "v")
    assert not vault.exists()


_HOLD_LOCK = textwrap.dedent(
    """
    import sys, time, filelock
    with filelock.FileLock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(60)
    """
)


@pytest.fixture
def lock_holder() -> Iterator[Callable[[Path], None]]:
    """Hold a lock file from another process, as a concurrent writer would."""
    processes: list[subprocess.Popen[str]] = []

    def hold(lock_path: Path) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, str(lock_path)], stdout=subprocess.PIPE, text=True
        )
        processes.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"

    yield hold
    for process in processes:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_vault_lock_timeout(
    store: EncryptedFileBackend,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    lock_holder: Callable[[Path], None],
) -> None:
    store.set("k", "v")
    before = vault.read_bytes()
    lock_path = vault.with_name(".secrets.vault.lock")
    lock_holder(lock_path)
    monkeypatch.setattr(encrypted_file, "LOCK_TIMEOUT_SECONDS", 1.0)
    started = time.monotonic()
    with pytest.raises(SecretBackendError, match="locked by another process") as caught:
        store.set("k", "w")
    assert 0.9 < time.monotonic() - started < 6
    assert str(lock_path) in str(caught.value)
    assert "waited 1 s" in str(caught.value)
    assert vault.read_bytes() == before
    assert store.get("k") == "v"  # reading needs no lock


# -- exact behaviour, one rule at a time -----------------------------------------------


def test_vault_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", "relative.vault")
    assert encrypted_file.vault_path() == tmp_path / "relative.vault"
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", "~/mine.vault")
    assert encrypted_file.vault_path() == Path(os.environ["HOME"]) / "mine.vault"
    monkeypatch.setenv("TILEDB_CLIENT_SECRETS_FILE", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert encrypted_file.vault_path() == tmp_path / "data" / "tiledb-client" / "secrets.vault"


def test_messages_name_the_vault_and_the_source(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set("k", "v")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "another passphrase")
    with pytest.raises(WrongPassphraseError) as caught:
        store.get("k")
    assert str(caught.value) == (
        f"The passphrase from $TILEDB_CLIENT_PASSPHRASE does not unlock the secrets vault"
        f" {vault} (or the vault's header was changed). Set TILEDB_CLIENT_PASSPHRASE to the"
        " passphrase the vault was created with."
    )
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", PASSPHRASE)
    document = load(vault)
    document["mac"] = flip(document["mac"])
    save(vault, document)
    with pytest.raises(VaultTamperedError) as caught:
        store.get("k")
    assert str(caught.value) == (
        f"The secrets vault {vault} was modified outside this library: its entries do not"
        " match their MAC. Restore it from a backup, or delete it and store again."
    )
    document["mac"] = flip(document["mac"])
    document["verifier"] = flip(document["verifier"])
    save(vault, document)
    with pytest.raises(VaultTamperedError) as caught:
        store.get("k")  # the key is cached: a changed verifier is tampering
    assert str(caught.value) == f"The verifier of the secrets vault {vault} was changed."


def test_a_foreign_file_message(store: EncryptedFileBackend, vault: Path) -> None:
    vault.parent.mkdir(parents=True)
    vault.write_bytes(b"\xff\xfe not text")
    with pytest.raises(SecretBackendError) as caught:
        store.get("k")
    assert str(caught.value).startswith(f"The secrets vault {vault} cannot be used: it is not JSON")
    assert str(caught.value).endswith(
        ". It was left untouched; move it away or point TILEDB_CLIENT_SECRETS_FILE at another file."
    )


def test_a_directory_where_the_vault_should_be(store: EncryptedFileBackend, vault: Path) -> None:
    vault.mkdir(parents=True)
    for call in (lambda: store.get("k"), lambda: store.set("k", "v"), lambda: store.contains("k")):
        with pytest.raises(SecretBackendError, match=f"Cannot read the secrets vault {vault}: "):
            call()
    assert not store.probe().available
    assert vault.is_dir()


def test_a_file_where_the_vault_directory_should_be(
    store: EncryptedFileBackend, vault: Path
) -> None:
    vault.parent.write_text("a file, not a directory")
    with pytest.raises(SecretBackendError) as caught:
        store.set("k", "v")
    assert f"{vault}" in str(caught.value)
    assert vault.parent.read_text() == "a file, not a directory"


def test_full_disk_while_writing_the_vault(store: EncryptedFileBackend, vault: Path) -> None:
    store.set("small", "v")
    before = vault.read_bytes()
    from tests.faults import run_with_file_size_limit

    result = run_with_file_size_limit(
        """
        from tiledb.client.errors import SecretBackendError
        from tiledb.client.secrets.registry import get_backend
        try:
            get_backend("encrypted-file").set("big", "b" * 50_000)
        except SecretBackendError as exc:
            report(error=str(exc))
        """,
        limit=16 * 1024,
    )
    assert result["error"].startswith(f"Cannot write the secrets vault {vault}: ")
    assert vault.read_bytes() == before
    assert sorted(p.name for p in vault.parent.iterdir()) == [".secrets.vault.lock", vault.name]
    assert store.get("small") == "v"


def test_probe_reasons(store: EncryptedFileBackend, vault: Path) -> None:
    assert store.probe().reason == f"new vault {vault}, passphrase from $TILEDB_CLIENT_PASSPHRASE"
    store.set("k", "v")
    assert store.probe().reason == f"vault {vault}, passphrase from $TILEDB_CLIENT_PASSPHRASE"
    assert store.probe().available


def test_probe_without_a_source_says_what_to_set(
    store: EncryptedFileBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    availability = store.probe()
    assert availability.available is False
    assert availability.reason == passphrase.NO_SOURCE_HINT


def test_delete(store: EncryptedFileBackend, vault: Path) -> None:
    assert store.delete("k") is False  # no vault
    assert not vault.exists()
    store.set("k", "v")
    store.set("other", "w")
    before = vault.read_bytes()
    assert store.delete("missing") is False
    assert vault.read_bytes() == before  # nothing to delete: not rewritten
    assert store.delete("k") is True
    assert store.get("k") is None
    assert not store.contains("k")
    assert store.get("other") == "w"
    assert list(load(vault)["entries"]) == ["other"]
    assert store.delete("other") is True
    assert load(vault)["entries"] == {}  # an empty vault is still a valid vault
    assert store.get("other") is None
    store.set("again", "x")
    assert store.get("again") == "x"


@pytest.mark.parametrize("key", ["", None, 3])
def test_keys_must_be_non_empty_strings(store: EncryptedFileBackend, key: Any) -> None:
    with pytest.raises(ValueError, match="the key must be a non-empty string"):
        store.set(key, "v")


def test_new_vaults_use_argon2id_when_preferred_and_available(vault: Path) -> None:
    EncryptedFileBackend(kdf_policy=TEST_POLICY).set("k", "v")
    assert load(vault)["kdf"] == {"name": "argon2id", **_CHEAP["argon2id"], "salt": ANY_SALT}
    vault.unlink()
    EncryptedFileBackend(kdf_policy=SCRYPT_POLICY).set("k", "v")
    assert load(vault)["kdf"] == {"name": "scrypt", **_CHEAP["scrypt"], "salt": ANY_SALT}


class _AnySalt:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and len(base64.b64decode(other)) == 16

    def __hash__(self) -> int:
        return 0


ANY_SALT = _AnySalt()


def test_argon2id_support_is_detected() -> None:
    encrypted_file.argon2id_supported.cache_clear()
    assert encrypted_file.argon2id_supported() is True  # cryptography>=44 wheels on OpenSSL 3.2+


def test_the_key_cache_is_per_passphrase_and_cleared(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set("k", "v")
    assert len(encrypted_file._key_cache) == 1
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", "wrong")
    with pytest.raises(WrongPassphraseError):
        store.get("k")
    assert len(encrypted_file._key_cache) == 1  # a failed unlock is not remembered
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", PASSPHRASE)
    encrypted_file.clear_key_cache()
    assert encrypted_file._key_cache == {}
    assert store.get("k") == "v"
    (cached,) = encrypted_file._key_cache.values()
    assert len(cached) == 64
    assert PASSPHRASE.encode() not in repr(encrypted_file._key_cache).encode()


def test_value_error_messages(store: EncryptedFileBackend) -> None:
    with pytest.raises(ValueError) as caught:
        store.set("k", "")
    assert str(caught.value) == "refusing to store an empty secret"
    with pytest.raises(ValueError) as caught:
        store.set("", "v")
    assert str(caught.value) == "the key must be a non-empty string"


def test_probe_reports_the_passphrase_problem_first(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.parent.mkdir(parents=True)
    vault.write_text("not a vault")
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", "/nonexistent/passphrase")
    availability = store.probe()
    assert availability.available is False
    assert "/nonexistent/passphrase" in availability.reason
    assert "not JSON" not in availability.reason


def test_a_vault_deleted_while_the_passphrase_is_typed(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The passphrase is asked before the lock is taken; meanwhile another process
    # deletes the vault. The write then starts a new vault: nothing of the deleted one
    # comes back.
    store.set("old", "1")
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(passphrase, "_stdin_is_terminal", lambda: True)
    encrypted_file.clear_key_cache()
    prompts: list[str] = []

    def type_passphrase(prompt: str) -> str:
        prompts.append(prompt)
        if len(prompts) == 1:
            vault.unlink()  # while the person types
        return PASSPHRASE

    monkeypatch.setattr(getpass, "getpass", type_passphrase)
    store.set("new", "2")
    assert list(load(vault)["entries"]) == ["new"]
    assert "New passphrase" in prompts[1]  # the new vault asked for its own, twice
    assert prompts[2] == "Repeat the passphrase: "
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE", PASSPHRASE)
    encrypted_file.clear_key_cache()
    assert store.get("new") == "2"
    assert store.get("old") is None


def test_a_key_deleted_while_the_passphrase_is_typed(
    store: EncryptedFileBackend, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # delete() saw the entry; while the passphrase is typed another process deletes it.
    store.set("k", "v")
    store.set("other", "w")
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(passphrase, "_stdin_is_terminal", lambda: True)
    encrypted_file.clear_key_cache()

    def type_passphrase(prompt: str) -> str:
        os.environ["TILEDB_CLIENT_PASSPHRASE"] = PASSPHRASE  # the other process
        try:
            assert EncryptedFileBackend(kdf_policy=TEST_POLICY).delete("k") is True
        finally:
            del os.environ["TILEDB_CLIENT_PASSPHRASE"]
        return PASSPHRASE

    monkeypatch.setattr(getpass, "getpass", type_passphrase)
    assert store.delete("k") is False  # it was not this call that deleted it
    assert list(load(vault)["entries"]) == ["other"]


def test_keys_and_contains_many_need_no_passphrase(
    store: EncryptedFileBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.keys() == []
    assert store.contains_many(["a"]) == frozenset()
    store.set("b", "2")
    store.set("a", "1")
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    monkeypatch.setattr(sys, "stdin", None)
    assert store.keys() == ["a", "b"]
    assert store.contains_many(["a", "c"]) == frozenset({"a"})
