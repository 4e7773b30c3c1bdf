"""Store secrets longer than one keyring entry can hold, split over several entries.

Windows Credential Manager holds at most ``CRED_MAX_CREDENTIAL_BLOB_SIZE`` = 2560
bytes per credential, and keyring stores the password as UTF-16-LE, so about 1280
characters; a longer one fails with ``(1783, 'CredWrite', 'The stub received bad
data.')``. Only there is a secret split (the keyring backend decides); elsewhere it is
stored whole, so that keyring's own tools read it, and only a value that starts with
:data:`MARKER` is split anyway (so such a value is always a manifest).

Layout of a long secret under ``key``:

- ``key`` holds a manifest, e.g.
  ``"tiledb-client chunked secret: v1 slot=a chunks=3 sha256=9f86d0..."``;
- ``key + " #a1"``, ``key + " #a2"``, ... hold the pieces (slot ``a`` or ``b``).

A secret is stored whole when its UTF-16-LE size is at most :data:`CHUNK_BYTES`
(512 bytes below the Windows limit, room for a byte-order mark or a wrapper)
and it does not itself start with :data:`MARKER`; so a value that starts with
the marker is always a manifest.

Replacing is atomic: the new pieces go to the slot the current manifest does not
use, the manifest is written last, and only then are the old pieces removed. A
crash leaves the old secret readable (at worst with unreferenced pieces, which
the next long write to that slot or a delete removes). Reading checks the
SHA-256 of the reassembled secret, so mixed pieces never pass as a secret.
"""

from __future__ import annotations

import re
from typing import Protocol

from tiledb.client.errors import SecretBackendError

__all__ = [
    "CHUNK_BYTES",
    "MARKER",
    "MAX_CHUNKS",
    "EntryStore",
    "check_size",
    "delete_secret",
    "read_secret",
    "secret_key_of",
    "split",
    "write_secret",
]

MARKER = "tiledb-client chunked secret:"
CHUNK_BYTES = 2048
"""Largest UTF-16-LE size, in bytes, of one stored entry (Windows allows 2560)."""
MAX_CHUNKS = 64
"""At most this many pieces: secrets up to 128 KiB of UTF-16-LE, 64 Ki characters."""

_SLOTS = ("a", "b")
_MANIFEST = re.compile(
    re.escape(MARKER)
    + r" v1 slot=(?P<slot>[ab]) chunks=(?P<count>\d{1,3}) sha256=(?P<digest>[0-9a-f]{64})"
)


class EntryStore(Protocol):
    """One flat namespace of string entries (a keyring service, say)."""

    def get(self, name: str) -> str | None:
        """Return the entry ``name``, or ``None``."""

    def set(self, name: str, value: str) -> None:
        """Create or replace the entry ``name``."""

    def delete(self, name: str) -> bool:
        """Delete the entry ``name``; return whether it existed."""


class _Manifest:
    """Where the pieces of a long secret are (a plain class: a dataclass costs ~1 ms)."""

    __slots__ = ("count", "digest", "slot")

    def __init__(self, slot: str, count: int, digest: str) -> None:
        self.slot, self.count, self.digest = slot, count, digest

    def render(self) -> str:
        return f"{MARKER} v1 slot={self.slot} chunks={self.count} sha256={self.digest}"


def _utf16_size(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass"))


def _digest(secret: str) -> str:
    import hashlib  # not at import: only long (split) secrets need it

    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _chunk_name(key: str, slot: str, index: int) -> str:
    return f"{key} #{slot}{index}"


_PIECE_NAME = re.compile(r"(?P<key>.+) #[ab][1-9][0-9]{0,2}")


def secret_key_of(name: str) -> str:
    """Return the key of the secret that the entry ``name`` belongs to.

    Examples
    --------
    >>> secret_key_of("token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e] #a2")
    'token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]'
    >>> secret_key_of("token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]")
    'token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]'
    """
    match = _PIECE_NAME.fullmatch(name)
    return match["key"] if match else name


def _damaged(key: str, what: str) -> SecretBackendError:
    return SecretBackendError(
        f"The OS keyring entry {key!r} is damaged: {what}. Store the secret again"
        " (for example by logging in again), or delete the profile's secret."
    )


def check_size(secret: str) -> None:
    """Raise ``ValueError`` when ``secret`` is too long to store, even split.

    Parameters
    ----------
    secret : str
        e.g. a 5000-character session token (fine), or 100 000 characters (too long).
    """
    limit = MAX_CHUNKS * CHUNK_BYTES
    if _utf16_size(secret) > limit:
        raise ValueError(
            f"The secret is too long for the OS keyring: {len(secret)} characters;"
            f" at most {limit} bytes of UTF-16 (about {limit // 2} characters) can be stored."
        )


def split(secret: str) -> list[str]:
    """Cut ``secret`` into pieces of at most :data:`CHUNK_BYTES` bytes of UTF-16-LE.

    Pieces never cut a character (a character outside the Basic Multilingual
    Plane takes 4 bytes and stays whole).

    Parameters
    ----------
    secret : str
        e.g. ``"x" * 5000``, which gives pieces of 1024, 1024, 1024, 1024 and 904.

    Returns
    -------
    list of str
        Pieces that join back into ``secret``.
    """
    pieces: list[str] = []
    start = size = 0
    for index, char in enumerate(secret):
        width = 4 if ord(char) > 0xFFFF else 2
        if size + width > CHUNK_BYTES:
            pieces.append(secret[start:index])
            start, size = index, 0
        size += width
    pieces.append(secret[start:])
    return pieces


def _parse(key: str, value: str | None) -> _Manifest | None:
    if value is None or not value.startswith(MARKER):
        return None
    match = _MANIFEST.fullmatch(value)
    if match is None or not 1 <= int(match["count"]) <= MAX_CHUNKS:
        raise _damaged(key, "its manifest of pieces cannot be read")
    return _Manifest(match["slot"], int(match["count"]), match["digest"])


def _clear_slot(store: EntryStore, key: str, slot: str, count: int = 0) -> None:
    # Known pieces go last-first, so an interruption leaves a prefix #1..#k, which
    # the open-ended pass (first to first missing) removes next time.
    for index in range(count, 0, -1):
        store.delete(_chunk_name(key, slot, index))
    index = count + 1
    while index <= MAX_CHUNKS and store.delete(_chunk_name(key, slot, index)):
        index += 1


def _assemble(store: EntryStore, key: str, manifest: _Manifest) -> str:
    pieces = []
    for index in range(1, manifest.count + 1):
        piece = store.get(_chunk_name(key, manifest.slot, index))
        if piece is None:
            raise _damaged(key, f"piece {index} of {manifest.count} is missing")
        pieces.append(piece)
    secret = "".join(pieces)
    if _digest(secret) != manifest.digest:
        raise _damaged(key, "its pieces do not match the manifest's SHA-256")
    return secret


def read_secret(store: EntryStore, key: str) -> str | None:
    """Return the secret under ``key``, reassembled if it was split.

    Parameters
    ----------
    store : EntryStore
        Where the entries live.
    key : str
        e.g. ``"token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``.

    Returns
    -------
    str or None
        The secret, or ``None`` when there is none.

    Raises
    ------
    SecretBackendError
        When a split secret is incomplete or fails its SHA-256 check.
    """
    value = store.get(key)
    try:
        manifest = _parse(key, value)
        return value if manifest is None else _assemble(store, key, manifest)
    except SecretBackendError:
        # A writer in another process may have replaced the secret meanwhile: retry once.
        again = store.get(key)
        if again == value:
            raise
        manifest = _parse(key, again)
        return again if manifest is None else _assemble(store, key, manifest)


def write_secret(store: EntryStore, key: str, secret: str, *, split_long: bool = True) -> None:
    """Store ``secret`` under ``key``, split if needed, replacing any previous one.

    Parameters
    ----------
    store : EntryStore
        Where the entries live.
    key : str
        e.g. ``"session: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``.
    secret : str
        Non-empty; at most :data:`MAX_CHUNKS` pieces long (see :func:`check_size`).
    split_long : bool
        Split a secret longer than :data:`CHUNK_BYTES` (Windows); else store it whole.
    """
    try:
        old = _parse(key, store.get(key))
    except SecretBackendError:  # a damaged manifest is overwritten, its pieces cleared
        old = _Manifest("b", 0, "")
        _clear_slot(store, key, "a")
    fits = not split_long or _utf16_size(secret) <= CHUNK_BYTES
    if fits and not secret.startswith(MARKER):
        store.set(key, secret)
    else:
        slot = "b" if old is not None and old.slot == "a" else "a"
        _clear_slot(store, key, slot)  # unreferenced pieces of an interrupted write
        pieces = split(secret)
        for index, piece in enumerate(pieces, start=1):
            store.set(_chunk_name(key, slot, index), piece)
        store.set(key, _Manifest(slot, len(pieces), _digest(secret)).render())
    if old is not None:
        _clear_slot(store, key, old.slot, old.count)


def delete_secret(store: EntryStore, key: str) -> bool:
    """Delete the secret under ``key`` and all its pieces.

    Parameters
    ----------
    store : EntryStore
        Where the entries live.
    key : str
        e.g. ``"password: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``.

    Returns
    -------
    bool
        Whether there was a secret under ``key``.
    """
    try:
        old = _parse(key, store.get(key))
    except SecretBackendError:
        old = None
    existed = store.delete(key)  # first: the secret stops being readable at once
    for slot in _SLOTS:
        count = old.count if old is not None and old.slot == slot else 0
        _clear_slot(store, key, slot, count)
    return existed
