"""``tiledb-client profile``: list, show, delete and rename profiles with their secrets.

Listing checks each secret is in its backend without reading it; delete and rename hold
the profile lock throughout (SECURITY.md, "Crashes and concurrent writers").
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.profile_secrets import (
    credential_key,
    delete_profile_secrets,
    revoke_cached_session,
)
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage.profile_keys import ProfileView, shown, view
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

    ``backend``: ``"plaintext"`` for a legacy profile; ``secret_detail``: why ``state`` is so.
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


class _SecretChecker:
    """Checks the secrets of ``profiles``, asking each backend once about all of them."""

    def __init__(self, profiles: Iterable[ProfileView]) -> None:
        self._broken: dict[str, str] = {}  # backend -> why it cannot answer
        self._known: dict[str, frozenset[str]] = {}  # backend -> the keys it holds
        wanted: dict[str, list[str]] = {}
        for profile in profiles:
            key = credential_key(profile.secret)
            if profile.secret is not None and key is not None:
                wanted.setdefault(profile.secret.backend, []).append(key)
        for backend_name, keys in wanted.items():
            try:
                self._known[backend_name] = get_backend(backend_name).contains_many(keys)
            except ConfigurationError as exc:
                self._broken[backend_name] = str(exc)

    def state(self, profile: ProfileView) -> tuple[SecretState, str]:
        location, key = profile.secret, credential_key(profile.secret)
        if location is None:
            if profile.plaintext:
                return "plaintext", "kept in plain text in the profile file"
            return "none", ""
        if key is None:
            return "missing", f"the profile names backend {location.backend!r} but no secret id"
        if location.backend in self._broken:
            return "unknown", self._broken[location.backend]
        if key in self._known[location.backend]:
            return "present", ""
        return "missing", f"the {location.auth} is not in the {location.backend!r} backend"


def _info(
    name: str, profile: Mapping[str, str], store: ProfileStore, checker: _SecretChecker | None
) -> ProfileInfo:
    typed = view(profile)
    state, detail = checker.state(typed) if checker else ("unknown", "not checked")
    location, plaintext = typed.secret, typed.plaintext
    return ProfileInfo(
        name=name,
        profile_file=store.path,
        host=typed.host,
        workspace=typed.workspace,
        username=typed.username,
        auth=location.auth if location else plaintext[0] if plaintext else "none",
        backend=location.backend if location else ("plaintext" if plaintext else None),
        state=state,
        secret_detail=detail,
        secret_id=location.secret_id or None if location else None,
        is_default=name == resolve_profile_name(None),
        settings=shown(profile),
    )


def list_profiles(
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    read: Mapping[str, Mapping[str, str]] | None = None,
) -> list[ProfileInfo]:
    """Every profile of a profile file (``read``: already read), each backend asked once."""
    store = ProfileStore(profile_dir)
    profiles = store.read() if read is None else read
    checker = _SecretChecker(map(view, profiles.values()))
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
    return _info(name, profile, store, _SecretChecker([view(profile)]) if check_secret else None)


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
        with store.edit() as profiles:  # read again under the lock: it may have changed
            if name not in profiles:
                raise ConfigurationError(f"There is no profile {name!r} in {store.path}.")
            position = list(profiles).index(name)
            profile = profiles.pop(name)  # first: from here on a crash leaves at worst an orphan
        typed = view(profile)
        location, problems = typed.secret, delete_profile_secrets(typed.secret)
        kept = problems and not force and _SecretChecker([typed]).state(typed)[0] != "missing"
        if location and kept:  # the credential may still be there: a profile must name it
            with store.edit() as profiles:  # back at its old place
                entries = list(profiles.items())
                entries.insert(position, (name, profile))
                profiles.clear()
                profiles.update(entries)
            raise SecretBackendError(
                f"The secrets of profile {name!r} could not be deleted from the"
                f" {location.backend!r} backend, so the profile was kept"
                f" (deleting it would orphan them): {'; '.join(problems)} Fix the backend"
                " (tiledb-client doctor), or pass --force to delete the profile anyway."
            )
    logger.info("deleted profile %r from %s", name, store.path)
    info, deleted = _info(name, profile, store, None), location is not None and not problems
    return DeleteResult(info, revoked, revoke_problem, deleted, problems)


def rename_profile(
    old: str, new: str, profile_dir: str | os.PathLike[str] | None = None
) -> ProfileInfo:
    """Rename a profile and return it (secret not checked); its secret id keeps the old name."""
    store = ProfileStore(profile_dir)
    with store.locked():
        store.rename(old, new)
        return profile_info(new, store.directory, check_secret=False)
