"""Orphan secrets: entries in a backend that no profile names any more, found and removed.

An orphan of a profile file is an entry whose secret id names that file while no profile
of it names that id in that backend; entries naming another file are never judged. How
they arise, and why a prune under the lock is safe: SECURITY.md, "Crashes and concurrent
writers".
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.profile_secrets import ALL_KINDS
from tiledb.client.secrets.registry import backend_names, get_backend
from tiledb.client.storage import profile_keys
from tiledb.client.storage.profiles import ProfileStore

if TYPE_CHECKING:
    from tiledb.client.transport.rest import RestFactory

__all__ = ["OrphanReport", "OrphanSecret", "find_orphans", "prune_orphans"]

logger = logging.getLogger(__name__)


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
    problems: tuple[str, ...] = field(default=())


_KEY = re.compile(rf"(?:{'|'.join(ALL_KINDS)}): (?P<id>.* @ (?P<file>.+) \[[0-9a-f]{{8}}\])")


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
    locations = map(profile_keys.secret_location, profiles.values())
    named = {location[:2] for location in locations if location is not None}
    return [entry for entry, id_ in entries if (entry.backend, id_) not in named]


def _each_file(
    store: ProfileStore,
    backends: Iterable[str],
    *,
    everywhere: bool,
    prune: Callable[[list[OrphanSecret]], None] | None,
) -> OrphanReport:
    """Judge the entries of ``store``'s file (every file, ``everywhere``), each under its lock.

    A file that is gone (a deleted CI workspace or notebook folder) names nothing: all its
    entries are orphans; its folder, if left, is locked all the same.
    """
    by_file, not_searched = _our_keys(backends)
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
    names = backend_names() if backends is None else backends
    return _each_file(ProfileStore(profile_dir), names, everywhere=everywhere, prune=None)


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

    names = list(backend_names() if backends is None else backends)
    store = ProfileStore(profile_dir)
    report = _each_file(store, names, everywhere=everywhere, prune=delete)
    return OrphanReport(report.profile_file, tuple(deleted), report.not_searched, tuple(problems))


def _revoke_orphan_session(orphan: OrphanSecret, factory: RestFactory) -> None:
    """Revoke the session token of an orphan record, at the host that minted it."""
    from tiledb.client.errors import ClientError
    from tiledb.client.session.session_tokens import load_cached_token, revoke_session_token

    cached = load_cached_token((get_backend(orphan.backend), orphan.key))
    if cached is None or not isinstance(cached[1].get("host"), str):
        return
    token, record = cached
    try:
        revoke_session_token(token, factory, host=record["host"], verify_ssl=True, ca_file=None)
    except ClientError as exc:  # logout --everywhere still finds it on the server
        logger.warning("the orphan session token %s was not revoked: %s", token.token_id, exc)
