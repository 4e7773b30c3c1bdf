"""Orphan secrets: entries in a backend that no profile names any more, found and removed.

An orphan of a profile file is an entry whose secret id names that file while no profile
of it names that id in that backend; entries naming another file are never judged. How
they arise, and why a prune under the lock is safe: SECURITY.md, "Crashes and concurrent
writers".
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
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
    """Orphans of one profile file (found, or deleted), and the backends not searched.

    ``not_searched`` holds ``(backend, why)``; ``problems``, what a prune could not delete.
    """

    profile_file: Path
    orphans: tuple[OrphanSecret, ...]
    not_searched: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = field(default=())


def _key_pattern(profile_file: Path) -> re.Pattern[str]:
    kinds = "|".join(ALL_KINDS)
    file = re.escape(str(profile_file))
    return re.compile(rf"(?:{kinds}): (?P<id>.* @ {file} \[[0-9a-f]{{8}}\])")


def _scan(store: ProfileStore, backends: Iterable[str]) -> OrphanReport:
    locations = map(profile_keys.secret_location, store.read().values())
    named = {location[:2] for location in locations if location is not None}
    pattern = _key_pattern(store.path)
    orphans: list[OrphanSecret] = []
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
            match = pattern.fullmatch(key)
            if match and (name, match["id"]) not in named:
                orphans.append(OrphanSecret(name, key))
    return OrphanReport(store.path, tuple(orphans), tuple(not_searched))


def find_orphans(
    profile_dir: str | os.PathLike[str] | None = None, *, backends: Iterable[str] | None = None
) -> OrphanReport:
    """List the orphan secrets of a profile file in ``backends`` (default all); reads no secret."""
    return _scan(ProfileStore(profile_dir), backend_names() if backends is None else backends)


def prune_orphans(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    backends: Iterable[str] | None = None,
    factory: RestFactory | None = None,
) -> OrphanReport:
    """Delete the orphan secrets of a profile file, under its lock.

    With ``factory``, an orphan session token is revoked on the server first.
    """
    store = ProfileStore(profile_dir)
    names = list(backend_names() if backends is None else backends)
    with store.locked():
        found = _scan(store, names)
        deleted, problems = [], []
        for orphan in found.orphans:
            try:
                if factory is not None and orphan.key.startswith("session: "):
                    _revoke_orphan_session(orphan, factory)
                get_backend(orphan.backend).delete(orphan.key)
            except ConfigurationError as exc:
                problems.append(f"{orphan.key!r} in {orphan.backend!r}: {exc}")
                continue
            deleted.append(orphan)
            logger.info("deleted the orphan secret %r from %s", orphan.key, orphan.backend)
    return OrphanReport(store.path, tuple(deleted), found.not_searched, tuple(problems))


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
