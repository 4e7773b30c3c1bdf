"""The ``encrypted-file`` backend: one vault file unlocked by a passphrase.

The vault is JSON (the full format is in SECURITY.md)::

    {"format": "tiledb-client-vault", "version": 1,
     "kdf": {"name": "argon2id", "salt": "<b64>", "memory_cost": 65536,
             "iterations": 3, "lanes": 4},
     "verifier": "<b64>", "entries": {"<name>": {"nonce": "<b64>", "ciphertext": "<b64>"}},
     "mac": "<b64>"}

The header (``format``, ``version``, ``kdf``) is serialised canonically. The KDF
(Argon2id, else scrypt) turns the passphrase into 64 bytes: an AES-256-GCM key and a
MAC key. ``verifier`` is an HMAC-SHA256 of the header under the MAC key, so a wrong
passphrase is told apart from tampering. Each entry is encrypted on its own with a
fresh 12-byte nonce and associated data binding the header and the entry name;
``mac`` covers the header and every entry, so entries cannot be added, dropped or
swapped. Entry names are in clear: :meth:`EncryptedFileBackend.contains` needs no
passphrase. KDF parameters weaker than the minimum, or absurdly large, are refused.

Changes run read-modify-write under a sibling lock file, and replace the file
atomically (temporary file, fsync, ``os.replace``); the file is 0600, its directory
0700 when created here. A file that is not a vault is never overwritten.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hmac
import json
import os
import secrets
import tempfile
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import platformdirs
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tiledb.client.errors import SecretBackendError, VaultTamperedError, WrongPassphraseError
from tiledb.client.secrets import passphrase
from tiledb.client.secrets.base import Availability, SecretBackend

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SECRETS_FILE_ENV",
    "KdfPolicy",
    "PRODUCTION_POLICY",
    "EncryptedFileBackend",
    "argon2id_supported",
    "clear_key_cache",
    "vault_path",
]

SECRETS_FILE_ENV = "TILEDB_CLIENT_SECRETS_FILE"
FORMAT_NAME = "tiledb-client-vault"
FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 30.0
_PARAMS = {"argon2id": ("memory_cost", "iterations", "lanes"), "scrypt": ("n", "r", "p")}
# Upper bounds: a forged header must not make us allocate gigabytes or spin for minutes.
_MAXIMUM = {
    "argon2id": {"memory_cost": 2**20, "iterations": 16, "lanes": 16},  # 1 GiB
    "scrypt": {"n": 2**20, "r": 16, "p": 16},
}


@dataclass(frozen=True)
class KdfPolicy:
    """KDF costs for new vaults, and the least accepted when reading one.

    Attributes
    ----------
    argon2id, scrypt : Mapping[str, int]
        Parameters for a new vault, e.g. ``{"memory_cost": 65536, "iterations": 3,
        "lanes": 4}`` (memory in KiB) and ``{"n": 65536, "r": 8, "p": 1}``.
    argon2id_minimum, scrypt_minimum : Mapping[str, int]
        Each parameter of a vault being read must be at least this.
    prefer_argon2id : bool
        Use Argon2id for new vaults when this ``cryptography`` build has it.
    """

    argon2id: Mapping[str, int]
    argon2id_minimum: Mapping[str, int]
    scrypt: Mapping[str, int]
    scrypt_minimum: Mapping[str, int]
    prefer_argon2id: bool = True


PRODUCTION_POLICY = KdfPolicy(
    # RFC 9106 section 4, second recommended option (64 MiB, t=3, p=4): ~0.2-0.3 s here.
    argon2id={"memory_cost": 65536, "iterations": 3, "lanes": 4},
    # OWASP's Argon2id baseline (19 MiB, t=2, p=1): anything weaker is a downgrade.
    argon2id_minimum={"memory_cost": 19456, "iterations": 2, "lanes": 1},
    # 64 MiB like Argon2id, ~0.3 s here (OWASP's N=2**17 takes ~0.7 s on 2 cores).
    scrypt={"n": 2**16, "r": 8, "p": 1},
    scrypt_minimum={"n": 2**15, "r": 8, "p": 1},
)
# Private test hook: tests replace this with a cheap policy. Nothing else may.
_KDF_POLICY = PRODUCTION_POLICY

# Why a module-level cache: the KDF is slow and memory-hungry on purpose, and the design
# derives the key once per process even when several backend instances (the registry's,
# a CLI's, a test's) open the same vault. Keyed by vault path, header (salt and KDF
# parameters), passphrase source, and a keyed hash of the passphrase (random key per
# process; empty for a prompt, which is asked once): a changed salt, parameters, source
# or passphrase misses. It holds derived keys only, never a passphrase.
_key_cache: dict[tuple[str, bytes, str, bytes], bytes] = {}
_key_cache_lock = threading.Lock()
_FINGERPRINT_KEY = secrets.token_bytes(32)


def vault_path() -> Path:
    """Return the vault file in use.

    Returns
    -------
    pathlib.Path
        ``$TILEDB_CLIENT_SECRETS_FILE``, else the user data directory, e.g.
        ``Path("/home/ada/.local/share/tiledb-client/secrets.vault")``.
    """
    chosen = os.environ.get(SECRETS_FILE_ENV)
    if chosen:
        return Path(chosen).expanduser().absolute()
    return platformdirs.user_data_path("tiledb-client", appauthor=False) / "secrets.vault"


@functools.lru_cache(maxsize=1)
def argon2id_supported() -> bool:
    """Return whether this ``cryptography`` build derives Argon2id keys (44+ on OpenSSL 3.2+)."""
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=b"\0" * 16, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"x")
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


def clear_key_cache() -> None:
    """Forget every derived key; the next use derives (or prompts) again."""
    with _key_cache_lock:
        _key_cache.clear()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def _utf8(text: str) -> bytes:
    # surrogateescape: a non-UTF-8 passphrase from the environment is used as its bytes,
    # and never ends up quoted in a UnicodeEncodeError.
    return text.encode("utf-8", "surrogateescape")


def _frame(*parts: bytes) -> bytes:
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def _hmac(key: bytes, label: bytes, *parts: bytes) -> bytes:
    return hmac.new(key[32:], _frame(label, *parts), "sha256").digest()


@dataclass
class _Vault:
    path: Path
    header: dict[str, Any]
    verifier: bytes = b""
    entries: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    mac: bytes = b""

    @property
    def header_bytes(self) -> bytes:
        return _canonical(self.header)

    def mac_for(self, key: bytes) -> bytes:
        parts = [_frame(n.encode(), *self.entries[n]) for n in sorted(self.entries)]
        return _hmac(key, b"entries", self.header_bytes, *parts)

    def aad(self, name: str) -> bytes:
        return _frame(self.header_bytes, name.encode("utf-8"))


def _new_vault(path: Path) -> _Vault:
    policy = _KDF_POLICY
    name = "argon2id" if policy.prefer_argon2id and argon2id_supported() else "scrypt"
    params = policy.argon2id if name == "argon2id" else policy.scrypt
    kdf = {"name": name, "salt": _b64(secrets.token_bytes(16)), **params}
    return _Vault(path, {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kdf": kdf})


def _derive(kdf: Mapping[str, Any], secret: str) -> bytes:
    data = _utf8(unicodedata.normalize("NFC", secret))
    salt = base64.b64decode(kdf["salt"])
    if kdf["name"] == "scrypt":
        return Scrypt(salt=salt, length=64, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(data)
    if not argon2id_supported():
        raise SecretBackendError(
            "The secrets vault uses Argon2id, which this cryptography build lacks: install"
            " cryptography>=44 built with OpenSSL>=3.2 (the PyPI wheels are)."
        )
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


def _check_kdf(kdf: object, path: Path) -> None:
    """Refuse a KDF header that is malformed, weaker than the minimum, or absurd."""
    damaged = VaultTamperedError(f"The secrets vault {path} has a damaged KDF header.")
    if not isinstance(kdf, dict) or kdf.get("name") not in _PARAMS:
        raise damaged
    name: str = kdf["name"]
    if set(kdf) != {"name", "salt", *_PARAMS[name]}:
        raise damaged
    minimum: Mapping[str, int] = getattr(_KDF_POLICY, f"{name}_minimum")
    for param in _PARAMS[name]:
        value, low, high = kdf[param], minimum[param], _MAXIMUM[name][param]
        if type(value) is not int or not low <= value <= high:
            raise VaultTamperedError(
                f"The secrets vault {path} asks for {name} {param}={value!r}, outside the"
                f" accepted {low}..{high}: it was tampered with (a downgrade?) or damaged."
            )
    if not 16 <= len(_decode(kdf["salt"])) <= 64 or (
        name == "scrypt" and kdf["n"] & (kdf["n"] - 1)
    ):
        raise damaged


def _parse(path: Path, text: str) -> _Vault:
    problem: str | None = None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"it is not JSON ({exc})"
    else:
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            problem = f"it is not a {FORMAT_NAME} file"
        elif document.get("version") != FORMAT_VERSION:
            problem = f"it has format version {document.get('version')!r}; this library reads 1"
    if problem is not None:
        raise SecretBackendError(
            f"The secrets vault {path} cannot be used: {problem}. It was left untouched; move"
            f" it away or point {SECRETS_FILE_ENV} at another file."
        )
    try:
        _check_kdf(document["kdf"], path)
        entries = {
            name: (_decode(item["nonce"], 12), _decode(item["ciphertext"]))
            for name, item in document["entries"].items()
        }
        return _Vault(
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


def _read_vault(path: Path) -> _Vault | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        text = "\0"  # reported as "not JSON" by _parse, naming the file
    except OSError as exc:
        raise SecretBackendError(f"Cannot read the secrets vault {path}: {exc}") from exc
    return _parse(path, text)


def _write_vault(vault: _Vault, key: bytes) -> None:
    document = {
        **vault.header,
        "verifier": _b64(_hmac(key, b"verifier", vault.header_bytes)),
        "entries": {
            name: {"nonce": _b64(nonce), "ciphertext": _b64(data)}
            for name, (nonce, data) in sorted(vault.entries.items())
        },
        "mac": _b64(vault.mac_for(key)),
    }
    directory = vault.path.parent
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{vault.path.name}.", dir=directory)
    try:  # mkstemp creates the file 0600: it is never readable by others
        with os.fdopen(descriptor, "wb") as handle:
            handle.write((json.dumps(document, indent=2) + "\n").encode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp_name).replace(vault.path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temp_name).unlink()
        raise SecretBackendError(f"Cannot write the secrets vault {vault.path}: {exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp_name).unlink()
        raise
    if os.name == "posix":  # make the rename durable
        with contextlib.suppress(OSError):
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import filelock

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SecretBackendError(f"Cannot create the directory of {path}: {exc}") from exc
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        with filelock.FileLock(lock_path, timeout=LOCK_TIMEOUT_SECONDS, mode=0o600):
            yield
    except filelock.Timeout as exc:
        raise SecretBackendError(
            f"The secrets vault {path} is locked by another process ({lock_path});"
            f" waited {LOCK_TIMEOUT_SECONDS:.0f} s."
        ) from exc


def _unlock(vault: _Vault, *, new: bool = False) -> bytes:
    """Return the 64-byte key of ``vault`` (from the cache, else derived); check it."""
    source = passphrase.find_source()
    secret = None if source.interactive else source.read(vault=vault.path)
    fingerprint = b"" if secret is None else hmac.digest(_FINGERPRINT_KEY, _utf8(secret), "sha256")
    cache_id = (str(vault.path), vault.header_bytes, source.label, fingerprint)
    with _key_cache_lock:
        key = _key_cache.get(cache_id)
    derived = key is None
    if key is None:
        if secret is None:
            secret = source.read(vault=vault.path, confirm=new)
        key = _derive(vault.header["kdf"], secret)
    if not new and not hmac.compare_digest(
        _hmac(key, b"verifier", vault.header_bytes), vault.verifier
    ):
        if derived:
            raise WrongPassphraseError(
                f"The passphrase from {source.label} does not unlock the secrets vault"
                f" {vault.path} (or the vault's header was changed)."
            )
        raise VaultTamperedError(f"The verifier of the secrets vault {vault.path} was changed.")
    if not new and not hmac.compare_digest(vault.mac_for(key), vault.mac):
        raise VaultTamperedError(
            f"The secrets vault {vault.path} was modified outside this library: its entries"
            " do not match their MAC. Restore it from a backup, or delete it and store again."
        )
    with _key_cache_lock:
        _key_cache[cache_id] = key
    return key


class EncryptedFileBackend(SecretBackend):
    """Secrets in one AES-256-GCM vault file, unlocked by a passphrase.

    Settings are read at call time: ``$TILEDB_CLIENT_SECRETS_FILE`` (see
    :func:`vault_path`) and the passphrase sources of
    :mod:`tiledb.client.secrets.passphrase`.

    Examples
    --------
    >>> import os
    >>> os.environ["TILEDB_CLIENT_PASSPHRASE"] = "correct horse battery staple"
    >>> backend = EncryptedFileBackend()
    >>> backend.set("token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]", "a-ws_1-b")
    """

    name: ClassVar[str] = "encrypted-file"
    description: ClassVar[str] = "an encrypted file (AES-256-GCM, passphrase via Argon2id/scrypt)"

    def probe(self) -> Availability:
        """Report whether a passphrase source is configured and the vault is readable."""
        source = passphrase.configured_source()
        if source is None:
            return Availability(False, passphrase.NO_SOURCE_HINT)
        path, vault = vault_path(), None
        try:
            problem = source.check()
            vault = _read_vault(path) if problem is None else None
        except SecretBackendError as exc:
            problem = str(exc)
        except Exception as exc:  # a probe never raises
            problem = f"cannot inspect the secrets vault {path}: {exc!r}"
        kdf_name = vault.header["kdf"]["name"] if vault is not None else None
        if problem is None and kdf_name == "argon2id" and not argon2id_supported():
            problem = f"the secrets vault {path} uses Argon2id, which this build lacks"
        if problem is not None:
            return Availability(False, problem)
        state = "vault" if vault is not None else "new vault"
        return Availability(True, f"{state} {path}, passphrase from {source.label}")

    def get(self, key: str) -> str | None:
        """Return the secret under ``key``; ``None`` without a vault or an entry."""
        vault = _read_vault(vault_path())
        if vault is None:
            return None
        aes_key = _unlock(vault)  # also checks the MAC, so a dropped entry is noticed
        entry = vault.entries.get(key)
        if entry is None:
            return None
        try:
            plain = AESGCM(aes_key[:32]).decrypt(entry[0], entry[1], vault.aad(key))
        except InvalidTag:
            raise VaultTamperedError(
                f"The entry {key!r} of the secrets vault {vault.path} failed authentication:"
                " it was modified, renamed or swapped outside this library."
            ) from None
        return plain.decode("utf-8")

    def set(self, key: str, secret: str) -> None:
        """Store ``secret`` under ``key``; an empty secret raises ``ValueError``."""
        if not isinstance(secret, str) or not secret:
            raise ValueError("refusing to store an empty secret")
        self._change(key, secret)

    def delete(self, key: str) -> bool:
        """Delete the entry ``key``; return whether there was one."""
        vault = _read_vault(vault_path())
        if vault is None or key not in vault.entries:
            return False
        return self._change(key, None)

    def contains(self, key: str) -> bool:
        """Return whether ``key`` has an entry; needs no passphrase (names are in clear)."""
        vault = _read_vault(vault_path())
        return vault is not None and key in vault.entries

    def _change(self, key: str, secret: str | None) -> bool:
        if not isinstance(key, str) or not key:
            raise ValueError("the key must be a non-empty string")
        path = vault_path()
        # Unlock before taking the lock: a prompt must never hold other processes up.
        seen = _read_vault(path) or _new_vault(path)
        _unlock(seen, new=not seen.verifier)
        with _locked(path):
            vault = _read_vault(path)
            if vault is None:
                vault = seen if not seen.verifier else _new_vault(path)
            aes_key = _unlock(vault, new=not vault.verifier)  # a cache hit, normally
            if secret is None:
                if vault.entries.pop(key, None) is None:
                    return False
            else:
                nonce = secrets.token_bytes(12)
                data = AESGCM(aes_key[:32]).encrypt(nonce, secret.encode("utf-8"), vault.aad(key))
                vault.entries[key] = (nonce, data)
            _write_vault(vault, aes_key)
        return True
