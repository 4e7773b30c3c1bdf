"""A profile's secrets in its backend: their ids, their removal, its session token, orphans.

Configure, profile administration and migration all go through these functions. An orphan
of a profile file is an entry whose secret id names that file while no profile of it names
that id in that backend; entries naming another file are never judged. How orphans arise,
and why a prune under the lock is safe: SECURITY.md, "Crashes and concurrent writers".
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tiledb.client.errors import ClientError, ConfigurationError
from tiledb.client.operations.logout import end_session
from tiledb.client.secrets.base import SecretKind, secret_entry_key
from tiledb.client.secrets.registry import backend_names, get_backend
from tiledb.client.session.session_tokens import load_cached_token, revoke_session_token
from tiledb.client.storage.profile_keys import SecretLocation, view
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.transport.rest import RestFactory

__all__ = [
    "ALL_KINDS",
    "OrphanReport",
    "OrphanSecret",
    "credential_key",
    "credential_may_be_present",
    "delete_profile_secrets",
    "find_orphans",
    "new_secret_id",
    "prune_orphans",
    "revoke_cached_session",
]

logger = logging.getLogger(__name__)

ALL_KINDS: tuple[SecretKind, ...] = ("token", "password", "session")


def new_secret_id(profile_name: str, store: ProfileStore) -> str:
    """Return a fresh secret id, e.g. ``"default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``.

    The random part keeps it unique when a profile is made again or a directory moves.
    """
    return f"{profile_name} @ {store.path} [{secrets.token_hex(4)}]"


_KEY = re.compile(rf"(?:{'|'.join(ALL_KINDS)}): (?P<id>.* @ (?P<file>.+) \[[0-9a-f]{{8}}\])")
"""A key of ours (:func:`secret_entry_key` of a :func:`new_secret_id`)."""


def credential_key(location: SecretLocation | None) -> str | None:
    """Return the backend key of the credential a profile logs in with, or ``None``."""
    if location is None or not location.secret_id:
        return None
    return secret_entry_key(location.secret_id, location.auth)


def credential_may_be_present(location: SecretLocation | None) -> bool:
    """Return ``False`` only when the profile's backend says its credential is gone."""
    key = credential_key(location)
    if location is None or key is None:
        return True
    try:
        return get_backend(location.backend).contains(key)
    except ConfigurationError:
        return True  # the backend does not answer: it most likely deleted nothing either


def delete_profile_secrets(location: SecretLocation | None) -> list[str]:
    """Delete every secret a profile has in its backend; return what failed.

    Failures are logged, not raised: the profile change is committed, and a leftover
    secret is an orphan that ``profile prune`` removes.
    """
    if location is None or not location.secret_id:
        return []
    # The credential last: if the backend fails midway, a profile kept can still log in.
    keys = [secret_entry_key(location.secret_id, kind) for kind in ALL_KINDS]
    keys.sort(key=lambda key: key == credential_key(location))
    try:
        backend = get_backend(location.backend)
        for key in keys:
            backend.delete(key)
    except ConfigurationError as exc:
        logger.warning("could not delete the old secrets of %s: %s", location.secret_id, exc)
        return [str(exc)]
    return []


def revoke_cached_session(
    name: str, store: ProfileStore, profile: Mapping[str, str], factory: RestFactory
) -> tuple[bool, str | None]:
    """Revoke the profile's cached session token; return whether it was, and why not.

    ``profile`` is the profile as read (not read again); it ends the profile's current session.
    """
    typed = view(profile)
    if typed.secret is None or typed.secret.auth != "password":
        return False, None
    try:
        result = end_session(factory, name, store.path, typed)
    except (ClientError, ConfigurationError) as exc:
        logger.info("could not revoke the session token of %r: %s", name, exc)
        return False, f"{exc} It was deleted here and stays valid on the server until it expires."
    return result.revoked, None


@dataclass(frozen=True)
class OrphanSecret:
    """One entry no profile names: its backend and its key (not a secret)."""

    backend: str
    key: str


@dataclass(frozen=True)
class OrphanReport:
    """Orphans of one profile file, or of every one (``profile_file`` ``None``), found or deleted.

    ``not_searched`` holds ``(backend or file, why)``; ``problems``, what a prune could not delete.
    """

    profile_file: Path | None
    orphans: tuple[OrphanSecret, ...]
    not_searched: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = ()


_Entries = dict[str, list[tuple[OrphanSecret, str]]]  # profile file: (entry, its secret id)


def _our_keys(backends: Iterable[str]) -> tuple[_Entries, list[tuple[str, str]]]:
    """Every entry of ours, by the profile file its key names; and the backends not searched."""
    by_file: _Entries = {}
    not_searched: list[tuple[str, str]] = []
    for name in backends:
        try:
            keys = get_backend(name).keys()
        except ConfigurationError as exc:
            not_searched.append((name, str(exc)))
            continue
        if keys is None:
            not_searched.append((name, "this backend cannot list its entries"))
            continue
        for key in keys:
            if match := _KEY.fullmatch(key):
                by_file.setdefault(match["file"], []).append((OrphanSecret(name, key), match["id"]))
    return by_file, not_searched


def _unnamed(file: str, entries: list[tuple[OrphanSecret, str]]) -> list[OrphanSecret]:
    """Those of ``entries`` (all naming ``file``) that no profile of ``file`` names."""
    profiles = ProfileStore(Path(file).parent).read() if Path(file).is_file() else {}
    locations = (view(profile).secret for profile in profiles.values())
    named = {(location.backend, location.secret_id) for location in locations if location}
    return [entry for entry, id_ in entries if (entry.backend, id_) not in named]


def _each_file(
    store: ProfileStore,
    backends: Iterable[str] | None,
    *,
    everywhere: bool,
    prune: Callable[[list[OrphanSecret]], None] | None,
) -> OrphanReport:
    """Judge the entries of ``store``'s file (every file, ``everywhere``), each under its lock.

    A file that is gone (a deleted CI workspace or notebook folder) names nothing: all its
    entries are orphans; its folder, if left, is locked all the same.
    """
    by_file, not_searched = _our_keys(backend_names() if backends is None else backends)
    files = sorted(by_file) if everywhere else [str(store.path)]
    orphans: list[OrphanSecret] = []
    for file in files:
        folder = Path(file).parent
        lock = ProfileStore(folder).locked() if folder.is_dir() else contextlib.nullcontext()
        try:
            with lock:
                found = _unnamed(file, by_file.get(file, []))
                if prune is not None:
                    prune(found)
        except ConfigurationError as exc:
            not_searched.append((file, str(exc)))
            continue
        orphans += found
    return OrphanReport(None if everywhere else store.path, tuple(orphans), tuple(not_searched))


def find_orphans(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    backends: Iterable[str] | None = None,
    everywhere: bool = False,
) -> OrphanReport:
    """List the orphan secrets of a profile file (of every one, ``everywhere``); reads no secret."""
    return _each_file(ProfileStore(profile_dir), backends, everywhere=everywhere, prune=None)


def prune_orphans(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    backends: Iterable[str] | None = None,
    factory: RestFactory | None = None,
    everywhere: bool = False,
) -> OrphanReport:
    """Delete the orphan secrets of a profile file (of every one, ``everywhere``), under its lock.

    With ``factory``, an orphan session token is revoked on the server first.
    """
    deleted: list[OrphanSecret] = []
    problems: list[str] = []

    def delete(found: list[OrphanSecret]) -> None:
        for orphan in found:
            try:
                if factory is not None and orphan.key.startswith("session: "):
                    _revoke_orphan_session(orphan, factory)
                get_backend(orphan.backend).delete(orphan.key)
            except ConfigurationError as exc:
                problems.append(f"{orphan.key!r} in {orphan.backend!r}: {exc}")
                continue
            deleted.append(orphan)
            logger.info("deleted the orphan secret %r from %s", orphan.key, orphan.backend)

    store = ProfileStore(profile_dir)
    report = _each_file(store, backends, everywhere=everywhere, prune=delete)
    return OrphanReport(report.profile_file, tuple(deleted), report.not_searched, tuple(problems))


def _revoke_orphan_session(orphan: OrphanSecret, factory: RestFactory) -> None:
    """Revoke the session token of an orphan record, at the host that minted it."""
    cached = load_cached_token((get_backend(orphan.backend), orphan.key))
    if cached is None or not isinstance(cached[1].get("host"), str):
        return
    token, record = cached
    try:
        revoke_session_token(token, factory, host=record["host"])
    except ClientError as exc:  # logout --everywhere still finds it on the server
        logger.warning("the orphan session token %s was not revoked: %s", token.token_id, exc)
