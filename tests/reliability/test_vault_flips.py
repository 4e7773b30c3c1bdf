"""Every byte of a vault flipped: no read ever returns a wrong secret.

A vault with three entries (a token, a password, a long session token) is written by the
real backend; then each byte in turn is XORed with 0x01 and, separately, with 0x80, and
every entry is read back through the backend, once with no derived key cached (the KDF
runs on the damaged header) and once with the key of the intact vault cached. Each read
must give the right secret or a documented error (:class:`SecretBackendError` and its
subclasses), and no error message may quote a secret or the passphrase.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tests.backends import CHEAP_POLICY, VAULT_PASSPHRASE
from tests.reliability.conftest import Figures
from tiledb.client.errors import SecretBackendError
from tiledb.client.secrets import encrypted_file

SECRETS = {
    "token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]": "tdb-token-ws_0123-secret",
    "password: lab @ /home/ada/.tiledb/profiles.json [77c0d4aa]": "correct horse battery",
    "session: lab @ /home/ada/.tiledb/profiles.json [77c0d4aa]": "s" * 40 + "-session-tail",
}
MASKS = (0x01, 0x80)


@pytest.mark.timeout(300)
def test_every_byte_flipped_gives_no_wrong_secret(vault: Path, figures: Figures) -> None:
    backend = encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY)
    for key, secret in SECRETS.items():
        backend.set(key, secret)
    original = vault.read_bytes()
    outcomes: Counter[str] = Counter()
    wrong: list[str] = []
    started = time.monotonic()
    for position in range(len(original)):
        for mask in MASKS:
            damaged = bytearray(original)
            damaged[position] ^= mask
            for cached in (False, True):
                encrypted_file.clear_key_cache()
                if cached:
                    vault.write_bytes(original)
                    backend.get(next(iter(SECRETS)))  # derives and caches the intact key
                vault.write_bytes(bytes(damaged))
                for key, secret in SECRETS.items():
                    try:
                        got = backend.get(key)
                    except SecretBackendError as exc:
                        outcomes[type(exc).__name__] += 1
                        message = f"{exc} {exc!r}"
                        for value in (*SECRETS.values(), VAULT_PASSPHRASE):
                            assert value not in message, f"byte {position}: a secret in {exc!r}"
                        continue
                    if got == secret:
                        outcomes["right secret"] += 1
                    else:
                        wrong.append(f"byte {position} ^ {mask:#04x}: {key} -> {got!r}")
    elapsed = time.monotonic() - started
    assert wrong == []
    flips = len(original) * len(MASKS)
    reads = sum(outcomes.values())
    figures.record(
        "vault byte flips",
        f"{flips} flips ({len(original)} bytes x {len(MASKS)} masks), {reads} reads (cold and"
        f" warm key) in {elapsed:.0f} s: 0 wrong secrets; {dict(sorted(outcomes.items()))}",
    )
