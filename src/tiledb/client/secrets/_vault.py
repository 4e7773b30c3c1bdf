"""The format of the encrypted secrets vault: pure functions, no files, no caches.

JSON, AES-256-GCM entries under a key derived by Argon2id (else scrypt), a verifier and a
MAC over the header and every entry: SECURITY.md, "File format (version 1)". Files,
the key cache and locking are in ``encrypted_file``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tiledb.client.basics.files import NotJsonError, parse_json
from tiledb.client.errors import VaultTamperedError

FORMAT_NAME = "tiledb-client-vault"
FORMAT_VERSION = 1
_PARAMS = {"argon2id": ("memory_cost", "iterations", "lanes"), "scrypt": ("n", "r", "p")}
# Upper bounds: a forged header must not make us allocate gigabytes or spin for minutes.
_MAXIMUM = {
    "argon2id": {"memory_cost": 2**20, "iterations": 16, "lanes": 16},  # 1 GiB
    "scrypt": {"n": 2**20, "r": 16, "p": 16},
}
# Together at most 16 times a new vault's work (SECURITY.md, "KDF parameters").
_MAXIMUM_WORK = {"argon2id": 16 * 65536 * 3, "scrypt": 16 * 2**16 * 8}


def _work(kdf: Mapping[str, Any]) -> int:
    if kdf["name"] == "scrypt":
        return int(kdf["n"]) * int(kdf["r"]) * int(kdf["p"])
    return int(kdf["memory_cost"]) * int(kdf["iterations"])


@dataclass(frozen=True)
class KdfPolicy:
    """KDF parameters of a new vault (Argon2id memory in KiB), and the least accepted one."""

    argon2id: Mapping[str, int]
    argon2id_minimum: Mapping[str, int]
    scrypt: Mapping[str, int]
    scrypt_minimum: Mapping[str, int]
    prefer_argon2id: bool = True


PRODUCTION_POLICY = KdfPolicy(
    # Sources and timings: SECURITY.md, "KDF parameters".
    argon2id={"memory_cost": 65536, "iterations": 3, "lanes": 4},
    argon2id_minimum={"memory_cost": 19456, "iterations": 2, "lanes": 1},
    scrypt={"n": 2**16, "r": 8, "p": 1},
    scrypt_minimum={"n": 2**15, "r": 8, "p": 1},
)


class NotAVaultError(Exception):
    """The text is not a vault this library reads; the message says why."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def utf8(text: str) -> bytes:
    """Encode a passphrase as UTF-8; a non-UTF-8 one from the environment as its bytes.

    (``surrogateescape``: never quoted in a ``UnicodeEncodeError``.)
    """
    return text.encode("utf-8", "surrogateescape")


def _frame(*parts: bytes) -> bytes:
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def _hmac(key: bytes, label: bytes, *parts: bytes) -> bytes:
    return hmac.new(key[32:], _frame(label, *parts), "sha256").digest()


@dataclass
class Vault:
    """One vault in memory; ``entries`` maps names to ``(nonce, ciphertext)``.

    ``verifier``, ``entries`` and ``mac`` are empty for a vault never written.
    """

    path: Path
    header: dict[str, Any]
    verifier: bytes = b""
    entries: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    mac: bytes = b""

    @property
    def header_bytes(self) -> bytes:
        """The canonical serialisation of :attr:`header`, authenticated everywhere."""
        return _canonical(self.header)

    def verifier_for(self, key: bytes) -> bytes:
        """Return the verifier that ``key`` (64 bytes) gives this header."""
        return _hmac(key, b"verifier", self.header_bytes)

    def mac_for(self, key: bytes) -> bytes:
        """Return the MAC that ``key`` (64 bytes) gives the header and every entry."""
        parts = [_frame(n.encode(), *self.entries[n]) for n in sorted(self.entries)]
        return _hmac(key, b"entries", self.header_bytes, *parts)

    def aad(self, name: str) -> bytes:
        """Return the associated data of entry ``name``: the header and the name."""
        return _frame(self.header_bytes, name.encode("utf-8"))

    def encrypt(self, key: bytes, name: str, secret: str) -> None:
        """Store ``secret`` as entry ``name``, under a fresh nonce."""
        nonce = os.urandom(12)  # as secrets.token_bytes(12), without importing random
        data = AESGCM(key[:32]).encrypt(nonce, secret.encode("utf-8"), self.aad(name))
        self.entries[name] = (nonce, data)

    def decrypt(self, key: bytes, name: str) -> str | None:
        """Return entry ``name`` decrypted, or ``None``; VaultTamperedError if it fails its tag."""
        entry = self.entries.get(name)
        if entry is None:
            return None
        try:
            plain = AESGCM(key[:32]).decrypt(entry[0], entry[1], self.aad(name))
        except InvalidTag:
            raise VaultTamperedError(
                f"The entry {name!r} of the secrets vault {self.path} failed authentication:"
                " it was modified, renamed or swapped outside this library."
            ) from None
        return plain.decode("utf-8")

    def serialise(self, key: bytes) -> bytes:
        """Return the file contents: indented JSON with a fresh verifier and MAC."""
        document = {
            **self.header,
            "verifier": _b64(self.verifier_for(key)),
            "entries": {
                name: {"nonce": _b64(nonce), "ciphertext": _b64(data)}
                for name, (nonce, data) in sorted(self.entries.items())
            },
            "mac": _b64(self.mac_for(key)),
        }
        return (json.dumps(document, indent=2) + "\n").encode("ascii")


def new_vault(path: Path, kdf_name: str, policy: KdfPolicy) -> Vault:
    """Return an empty vault for ``path`` with a fresh salt and ``policy``'s parameters."""
    params: Mapping[str, int] = getattr(policy, kdf_name)
    kdf = {"name": kdf_name, "salt": _b64(os.urandom(16)), **params}
    return Vault(path, {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kdf": kdf})


def derive(kdf: Mapping[str, Any], secret: str) -> bytes:
    """Derive the 64-byte key (AES key, then MAC key) from the NFC-normalised passphrase.

    ``kdf`` is a checked header; for Argon2id the caller checks that this build has it.
    """
    data = utf8(unicodedata.normalize("NFC", secret))
    salt = base64.b64decode(kdf["salt"])
    if kdf["name"] == "scrypt":
        return Scrypt(salt=salt, length=64, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(data)
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=salt,
        length=64,
        iterations=kdf["iterations"],
        lanes=kdf["lanes"],
        memory_cost=kdf["memory_cost"],
    ).derive(data)


def _decode(value: object, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise TypeError("not a string")
    data = base64.b64decode(value, validate=True)
    if size is not None and len(data) != size:
        raise ValueError("wrong length")
    return data


def _check_kdf(kdf: object, path: Path, policy: KdfPolicy) -> None:
    """Refuse a KDF header that is malformed, weaker than the minimum, or absurd."""
    damaged = VaultTamperedError(f"The secrets vault {path} has a damaged KDF header.")
    if not isinstance(kdf, dict) or kdf.get("name") not in _PARAMS:
        raise damaged
    name: str = kdf["name"]
    if set(kdf) != {"name", "salt", *_PARAMS[name]}:
        raise damaged
    minimum: Mapping[str, int] = getattr(policy, f"{name}_minimum")
    for param in _PARAMS[name]:
        value, low, high = kdf[param], minimum[param], _MAXIMUM[name][param]
        if type(value) is not int or not low <= value <= high:
            raise VaultTamperedError(
                f"The secrets vault {path} asks for {name} {param}={value!r}, outside the"
                f" accepted {low}..{high}: it was tampered with (a downgrade?) or damaged."
            )
    if _work(kdf) > _MAXIMUM_WORK[name]:
        raise VaultTamperedError(
            f"The secrets vault {path} asks for {name} KDF parameters that together cost more than"
            " 16 times a new vault's: it was tampered with (a memory or time bomb?) or damaged."
        )
    impossible = (
        kdf["n"] & (kdf["n"] - 1)  # scrypt: n a power of two
        if name == "scrypt"
        else kdf["memory_cost"] < 8 * kdf["lanes"]  # Argon2id: 8 KiB per lane at least
    )
    if impossible or not 16 <= len(_decode(kdf["salt"])) <= 64:
        raise damaged


def parse(path: Path, text: str, policy: KdfPolicy) -> Vault:
    """Parse and check ``text``, read from the vault file ``path``.

    Raises NotAVaultError when it is not JSON, not a vault, or another format version;
    VaultTamperedError when it is damaged, modified or below ``policy``'s minimums.
    """
    try:
        document = parse_json(text)
    except NotJsonError as exc:
        raise NotAVaultError(str(exc)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise NotAVaultError(f"it is not a {FORMAT_NAME} file")
    if document.get("version") != FORMAT_VERSION:
        version = document.get("version")
        raise NotAVaultError(f"it has format version {version!r}; this library reads 1")
    try:
        _check_kdf(document["kdf"], path, policy)
        entries = {
            name: (_decode(item["nonce"], 12), _decode(item["ciphertext"]))
            for name, item in document["entries"].items()
        }
        return Vault(
            path,
            {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kdf": document["kdf"]},
            _decode(document["verifier"], 32),
            entries,
            _decode(document["mac"], 32),
        )
    except (KeyError, TypeError, AttributeError, ValueError, binascii.Error) as exc:
        raise VaultTamperedError(
            f"The secrets vault {path} is damaged or was modified ({type(exc).__name__})."
        ) from None
