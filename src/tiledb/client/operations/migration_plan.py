"""Planning a migration: which plaintext secrets move, which are skipped, and why.

Changes nothing (``migrate --dry-run`` shows the plan); ``migrate.apply_migration``
carries it out.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tiledb.client.basics.inputs import CredentialKind
from tiledb.client.basics.protocol import normalize_host, workspace_from_token
from tiledb.client.errors import ConfigurationError
from tiledb.client.secrets.registry import select_backend
from tiledb.client.storage.legacy_files import default_cloud_json, read_cloud_json
from tiledb.client.storage.profile_keys import plaintext_secrets, view
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["MigrationItem", "MigrationPlan", "plan_migration"]

Action = Literal["move", "skip", "error"]
CLOUD_PROFILE_NAMES = ("default", "cloud-json")


@dataclass(frozen=True)
class MigrationItem:
    """One profile to migrate (or skip); its secrets are never shown.

    ``profile`` is, for ``cloud.json``, the profile it becomes; ``fix`` says what lets an
    ``"error"`` item move (e.g. ``"--workspace NAME"``); ``auth`` is the credential the
    migrated profile uses.
    """

    profile: str
    source: Path
    origin: Literal["profiles.json", "cloud.json"]
    action: Action
    reason: str
    kinds: tuple[CredentialKind, ...] = ()
    auth: str | None = None
    host: str | None = None
    workspace: str | None = None
    username: str | None = None
    verify_ssl: bool = True
    secrets: Mapping[CredentialKind, str] = field(default_factory=dict, repr=False, compare=False)
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict, without the secrets."""
        return {
            "profile": self.profile,
            "source": str(self.source),
            "origin": self.origin,
            "action": self.action,
            "reason": self.reason,
            "secrets": list(self.kinds),
            "auth": self.auth,
            "host": self.host,
            "workspace": self.workspace,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class MigrationPlan:
    """What ``apply_migration`` would do; ``backend``: ``None`` when nothing moves or none works."""

    profile_file: Path
    cloud_json: Path
    backend: str | None
    backend_problem: str | None
    items: tuple[MigrationItem, ...]

    @property
    def moves(self) -> list[MigrationItem]:
        """The items that move a secret."""
        return [item for item in self.items if item.action == "move"]

    @property
    def errors(self) -> list[MigrationItem]:
        """The items that cannot move as things are (each says what resolves it)."""
        return [item for item in self.items if item.action == "error"]

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict, without secrets."""
        return {
            "profile_file": str(self.profile_file),
            "cloud_json": str(self.cloud_json),
            "backend": self.backend,
            "backend_problem": self.backend_problem,
            "items": [item.to_json() for item in self.items],
        }


def _profile_item(name: str, profile: Mapping[str, str], path: Path) -> MigrationItem:
    found, typed = plaintext_secrets(profile), view(profile)
    common: dict[str, Any] = {
        "host": typed.host,
        "workspace": typed.workspace,
        "username": typed.username,
    }
    if typed.host:
        try:
            normalize_host(typed.host, source=f"the host of profile {name!r}")
        except ConfigurationError as exc:  # e.g. user:password@ in the host: never shown
            fix = f"; fix it with: tiledb-client configure --profile {name} --overwrite"
            reason = f"{exc}{fix}"
            common["host"] = None
            return MigrationItem(
                name, path, "profiles.json", "error", reason, tuple(found), **common
            )
    if not found:
        stored = typed.secret
        reason = f"already in the {stored.backend!r} backend" if stored else "holds no secret"
        return MigrationItem(name, path, "profiles.json", "skip", reason, **common)
    auth = "token" if "token" in found else "password"
    reason = "plaintext " + " and ".join(found)
    return MigrationItem(
        name, path, "profiles.json", "move", reason, tuple(found), auth, secrets=found, **common
    )


def _cloud_item(
    path: Path, target: str | None, existing: Mapping[str, Any], workspace: str | None
) -> MigrationItem | None:
    try:
        cloud = read_cloud_json(path)
    except ConfigurationError as exc:  # left untouched; doctor reports it too
        return MigrationItem("-", path, "cloud.json", "skip", f"not migrated: {exc}")
    if cloud is None:
        return None
    if not cloud.has_secrets:
        return MigrationItem("-", path, "cloud.json", "skip", "holds no secret", host=cloud.host)
    if target is None:
        numbered = (f"cloud-json-{n}" for n in itertools.count(2))
        target = next(
            n for n in itertools.chain(CLOUD_PROFILE_NAMES, numbered) if n not in existing
        )
    pairs: tuple[tuple[CredentialKind, str | None], ...] = (
        ("token", cloud.token),
        ("password", cloud.password),
    )
    found = {kind: value for kind, value in pairs if value}
    workspace = workspace or (workspace_from_token(cloud.token) if cloud.token else None)
    common: dict[str, Any] = {
        "host": cloud.host,
        "workspace": workspace,
        "username": cloud.username,
        "verify_ssl": cloud.verify_ssl,
    }
    problem = fix = None
    if target in existing:
        problem = f"a profile {target!r} already exists"
        fix = "--profile NAME, a name not in use"
    elif not workspace:
        problem = "it names no workspace, which a login needs"
        fix = "--workspace NAME"
    elif "token" not in found and not cloud.username:
        problem = "it holds a password but no username"
        fix = f'add "username" to {path}, or store the credentials with tiledb-client configure'
    if problem is not None:
        return MigrationItem(
            target, path, "cloud.json", "error", problem, tuple(found), fix=fix, **common
        )
    auth = "token" if "token" in found else "password"
    reason = "plaintext " + " and ".join(found) + ", becomes a new profile"
    return MigrationItem(
        target, path, "cloud.json", "move", reason, tuple(found), auth, secrets=found, **common
    )


def plan_migration(
    profile_name: str | None = None,
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    cloud_json: str | os.PathLike[str] | None = None,
    workspace: str | None = None,
    backend: str | None = None,
) -> MigrationPlan:
    """Find the plaintext secrets to migrate, and the backend they would go to.

    ``profile_name``: only this profile, or, when ``profiles.json`` has none of that name,
    the profile ``cloud.json`` becomes (by default ``"default"``, else ``"cloud-json"``).
    ``workspace``: that profile's (``cloud.json`` names none).
    """
    store = ProfileStore(profile_dir)
    profiles = store.read()
    cloud_path = Path(cloud_json).expanduser().absolute() if cloud_json else default_cloud_json()
    items: list[MigrationItem] = []
    if profile_name is not None and profile_name in profiles:
        items.append(_profile_item(profile_name, profiles[profile_name], store.path))
    else:
        if profile_name is None:
            items.extend(_profile_item(n, p, store.path) for n, p in profiles.items())
        cloud = _cloud_item(cloud_path, profile_name, profiles, workspace)
        if cloud is not None:
            items.append(cloud)
    chosen, problem = None, None
    if any(item.action == "move" for item in items):
        try:
            chosen = select_backend(backend).name
        except ConfigurationError as exc:
            problem = str(exc)
    return MigrationPlan(store.path, cloud_path, chosen, problem, tuple(items))
