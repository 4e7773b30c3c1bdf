"""Orphan secrets: entries in a backend that no profile names any more, found and removed.

Every secret we store sits under ``"<kind>: <secret id>"``, and a secret id names the
profile file it was made for: ``"default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``
(see :func:`~tiledb.client.operations.profile_secrets.new_secret_id`). An entry is an
**orphan** of a profile file when its id names that file and no profile in the file
names that id in that backend. Orphans come from a crash between storing a secret and
writing its profile (``configure``, ``migrate``), a crash between removing a profile
and deleting its secret (``profile delete``), a backend that failed to delete, or
another tool replacing one of our profiles (the vendor's ``configure(overwrite=True)``).

Entries naming another profile file are never judged here: that file may have moved,
and its profiles may still use them.

:func:`find_orphans` lists them (``tiledb-client doctor``); :func:`prune_orphans`
deletes them (``tiledb-client profile prune``) under the profile file's lock, which
``configure``, ``profile delete`` and ``migrate`` hold from storing a secret to writing
the profile that names it, so a prune never takes a secret that is about to be used.
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
    """One entry no profile names.

    Attributes
    ----------
    backend : str
        e.g. ``"encrypted-file"``.
    key : str
        e.g. ``"token: prod @ /home/ada/.tiledb/profiles.json [77c0d4aa]"`` (not a secret).
    """

    backend: str
    key: str


@dataclass(frozen=True)
class OrphanReport:
    """Orphans of one profile file, and the backends that could not be searched.

    Attributes
    ----------
    profile_file : pathlib.Path
    orphans : tuple of OrphanSecret
        Found (by :func:`find_orphans`) or deleted (by :func:`prune_orphans`).
    not_searched : tuple of (str, str)
        ``(backend, why)``, e.g. ``("keyring", "keyring.backends.macOS.Keyring cannot
        list its entries")``.
    problems : tuple of str
        Orphans :func:`prune_orphans` could not delete, and why.
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
    """List the orphan secrets of a profile file; reads no secret, changes nothing.

    Parameters
    ----------
    profile_dir : str or path-like, optional
        The profile directory.
    backends : iterable of str, optional
        The backends to search, e.g. ``["encrypted-file"]``; default every backend known.

    Returns
    -------
    OrphanReport
        e.g. ``OrphanReport(orphans=(OrphanSecret("keyring", "token: old @ ... [1f3a9c2e]"),))``.

    Raises
    ------
    ConfigurationError
        When the profile file cannot be read.
    """
    return _scan(ProfileStore(profile_dir), backend_names() if backends is None else backends)


def prune_orphans(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    backends: Iterable[str] | None = None,
    factory: RestFactory | None = None,
) -> OrphanReport:
    """Delete the orphan secrets of a profile file, under its lock.

    An orphan session token (a login that cached it after its profile was deleted) is
    revoked first when ``factory`` is given: every token minted is recorded where logout
    finds it, or revoked.

    Returns
    -------
    OrphanReport
        ``orphans`` are those deleted; ``problems`` those that could not be.

    Raises
    ------
    ConfigurationError
        When the profile file cannot be read or locked.
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
