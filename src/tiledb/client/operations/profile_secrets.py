"""A profile's secrets in its backend: their ids, their removal, its session token, orphans.

Configure, profile administration, migration and ``logout()`` (which revokes and forgets the
session token; API tokens are never revoked) go through these functions. An orphan of a
profile file is an entry whose secret id names that file while no profile of it names that
id in that backend; entries naming another file are never judged. How orphans arise, and
why a prune under the lock is safe: SECURITY.md, "Crashes and concurrent writers".
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tiledb.client.basics.api_token import APIToken
from tiledb.client.basics.tls import Tls
from tiledb.client.errors import ClientError, ConfigurationError
from tiledb.client.secrets.base import SecretKind, secret_entry_key
from tiledb.client.secrets.registry import backend_names, get_backend
from tiledb.client.session import current as current_session
from tiledb.client.session.session_tokens import (
    cache_slot_of_profile,
    load_cached_token,
    revoke_session_token,
)
from tiledb.client.session.settings import resolve_tls
from tiledb.client.storage.profile_keys import ProfileView, SecretLocation, view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name
from tiledb.client.transport.rest import RestFactory

__all__ = [
    "LogoutResult",
    "OrphanReport",
    "OrphanSecret",
    "credential_key",
    "delete_profile_secrets",
    "end_session",
    "find_orphans",
    "logout",
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


def delete_profile_secrets(location: SecretLocation | None) -> list[str]:
    """Delete every secret a profile has in its backend; return what failed (logged, not raised).

    A leftover secret is an orphan, which ``profile prune`` removes.
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
    """End the session of ``profile`` (as read), revoking its cached token: (revoked, why not)."""
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
class LogoutResult:
    """What a logout did."""

    profile_name: str
    revoked: bool
    forgot_cached: bool
    ended_session: bool


def logout(
    factory: RestFactory, profile_name: str | None = None, profile_dir: str | None = None
) -> LogoutResult:
    """Revoke the profile's session token, forget it, end the matching session.

    Raises ClientError when the server cannot be reached to revoke (nothing is forgotten),
    ConfigurationError when the profile file or the secret backend cannot be read.
    """
    current = current_session.peek()
    if profile_name is None and profile_dir is None and current is not None:
        name, store = current.profile_name, ProfileStore(current.profile_file.parent)
    else:
        name, store = resolve_profile_name(profile_name), ProfileStore(profile_dir)
    return end_session(factory, name, store.path, view(store.get(name) or {}))


def end_session(factory: RestFactory, name: str, path: Path, profile: ProfileView) -> LogoutResult:
    """:func:`logout` of ``profile`` as read from ``path``; another profile's session stays."""
    current = current_session.peek()
    if current is not None and (current.profile_name, current.profile_file) != (name, path):
        current = None
    slot = cache_slot_of_profile(profile)
    cached = load_cached_token(slot) if slot is not None else None
    revoked = False
    if cached is not None:
        token, record = cached
        verify, ca_file = resolve_tls(profile, f"profile {name!r} ({path})")
        host = str(record.get("host") or profile.host or "")
        tls = Tls(bool(verify.value), ca_file.value or None)
        revoked = revoke_session_token(token, factory, host=host, tls=tls)
    own_id = current.session_token_id if current is not None else None
    if current is not None and own_id and (cached is None or cached[0].token_id != own_id):
        # the session's own token, which no cache held (a password from the environment)
        own = APIToken(token_id=own_id, api_key=current.token)
        if revoke_session_token(own, factory, host=current.host, tls=current.tls):
            revoked = True
    forgot = slot is not None and cached is not None and slot[0].delete(slot[1])
    if current is not None:
        current_session.forget()
    logger.info("logged out of profile %r (revoked: %s)", name, revoked)
    return LogoutResult(name, revoked, forgot, current is not None)


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


def _orphans(
    store: ProfileStore,
    backends: Iterable[str] | None,
    everywhere: bool,
    *,
    prune: bool = False,
    factory: RestFactory | None = None,
) -> OrphanReport:
    """Judge our entries naming ``store``'s file (every file, ``everywhere``) under its lock.

    A file that is gone (a deleted CI workspace or notebook folder) names nothing: all its
    entries are orphans; its folder, if left, is locked all the same.
    """
    by_file: dict[str, list[tuple[OrphanSecret, str]]] = {}  # profile file: (entry, secret id)
    not_searched: list[tuple[str, str]] = []  # (backend or file, why)
    for name in backend_names() if backends is None else backends:
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
    orphans: list[OrphanSecret] = []
    problems: list[str] = []
    for file in sorted(by_file) if everywhere else [str(store.path)]:
        folder = ProfileStore(Path(file).parent)
        lock = folder.locked() if folder.directory.is_dir() else contextlib.nullcontext()
        try:
            with lock:  # an entry is an orphan when no profile of its file names it
                profiles = folder.read().values() if folder.exists() else ()
                locations = (view(profile).secret for profile in profiles)
                named = {(where.backend, where.secret_id) for where in locations if where}
                entries = by_file.get(file, [])
                found = [entry for entry, id_ in entries if (entry.backend, id_) not in named]
                if prune:
                    found = [orphan for orphan in found if _delete(orphan, factory, problems)]
        except ConfigurationError as exc:
            not_searched.append((file, str(exc)))
            continue
        orphans += found
    profile_file = None if everywhere else store.path
    return OrphanReport(profile_file, tuple(orphans), tuple(not_searched), tuple(problems))


def find_orphans(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    backends: Iterable[str] | None = None,
    everywhere: bool = False,
) -> OrphanReport:
    """List the orphan secrets of a profile file (of every one, ``everywhere``); reads no secret."""
    return _orphans(ProfileStore(profile_dir), backends, everywhere)


def prune_orphans(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    backends: Iterable[str] | None = None,
    factory: RestFactory | None = None,
    everywhere: bool = False,
) -> OrphanReport:
    """Delete the orphans :func:`find_orphans` lists; with ``factory``, revoke session tokens."""
    return _orphans(ProfileStore(profile_dir), backends, everywhere, prune=True, factory=factory)


def _delete(orphan: OrphanSecret, factory: RestFactory | None, problems: list[str]) -> bool:
    """Delete one orphan; return whether it was (else what failed is added to ``problems``)."""
    try:
        if factory is not None and orphan.key.startswith("session: "):
            _revoke_orphan_session(orphan, factory)
        get_backend(orphan.backend).delete(orphan.key)
    except ConfigurationError as exc:
        problems.append(f"{orphan.key!r} in {orphan.backend!r}: {exc}")
        return False
    logger.info("deleted the orphan secret %r from %s", orphan.key, orphan.backend)
    return True


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
