"""The vault header limits SECURITY.md states, checked one by one on the parser.

Reading: exact KDF keys, integer parameters within [minimum, maximum], a 16-64 byte
salt, scrypt ``n`` a power of two; anything else is ``VaultTamperedError`` before any
key is derived. The production policy's minimums and the fixed maximums are the
numbers of SECURITY.md's table.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from tiledb.client.errors import VaultTamperedError
from tiledb.client.secrets import _vault
from tiledb.client.secrets._vault import PRODUCTION_POLICY, NotAVaultError

PATH = Path("/home/ada/.local/share/tiledb-client/secrets.vault")
KEY = bytes(range(64))
# SECURITY.md, "KDF parameters": minimum and maximum accepted.
LIMITS = {
    "argon2id": {"memory_cost": (19456, 2**20), "iterations": (2, 16), "lanes": (1, 16)},
    "scrypt": {"n": (2**15, 2**20), "r": (8, 16), "p": (1, 16)},
}
NEW_VAULT = {
    "argon2id": {"memory_cost": 65536, "iterations": 3, "lanes": 4},
    "scrypt": {"n": 2**16, "r": 8, "p": 1},
}


def document(kdf_name: str, **kdf_changes: Any) -> dict[str, Any]:
    vault = _vault.new_vault(PATH, kdf_name, PRODUCTION_POLICY)
    vault.encrypt(KEY, "token: default", "s3cret")
    parsed: dict[str, Any] = json.loads(vault.serialise(KEY))
    parsed["kdf"].update(kdf_changes)
    return parsed


def parse(doc: dict[str, Any]) -> _vault.Vault:
    return _vault.parse(PATH, json.dumps(doc), PRODUCTION_POLICY)


@pytest.mark.parametrize("kdf_name", ["argon2id", "scrypt"])
def test_a_new_vault_has_the_documented_parameters(kdf_name: str) -> None:
    doc = document(kdf_name)
    kdf = doc["kdf"]
    assert {k: v for k, v in kdf.items() if k not in ("name", "salt")} == NEW_VAULT[kdf_name]
    assert kdf["name"] == kdf_name
    assert len(base64.b64decode(kdf["salt"])) == 16
    assert document(kdf_name)["kdf"]["salt"] != kdf["salt"]  # fresh each time
    assert (doc["format"], doc["version"]) == ("tiledb-client-vault", 1)
    vault = parse(doc)
    assert vault.header["kdf"] == kdf
    assert vault.decrypt(KEY, "token: default") == "s3cret"
    assert vault.verifier == vault.verifier_for(KEY)
    assert vault.mac == vault.mac_for(KEY)


CASES = [
    (name, param, low, high)
    for name, params in LIMITS.items()
    for param, (low, high) in params.items()
]


@pytest.mark.parametrize(("kdf_name", "param", "low", "high"), CASES)
def test_each_parameter_is_accepted_within_its_limits(
    kdf_name: str, param: str, low: int, high: int
) -> None:
    for value in (low, high):
        assert parse(document(kdf_name, **{param: value})).header["kdf"][param] == value


@pytest.mark.parametrize(("kdf_name", "param", "low", "high"), CASES)
def test_each_parameter_is_refused_outside_its_limits(
    kdf_name: str, param: str, low: int, high: int
) -> None:
    below = low - 1 if param != "n" else low // 2
    above = high + 1 if param != "n" else high * 2
    for value in (below, above):
        with pytest.raises(VaultTamperedError) as caught:
            parse(document(kdf_name, **{param: value}))
        message = str(caught.value)
        assert f"{kdf_name} {param}={value}" in message
        assert f"outside the accepted {low}..{high}" in message
        assert str(PATH) in message


@pytest.mark.parametrize("kdf_name", ["argon2id", "scrypt"])
@pytest.mark.parametrize("value", [True, 3.0, "3", None], ids=["bool", "float", "str", "null"])
def test_parameters_must_be_integers(kdf_name: str, value: object) -> None:
    param = next(iter(LIMITS[kdf_name]))
    with pytest.raises(VaultTamperedError, match="outside the accepted"):
        parse(document(kdf_name, **{param: value}))


@pytest.mark.parametrize("kdf_name", ["argon2id", "scrypt"])
@pytest.mark.parametrize(("size", "accepted"), [(15, False), (16, True), (64, True), (65, False)])
def test_salt_is_16_to_64_bytes(kdf_name: str, size: int, accepted: bool) -> None:
    doc = document(kdf_name, salt=base64.b64encode(b"s" * size).decode())
    if accepted:
        assert parse(doc).header["kdf"]["salt"] == doc["kdf"]["salt"]
    else:
        with pytest.raises(VaultTamperedError, match="damaged KDF header"):
            parse(doc)


@pytest.mark.parametrize("n", [2**15 + 2**14, 2**16 - 1, 2**16 + 1, 3 * 2**17])
def test_scrypt_n_is_a_power_of_two(n: int) -> None:
    with pytest.raises(VaultTamperedError, match="damaged KDF header"):
        parse(document("scrypt", n=n))
    assert parse(document("scrypt", n=2**17)).header["kdf"]["n"] == 2**17


@pytest.mark.parametrize(
    "change",
    [
        {"name": "pbkdf2"},
        {"name": None},
        {"extra": 1},
        {"salt": "not base64!"},
        {"salt": 1234},
    ],
    ids=["unknown-kdf", "no-name", "extra-key", "salt-not-base64", "salt-not-text"],
)
def test_a_malformed_kdf_header_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(VaultTamperedError, match=str(PATH)):
        parse(document("argon2id", **change))


@pytest.mark.parametrize("missing", ["salt", "memory_cost", "iterations", "lanes", "name"])
def test_every_kdf_key_is_required(missing: str) -> None:
    doc = document("argon2id")
    del doc["kdf"][missing]
    with pytest.raises(VaultTamperedError, match="damaged KDF header"):
        parse(doc)


def test_scrypt_keys_are_not_argon2id_keys() -> None:
    doc = document("scrypt")
    doc["kdf"].update(memory_cost=65536)
    with pytest.raises(VaultTamperedError, match="damaged KDF header"):
        parse(doc)


@pytest.mark.parametrize(
    ("field", "size"), [("verifier", 31), ("verifier", 33), ("mac", 16), ("mac", 64)]
)
def test_verifier_and_mac_are_32_bytes(field: str, size: int) -> None:
    doc = document("argon2id")
    doc[field] = base64.b64encode(b"v" * size).decode()
    with pytest.raises(VaultTamperedError, match="damaged or was modified"):
        parse(doc)


@pytest.mark.parametrize("size", [11, 13])
def test_nonces_are_12_bytes(size: int) -> None:
    doc = document("argon2id")
    doc["entries"]["token: default"]["nonce"] = base64.b64encode(b"n" * size).decode()
    with pytest.raises(VaultTamperedError, match="damaged or was modified"):
        parse(doc)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "it is not JSON"),
        ("[]", "it is not a tiledb-client-vault file"),
        ('{"format": "other", "version": 1}', "it is not a tiledb-client-vault file"),
        ('{"format": "tiledb-client-vault"}', "it has format version None; this library reads 1"),
        ('{"format": "tiledb-client-vault", "version": 2}', "format version 2"),
    ],
)
def test_what_is_not_a_vault(text: str, reason: str) -> None:
    with pytest.raises(NotAVaultError, match=reason):
        _vault.parse(PATH, text, PRODUCTION_POLICY)


def test_the_header_is_canonical_and_authenticated() -> None:
    vault = parse(document("argon2id"))
    header = vault.header_bytes
    assert header == json.dumps(vault.header, sort_keys=True, separators=(",", ":")).encode()
    assert b" " not in header
    other = parse(document("argon2id", salt=base64.b64encode(b"t" * 16).decode()))
    assert other.verifier_for(KEY) != vault.verifier_for(KEY)
    assert vault.verifier_for(KEY) != vault.verifier_for(bytes(64))
    assert vault.verifier_for(KEY) != vault.mac_for(KEY)  # separate labels
    assert vault.aad("a") != vault.aad("b")
    assert vault.aad("a") != other.aad("a")


def test_the_file_is_indented_ascii_json_with_a_final_newline() -> None:
    vault = _vault.new_vault(PATH, "scrypt", PRODUCTION_POLICY)
    vault.encrypt(KEY, "token: café", "sécret")
    data = vault.serialise(KEY)
    data.decode("ascii")  # names and values are escaped
    lines = data.decode().split("\n")
    assert lines[0] == "{"
    assert lines[1].startswith('  "format": ')
    assert lines[-2:] == ["}", ""]
    assert parse(json.loads(data)).decrypt(KEY, "token: café") == "sécret"


def test_a_tampered_entry_message() -> None:
    doc = document("argon2id")
    nonce = base64.b64decode(doc["entries"]["token: default"]["nonce"])
    doc["entries"]["token: default"]["nonce"] = base64.b64encode(
        bytes([nonce[0] ^ 1]) + nonce[1:]
    ).decode()
    vault = parse(doc)
    with pytest.raises(VaultTamperedError) as caught:
        vault.decrypt(KEY, "token: default")
    assert str(caught.value) == (
        f"The entry 'token: default' of the secrets vault {PATH} failed authentication:"
        " it was modified, renamed or swapped outside this library."
    )
    assert vault.decrypt(KEY, "missing") is None


# -- the format as SECURITY.md writes it, computed here independently ------------------


def spec_frame(*parts: bytes) -> bytes:
    """SECURITY.md: each part prefixed by its 8-byte big-endian length."""
    return b"".join(struct.pack(">Q", len(part)) + part for part in parts)


def spec_header(vault: _vault.Vault) -> bytes:
    """Canonical JSON (sorted keys, no spaces, ASCII) of {format, version, kdf}."""
    header = {"format": "tiledb-client-vault", "version": 1, "kdf": vault.header["kdf"]}
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@pytest.mark.parametrize("kdf_name", ["argon2id", "scrypt"])
def test_a_vault_matches_the_documented_format(kdf_name: str) -> None:
    import hashlib
    import hmac as hmac_module
    import unicodedata

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    cheap = (
        {"memory_cost": 19456, "iterations": 2, "lanes": 1}
        if kdf_name == "argon2id"
        else {"n": 2**15, "r": 8, "p": 1}
    )
    policy = _vault.KdfPolicy(cheap, cheap, cheap, cheap, prefer_argon2id=True)
    vault = _vault.new_vault(PATH, kdf_name, policy)
    passphrase = "cafe\u0301 passphrase"  # NFC makes it "café passphrase"
    key = _vault.derive(vault.header["kdf"], passphrase)
    # K = KDF(NFC(passphrase) as UTF-8, salt) -> 64 bytes
    salt = base64.b64decode(vault.header["kdf"]["salt"])
    data = unicodedata.normalize("NFC", passphrase).encode()
    if kdf_name == "argon2id":
        expected_key = Argon2id(salt=salt, length=64, **_argon2_arguments(cheap)).derive(data)
    else:
        expected_key = Scrypt(salt=salt, length=64, **cheap).derive(data)
    assert key == expected_key
    k_enc, k_mac = key[:32], key[32:]
    vault.encrypt(key, "token: b", "second")
    vault.encrypt(key, "token: a", "first")
    document = json.loads(vault.serialise(key))
    header = spec_header(vault)
    # verifier = HMAC(K_mac, frame("verifier", header))
    verifier = hmac_module.new(k_mac, spec_frame(b"verifier", header), hashlib.sha256).digest()
    assert base64.b64decode(document["verifier"]) == verifier
    # entry: AESGCM(K_enc).encrypt(nonce, secret, aad = frame(header, name))
    for name, secret in (("token: a", "first"), ("token: b", "second")):
        entry = document["entries"][name]
        nonce = base64.b64decode(entry["nonce"])
        assert len(nonce) == 12
        plain = AESGCM(k_enc).decrypt(
            nonce, base64.b64decode(entry["ciphertext"]), spec_frame(header, name.encode())
        )
        assert plain.decode() == secret
    # mac = HMAC(K_mac, frame("entries", header, frame(name, nonce, ciphertext)...)), by name
    parts = [
        spec_frame(
            name.encode(),
            base64.b64decode(document["entries"][name]["nonce"]),
            base64.b64decode(document["entries"][name]["ciphertext"]),
        )
        for name in sorted(document["entries"])
    ]
    mac = hmac_module.new(k_mac, spec_frame(b"entries", header, *parts), hashlib.sha256).digest()
    assert base64.b64decode(document["mac"]) == mac


def _argon2_arguments(params: dict[str, int]) -> dict[str, int]:
    return {
        "memory_cost": params["memory_cost"],
        "iterations": params["iterations"],
        "lanes": params["lanes"],
    }


def test_base64_must_be_strict() -> None:
    doc = document("argon2id")
    nonce = doc["entries"]["token: default"]["nonce"]
    doc["entries"]["token: default"]["nonce"] = nonce[:4] + "!" + nonce[4:]
    with pytest.raises(VaultTamperedError) as caught:
        parse(doc)
    assert str(caught.value) == f"The secrets vault {PATH} is damaged or was modified (Error)."


def test_a_missing_member_names_the_kind_of_damage() -> None:
    doc = document("argon2id")
    del doc["verifier"]
    with pytest.raises(VaultTamperedError) as caught:
        parse(doc)
    assert str(caught.value) == f"The secrets vault {PATH} is damaged or was modified (KeyError)."
