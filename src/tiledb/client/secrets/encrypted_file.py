"""The ``encrypted-file`` backend: one vault file unlocked by a passphrase.

This module finds the file, derives its key once per process, and changes it under a
lock file, atomically; the format is in ``_vault`` (SECURITY.md, "The encrypted-file
backend"). A file that is not a vault is never overwritten.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tiledb.client.basics.files import (
    LockBusyError,
    hold_lock,
    make_private_directories,
    replace_atomically,
)
from tiledb.client.basics.logs import get_logger
from tiledb.client.errors import SecretBackendError, VaultTamperedError, WrongPassphraseError
from tiledb.client.secrets import unlock_agent
from tiledb.client.secrets.base import Availability, SecretBackend, recorded_location

if TYPE_CHECKING:  # a login through the unlock agent loads neither (docs/performance.md)
    from pathlib import Path

    from tiledb.client.secrets import _vault
    from tiledb.client.secrets._vault import KdfPolicy
    from tiledb.client.secrets.passphrase import PassphraseSource

__all__ = [
    "SECRETS_FILE_ENV",
    "EncryptedFileBackend",
    "argon2id_supported",
    "clear_key_cache",
    "agent_holds",
    "key_of",
    "vault_path",
]

logger = get_logger(__name__)

SECRETS_FILE_ENV = "TILEDB_CLIENT_SECRETS_FILE"
LOCK_TIMEOUT_SECONDS = 30.0

# Module-level: the slow KDF runs once per process, whichever backend instance opens the
# vault. Keyed by path, header, passphrase source and a keyed hash of the passphrase (empty
# for a prompt), so any change misses. It holds derived keys only, never a passphrase.
_key_cache: dict[tuple[str, bytes, str, bytes], bytes] = {}
_key_cache_lock = threading.Lock()
_FINGERPRINT_KEY = os.urandom(32)  # what secrets.token_bytes returns; without random


def __getattr__(name: str) -> Any:
    """The format's names, re-exported without loading the format at import."""
    if name in ("FORMAT_NAME", "FORMAT_VERSION", "PRODUCTION_POLICY", "KdfPolicy"):
        from tiledb.client.secrets import _vault

        return getattr(_vault, name)
    raise AttributeError(name)


def _chosen_file(key: str) -> str:
    """The vault file named by the variable or ``key``'s profile, absolute; ``""``: neither."""
    chosen = os.environ.get(SECRETS_FILE_ENV) or (recorded_location(key).get("file") if key else "")
    return os.path.abspath(os.path.expanduser(chosen)) if chosen else ""  # noqa: PTH100,PTH111 - no pathlib at login


def vault_path(key: str = "") -> Path:
    """The vault in use: ``$TILEDB_CLIENT_SECRETS_FILE``, else the one ``key``'s profile records.

    Else ``<user data>/tiledb-client/secrets.vault``.
    """
    from pathlib import Path

    chosen = _chosen_file(key)
    if chosen:
        return Path(chosen)
    import platformdirs  # with tempfile, shutil and random: only without the variable

    return platformdirs.user_data_path("tiledb-client", appauthor=False) / "secrets.vault"


def agent_holds(path: str) -> bool:
    """Whether a running unlock agent holds the vault ``path`` unlocked."""
    try:
        answer = unlock_agent.call({"op": "status"})
    except SecretBackendError:
        return False
    return any(item.get("vault") == path for item in (answer or {}).get("unlocked", ()))


def _through_agent(key: str, **request: str) -> dict[str, Any] | None:
    """The agent's answer about ``key``'s vault, or ``None`` when no agent holds that vault."""
    path = _chosen_file(key) or str(vault_path(key))
    answer = unlock_agent.call({**request, "vault": path, "name": key})
    return answer if answer is not None and answer.get("held") else None


@functools.lru_cache(maxsize=1)
def argon2id_supported() -> bool:
    """Return whether this ``cryptography`` build derives Argon2id keys (44+ on OpenSSL 3.2+)."""
    from cryptography.exceptions import UnsupportedAlgorithm

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


def _new_vault(path: Path, policy: KdfPolicy) -> _vault.Vault:
    from tiledb.client.secrets import _vault

    name = "argon2id" if policy.prefer_argon2id and argon2id_supported() else "scrypt"
    return _vault.new_vault(path, name, policy)


def _derive(kdf: Mapping[str, Any], secret: str) -> bytes:
    """Derive a vault's key; refuse Argon2id where this build lacks it."""
    if kdf["name"] != "scrypt" and not argon2id_supported():
        raise SecretBackendError(
            "The secrets vault uses Argon2id, which this cryptography build lacks: install"
            " cryptography>=44 built with OpenSSL>=3.2 (the PyPI wheels are)."
        )
    from tiledb.client.secrets import _vault

    return _vault.derive(kdf, secret)


def _parse(path: Path, text: str, policy: KdfPolicy) -> _vault.Vault:
    """Parse a vault file under a KDF policy; never overwrite a non-vault."""
    from tiledb.client.secrets import _vault

    try:
        return _vault.parse(path, text, policy)
    except _vault.NotAVaultError as exc:
        problem = str(exc)
    raise SecretBackendError(
        f"The secrets vault {path} cannot be used: {problem}. It was left untouched; move"
        f" it away or point {SECRETS_FILE_ENV} at another file."
    )


def _read_vault(path: Path, policy: KdfPolicy) -> _vault.Vault | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        text = "\0"  # reported as "not JSON" by _parse, naming the file
    except OSError as exc:
        raise SecretBackendError(f"Cannot read the secrets vault {path}: {exc}") from exc
    return _parse(path, text, policy)


def _write_vault(vault: _vault.Vault, key: bytes) -> None:
    try:
        replace_atomically(vault.path, vault.serialise(key))
    except OSError as exc:
        raise SecretBackendError(f"Cannot write the secrets vault {vault.path}: {exc}") from exc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        make_private_directories(path.parent)
    except OSError as exc:
        raise SecretBackendError(f"Cannot create the directory of {path}: {exc}") from exc
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        with hold_lock(lock_path, timeout=LOCK_TIMEOUT_SECONDS):
            yield
    except LockBusyError as exc:
        raise SecretBackendError(
            f"The secrets vault {path} is locked by another process ({lock_path});"
            f" waited {LOCK_TIMEOUT_SECONDS:.0f} s."
        ) from exc
    except OSError as exc:
        link = " It is a symbolic link: remove it." if lock_path.is_symlink() else ""
        raise SecretBackendError(
            f"Cannot lock the secrets vault {path}: the lock file {lock_path} cannot be"
            f" opened ({exc.strerror or type(exc).__name__}).{link}"
        ) from exc


def _unlock(
    vault: _vault.Vault, *, new: bool = False, source: PassphraseSource | None = None
) -> bytes:
    """Return the 64-byte key of ``vault`` (from the cache, else derived); check it.

    ``source``: where the passphrase comes from (default: the first configured one).
    """
    import hmac

    from tiledb.client.secrets import _vault, passphrase

    source = source or passphrase.find_source()
    secret = None if source.interactive else source.read(vault=vault.path)
    fingerprint = b""
    if secret is not None:
        fingerprint = hmac.digest(_FINGERPRINT_KEY, _vault.utf8(secret), "sha256")
    cache_id = (str(vault.path), vault.header_bytes, source.label, fingerprint)
    with _key_cache_lock:
        key = _key_cache.get(cache_id, b"")
    derived = not key
    tries = passphrase.PROMPT_TRIES if derived and source.interactive and not new else 1
    for attempt in range(tries):  # a person at the prompt gets three tries, as with sudo
        if derived:
            typed = secret if secret is not None else source.read(vault=vault.path, confirm=new)
            key = _derive(vault.header["kdf"], typed)
        if new or hmac.compare_digest(vault.verifier_for(key), vault.verifier):
            break
        if attempt < tries - 1:
            sys.stderr.write("That passphrase does not unlock the vault; try again.\n")
    if not new and not hmac.compare_digest(vault.verifier_for(key), vault.verifier):
        if derived:
            raise WrongPassphraseError(
                f"The passphrase from {source.label} does not unlock the secrets vault"
                f" {vault.path} (or the vault's header was changed).",
                hint=source.wrong_passphrase_hint(),
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


def key_of(path: Path, source: PassphraseSource | None = None) -> bytes:
    """Return the checked key of the vault ``path`` (for the unlock agent); it must exist."""
    from tiledb.client.secrets._vault import PRODUCTION_POLICY

    vault = _read_vault(path, PRODUCTION_POLICY)
    if vault is None:
        raise SecretBackendError(
            f"There is no secrets vault at {path} to unlock.",
            hint=f"Store a secret first (tiledb-client configure), or point {SECRETS_FILE_ENV}"
            " at the vault.",
        )
    return _unlock(vault, source=source)


class EncryptedFileBackend(SecretBackend):
    """Secrets in one AES-256-GCM vault file (:func:`vault_path`), unlocked by a passphrase.

    ``kdf_policy``: the KDF costs of a new vault, and the least accepted when reading
    one; lower it only for tests.
    """

    name: ClassVar[str] = "encrypted-file"
    description: ClassVar[str] = "an encrypted file (AES-256-GCM, passphrase via Argon2id/scrypt)"

    def __init__(self, *, kdf_policy: KdfPolicy | None = None) -> None:
        self._policy = kdf_policy

    @property
    def kdf_policy(self) -> KdfPolicy:
        """The KDF policy in force (loaded on first use: a login by the agent needs none)."""
        if self._policy is None:
            from tiledb.client.secrets._vault import PRODUCTION_POLICY

            self._policy = PRODUCTION_POLICY
        return self._policy

    def probe(self) -> Availability:
        """Report whether a passphrase source is configured (a terminal prompt: interactively)."""
        from tiledb.client.secrets import passphrase

        source = passphrase.configured_source()
        if source is None and agent_holds(str(vault_path())):
            return Availability(True, f"vault {vault_path()}, unlocked in the unlock agent")
        if source is None:
            if not passphrase.terminal_prompt_possible():
                return Availability(False, passphrase.NO_SOURCE_HINT)
            source = passphrase.PROMPT_SOURCE
        path, vault = vault_path(), None
        try:
            problem = source.check()
            vault = _read_vault(path, self.kdf_policy) if problem is None else None
        except SecretBackendError as exc:
            problem = str(exc)
        except Exception as exc:  # a probe never raises; a bug is still worth a traceback
            logger.debug("probe of the secrets vault %s failed", path, exc_info=True)
            problem = f"cannot inspect the secrets vault {path}: {type(exc).__name__}"
        kdf_name = vault.header["kdf"]["name"] if vault is not None else None
        if problem is None and kdf_name == "argon2id" and not argon2id_supported():
            problem = f"the secrets vault {path} uses Argon2id, which this build lacks"
        if problem is not None:
            return Availability(False, problem)
        state = "vault" if vault is not None else "new vault"
        reason = f"{state} {path}, passphrase from {source.label}"
        return Availability(True, reason, interactive=source.interactive)

    def location(self, key: str = "") -> str:
        """``file=<the vault file>``: where the profile's secret is found again."""
        return f"file={vault_path(key)}"

    def get(self, key: str) -> str | None:
        """Return the secret under ``key``; ``None`` without a vault or an entry."""
        answer = _through_agent(key, op="get")
        if answer is not None:
            return answer.get("secret")
        path = vault_path(key)
        vault = _read_vault(path, self.kdf_policy)
        if vault is None and not os.environ.get(SECRETS_FILE_ENV) and recorded_location(key):
            raise SecretBackendError(
                f"The vault {path} that holds this profile's secrets (recorded by configure)"
                " does not exist.",
                hint=f"If it moved, point {SECRETS_FILE_ENV} at it; if it is lost, store the"
                " secret again (tiledb-client configure --overwrite).",
            )
        if vault is None:
            return None
        aes_key = _unlock(vault)  # also checks the MAC, so a dropped entry is noticed
        return vault.decrypt(aes_key, key)

    def set(self, key: str, secret: str) -> None:
        """Store ``secret`` under ``key``; an empty secret raises ``ValueError``."""
        if not isinstance(secret, str) or not secret:
            raise ValueError("refusing to store an empty secret")
        self._change(key, secret)

    def delete(self, key: str) -> bool:
        """Delete the entry ``key``; return whether there was one."""
        vault = _read_vault(vault_path(key), self.kdf_policy)
        if vault is None or key not in vault.entries:
            return False
        return self._change(key, None)

    def contains(self, key: str) -> bool:
        """Return whether ``key`` has an entry; needs no passphrase (names are in clear)."""
        vault = _read_vault(vault_path(key), self.kdf_policy)
        return vault is not None and key in vault.entries

    def keys(self) -> list[str]:
        """Return the name of every entry, sorted; needs no passphrase (names are in clear)."""
        vault = _read_vault(vault_path(), self.kdf_policy)
        return sorted(vault.entries) if vault is not None else []

    def contains_many(self, keys: Collection[str]) -> frozenset[str]:
        """Return those of ``keys`` that have an entry: one read per vault, no passphrase."""
        by_path: dict[Path, list[str]] = {}
        for key in keys:
            by_path.setdefault(vault_path(key), []).append(key)
        found: set[str] = set()
        for path, wanted in by_path.items():
            vault = _read_vault(path, self.kdf_policy)
            found.update(key for key in wanted if vault is not None and key in vault.entries)
        return frozenset(found)

    def _change(self, key: str, secret: str | None) -> bool:
        if not isinstance(key, str) or not key:
            raise ValueError("the key must be a non-empty string")
        extra = {"op": "delete"} if secret is None else {"op": "set", "secret": secret}
        answer = _through_agent(key, **extra)  # while it holds the vault, only it writes
        if answer is not None:
            return bool(answer["changed"])
        path = vault_path(key)
        # Unlock before taking the lock: a prompt must never hold other processes up.
        seen = _read_vault(path, self.kdf_policy) or _new_vault(path, self.kdf_policy)
        _unlock(seen, new=not seen.verifier)
        with _locked(path):
            vault = _read_vault(path, self.kdf_policy)
            if vault is None:
                vault = seen if not seen.verifier else _new_vault(path, self.kdf_policy)
            aes_key = _unlock(vault, new=not vault.verifier)  # a cache hit, normally
            if secret is None:
                if vault.entries.pop(key, None) is None:
                    return False
            else:
                vault.encrypt(aes_key, key, secret)
            _write_vault(vault, aes_key)
        return True
