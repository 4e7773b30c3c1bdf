"""``tiledb-client profile``: list, show, delete and rename profiles with their secrets.

Listing says whether each secret is really in its backend without reading it. Delete
and rename hold the profile file's lock across the read, the profile change and the
secret change, so neither strands a profile (SECURITY.md, "Crashes and concurrent writers").
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tiledb.client.basics.masking import mask
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.profile_secrets import (
    credential_key,
    credential_may_be_present,
    delete_profile_secrets,
    revoke_cached_session,
)
from tiledb.client.storage.profile_keys import (
    HOST,
    PLAINTEXT_SECRET_KEYS,
    SECRET_BACKEND,
    TOKEN,
    USERNAME,
    WORKSPACE,
    plaintext_secret,
    secret_location,
)
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tiledb.client.transport.rest import RestFactory

__all__ = [
    "DeleteResult",
    "ProfileInfo",
    "SecretState",
    "delete_profile",
    "list_profiles",
    "profile_info",
    "rename_profile",
]

logger = logging.getLogger(__name__)

SecretState = Literal["present", "missing", "plaintext", "unknown", "none"]
"""In its backend, missing, plain text in the profile, not checkable now, or none configured."""


@dataclass(frozen=True)
class ProfileInfo:
    """A stored profile as people need to see it, plaintext secrets masked.

    ``backend`` is ``"plaintext"`` for a legacy profile; ``secret_detail`` says why
    ``state`` is ``"unknown"`` or ``"missing"``.
    """

    name: str
    profile_file: Path
    host: str | None
    workspace: str | None
    username: str | None
    auth: str
    backend: str | None
    state: SecretState
    secret_detail: str
    secret_id: str | None
    is_default: bool
    settings: dict[str, str] = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (no secret; plaintext values masked)."""
        return {
            "name": self.name,
            "profile_file": str(self.profile_file),
            "host": self.host,
            "workspace": self.workspace,
            "username": self.username,
            "auth": self.auth,
            "backend": self.backend,
            "secret": self.state,
            "secret_present": self.state in ("present", "plaintext"),
            "secret_detail": self.secret_detail or None,
            "secret_id": self.secret_id,
            "default": self.is_default,
            "settings": dict(self.settings),
        }


def _auth_kind(profile: Mapping[str, str]) -> str:
    location, plaintext = secret_location(profile), plaintext_secret(profile)
    return location.auth if location else plaintext[0] if plaintext else "none"


def _shown_settings(profile: Mapping[str, str]) -> dict[str, str]:
    return {
        key: (mask(value, tail=key == TOKEN) if key in PLAINTEXT_SECRET_KEYS else value)
        for key, value in profile.items()
    }


class _SecretChecker:
    """Checks secrets of several profiles, asking an unavailable backend only once."""

    def __init__(self) -> None:
        self._broken: dict[str, str] = {}
        self._known: dict[str, frozenset[str]] = {}  # backend -> keys found by prefetch

    def prefetch(self, profiles: Iterable[Mapping[str, str]]) -> None:
        """Ask each backend once about the secrets of all ``profiles`` (not one by one)."""
        wanted: dict[str, list[str]] = {}
        for profile in profiles:
            location, key = secret_location(profile), credential_key(profile)
            if location is not None and key is not None:
                wanted.setdefault(location.backend, []).append(key)
        from tiledb.client.secrets.registry import get_backend

        for backend_name, keys in wanted.items():
            try:
                self._known[backend_name] = get_backend(backend_name).contains_many(keys)
            except ConfigurationError as exc:
                self._broken[backend_name] = str(exc)

    def state(self, profile: Mapping[str, str]) -> tuple[SecretState, str]:
        location, key = secret_location(profile), credential_key(profile)
        if location is None:
            if plaintext_secret(profile):
                return "plaintext", "kept in plain text in the profile file"
            return "none", ""
        backend_name = location.backend
        if key is None:
            return "missing", f"the profile names backend {backend_name!r} but no secret id"
        if backend_name in self._broken:
            return "unknown", self._broken[backend_name]
        from tiledb.client.secrets.registry import get_backend

        try:
            known = self._known.get(backend_name)
            present = key in known if known is not None else get_backend(backend_name).contains(key)
        except ConfigurationError as exc:
            self._broken[backend_name] = str(exc)
            return "unknown", str(exc)
        if present:
            return "present", ""
        return "missing", f"the {location.auth} is not in the {backend_name!r} backend"


def _info(
    name: str, profile: Mapping[str, str], store: ProfileStore, checker: _SecretChecker | None
) -> ProfileInfo:
    if checker is None:
        state: SecretState = "unknown"
        detail = "not checked"
    else:
        state, detail = checker.state(profile)
    location = secret_location(profile)
    backend = location.backend if location else ("plaintext" if state == "plaintext" else None)
    return ProfileInfo(
        name=name,
        profile_file=store.path,
        host=profile.get(HOST),
        workspace=profile.get(WORKSPACE),
        username=profile.get(USERNAME),
        auth=_auth_kind(profile),
        backend=backend,
        state=state,
        secret_detail=detail,
        secret_id=location.secret_id or None if location else None,
        is_default=name == resolve_profile_name(None),
        settings=_shown_settings(profile),
    )


def list_profiles(
    profile_dir: str | os.PathLike[str] | None = None, *, check_secrets: bool = True
) -> list[ProfileInfo]:
    """Return every profile of a profile file, in file order.

    ``check_secrets``: ask each backend once whether the secrets are there.
    """
    store = ProfileStore(profile_dir)
    profiles = store.read()
    checker = _SecretChecker() if check_secrets else None
    if checker is not None:
        checker.prefetch(profiles.values())
    return [_info(name, profile, store, checker) for name, profile in profiles.items()]


def profile_info(
    name: str | None = None,
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    check_secret: bool = True,
) -> ProfileInfo:
    """Return one profile; ConfigurationError when there is none."""
    store = ProfileStore(profile_dir)
    name = resolve_profile_name(name)
    profile = store.get(name)
    if profile is None:
        raise ConfigurationError(f"There is no profile {name!r} in {store.path}.")
    return _info(name, profile, store, _SecretChecker() if check_secret else None)


@dataclass(frozen=True)
class DeleteResult:
    """What :func:`delete_profile` did; ``secret_problems`` name the orphans it left."""

    profile: ProfileInfo
    revoked: bool
    revoke_problem: str | None
    secrets_deleted: bool
    secret_problems: list[str]


def delete_profile(
    name: str,
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    factory: RestFactory,
    force: bool = False,
) -> DeleteResult:
    """Delete a profile and every secret it has in its backend.

    When the backend cannot delete, the profile is put back, unless ``force``;
    ``factory`` makes the REST client that revokes a cached session token.
    """
    store = ProfileStore(profile_dir)
    profile = store.get(name)
    if profile is None:
        raise ConfigurationError(f"There is no profile {name!r} in {store.path}.")
    revoked, revoke_problem = revoke_cached_session(name, store, profile, factory)
    with store.locked():
        profiles = store.read()  # again, under the lock: it may have changed meanwhile
        if name not in profiles:
            raise ConfigurationError(f"There is no profile {name!r} in {store.path}.")
        profile, position = profiles[name], list(profiles).index(name)
        info = _info(name, profile, store, None)
        store.delete(name)  # first: from here on a crash leaves at worst an orphan secret
        problems = delete_profile_secrets(profile)
        if problems and not force and credential_may_be_present(profile):
            _put_back(store, name, profile, position)
            raise SecretBackendError(
                f"The secrets of profile {name!r} could not be deleted from the"
                f" {profile.get(SECRET_BACKEND)!r} backend, so the profile was kept"
                f" (deleting it would orphan them): {'; '.join(problems)} Fix the backend"
                " (tiledb-client doctor), or pass --force to delete the profile anyway."
            )
    deleted = secret_location(profile) is not None and not problems
    logger.info("deleted profile %r from %s", name, store.path)
    return DeleteResult(info, revoked, revoke_problem, deleted, problems)


def _put_back(store: ProfileStore, name: str, profile: dict[str, str], position: int) -> None:
    """Restore a removed profile at its old place in the file."""
    with store.edit() as profiles:
        entries = list(profiles.items())
        entries.insert(position, (name, profile))
        profiles.clear()
        profiles.update(entries)


def rename_profile(
    old: str, new: str, profile_dir: str | os.PathLike[str] | None = None
) -> ProfileInfo:
    """Rename a profile and return it (secret not checked); its ``client.secret_id`` stays.

    The id, a label, still shows the old name in keyring browsers.
    """
    store = ProfileStore(profile_dir)
    with store.locked():
        store.rename(old, new)
        return profile_info(new, store.directory, check_secret=False)
