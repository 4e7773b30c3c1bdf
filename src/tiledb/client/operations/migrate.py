"""Move plaintext secrets of profiles (and ``cloud.json``) into a secret backend, and scrub them.

:func:`plan_migration` changes nothing (``--dry-run`` shows the plan); :func:`apply_migration`
carries a plan out in the steps docs/cli.md ("migrate") gives, under one hold of the profile
lock, and undoes a failed run (0600 backups only when it cannot).
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tiledb.client.basics.inputs import CredentialKind
from tiledb.client.basics.protocol import normalize_host, workspace_from_token
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.profile_secrets import delete_profile_secrets, new_secret_id
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend, select_backend
from tiledb.client.storage.legacy_files import (
    default_cloud_json,
    make_backup,
    read_cloud_json,
    replace_file,
    scrub_cloud_json,
)
from tiledb.client.storage.profile_keys import (
    SecretLocation,
    Tls,
    plaintext_secrets,
    profile_entries,
    view,
    without_plaintext,
)
from tiledb.client.storage.profiles import ProfileStore

__all__ = [
    "MigrationError",
    "MigrationItem",
    "MigrationPlan",
    "MigrationResult",
    "apply_migration",
    "plan_migration",
]

logger = logging.getLogger(__name__)

Origin = Literal["profiles.json", "cloud.json"]
CLOUD_PROFILE_NAMES = ("default", "cloud-json")


@dataclass(frozen=True)
class MigrationItem:
    """One profile to migrate (or skip); its secrets are never shown.

    ``profile`` is, for ``cloud.json``, the profile it becomes; ``fix`` says what lets an
    ``"error"`` item move (e.g. ``"--workspace NAME"``); ``auth`` is the credential the
    migrated profile uses; ``stored``, where the profile already keeps a secret.
    """

    profile: str
    source: Path
    origin: Origin
    action: Literal["move", "skip", "error"]
    reason: str
    kinds: tuple[CredentialKind, ...] = ()
    auth: str | None = None
    host: str | None = None
    workspace: str | None = None
    username: str | None = None
    verify_ssl: bool = True
    secrets: Mapping[CredentialKind, str] = field(default_factory=dict, repr=False, compare=False)
    fix: str | None = None
    stored: SecretLocation | None = None

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


def _move(
    profile: str, source: Path, origin: Origin, found: dict[CredentialKind, str], **known: Any
) -> MigrationItem:
    """The item that moves the plaintext secrets ``found``."""
    reason = "plaintext " + " and ".join(found)
    if origin == "cloud.json":
        reason += ", becomes a new profile"
    auth = "token" if "token" in found else "password"
    return MigrationItem(
        profile, source, origin, "move", reason, tuple(found), auth, secrets=found, **known
    )


def _profile_item(name: str, profile: Mapping[str, str], path: Path) -> MigrationItem:
    found, typed = plaintext_secrets(profile), view(profile)
    known: dict[str, Any] = {"workspace": typed.workspace, "username": typed.username}
    if typed.host:
        try:
            normalize_host(typed.host, source=f"the host of profile {name!r}")
        except ConfigurationError as exc:  # e.g. user:password@ in the host: never shown
            reason = f"{exc}; fix it with: tiledb-client configure --profile {name} --overwrite"
            return MigrationItem(
                name, path, "profiles.json", "error", reason, tuple(found), **known
            )
    known["host"] = typed.host
    if not found:
        stored = typed.secret
        reason = f"already in the {stored.backend!r} backend" if stored else "holds no secret"
        return MigrationItem(name, path, "profiles.json", "skip", reason, **known)
    return _move(name, path, "profiles.json", found, stored=typed.secret, **known)


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
    both: dict[CredentialKind, str | None] = {"token": cloud.token, "password": cloud.password}
    found = {kind: value for kind, value in both.items() if value}
    workspace = workspace or (workspace_from_token(cloud.token) if cloud.token else None)
    known: dict[str, Any] = {
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
            target, path, "cloud.json", "error", problem, tuple(found), fix=fix, **known
        )
    return _move(target, path, "cloud.json", found, **known)


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


class MigrationError(ConfigurationError):
    """A migration failed and was undone; ``backups`` (plaintext) only where the undo failed."""

    def __init__(self, message: str, backups: list[Path]) -> None:
        super().__init__(message)
        self.backups = backups


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`apply_migration` did; each item ``remaining`` has a ``fix`` that resolves it."""

    plan: MigrationPlan
    moved: tuple[MigrationItem, ...]
    backend: str | None
    cleanup_problems: tuple[str, ...] = ()
    remaining: tuple[MigrationItem, ...] = ()


def apply_migration(plan: MigrationPlan) -> MigrationResult:
    """Carry out a plan: store the secrets, scrub the files, verify, drop replaced secrets.

    Raises MigrationError when a step failed (undone, or backups written), ConfigurationError
    when there is something to move but no backend (nothing changed).
    """
    moves, remaining = plan.moves, tuple(plan.errors)
    if not moves:
        return MigrationResult(plan, (), plan.backend, remaining=remaining)
    if plan.backend is None:
        raise ConfigurationError(plan.backend_problem or "No secret backend is available.")
    run = _Run(plan, moves)
    # One hold of the profile lock from the first secret stored to the replaced ones
    # deleted: a concurrent prune never sees the new secrets as orphans.
    with run.store.locked():
        try:
            run.back_up()
            run.store_secrets()
            run.rewrite_files()
            run.verify()
        except BaseException as exc:
            failure = run.undo(exc)
            if isinstance(exc, Exception):
                raise failure from exc
            raise
        leftovers = run.finish()
    for problem in leftovers:
        logger.warning("%s", problem)
    return MigrationResult(plan, tuple(moves), plan.backend, tuple(leftovers), remaining)


class _Run:
    """The steps of one run (docs/cli.md numbers them), remembering what to undo."""

    def __init__(self, plan: MigrationPlan, moves: list[MigrationItem]) -> None:
        self.moves = moves
        self.store = ProfileStore(plan.profile_file.parent)
        self.backend = get_backend(str(plan.backend))
        self.cloud_files = sorted({item.source for item in moves if item.origin == "cloud.json"})
        self.file_originals: dict[Path, bytes] = {}
        self.cloud_modes: dict[Path, int] = {}
        self.stored: list[str] = []  # backend keys written
        self.new: dict[str, tuple[SecretLocation, dict[CredentialKind, str]]] = {}  # by profile
        self.originals: dict[str, dict[str, str] | None] = {}
        self.profiles_written = False
        self.cloud_written: list[Path] = []

    def back_up(self) -> None:
        """Step 1, in memory: a copy on disk would outlive a kill (:meth:`undo` may write one)."""
        self.cloud_modes = {path: path.stat().st_mode & 0o777 for path in self.cloud_files}
        paths = [self.store.path] if self.store.exists() else []
        self.file_originals = {path: path.read_bytes() for path in [*paths, *self.cloud_files]}

    def store_secrets(self) -> None:
        """Step 2: every secret into the backend, under a fresh secret id per profile."""
        for item in self.moves:
            secrets = dict(item.secrets)
            auth: CredentialKind = "password" if item.auth == "password" else "token"
            if item.stored is not None and item.stored.secret_id:
                auth = self._carry_over(item.stored, secrets, auth)
            secret_id = new_secret_id(item.profile, self.store)
            for kind, value in secrets.items():
                key = secret_entry_key(secret_id, kind)
                self.stored.append(key)  # before set: a half-done set is cleaned up too
                self.backend.set(key, value)
            where = self.backend.location(secret_entry_key(secret_id, auth)) or ""
            location = SecretLocation(self.backend.name, secret_id, auth, where)
            self.new[item.profile] = location, secrets

    def _carry_over(
        self, existing: SecretLocation, secrets: dict[CredentialKind, str], auth: CredentialKind
    ) -> CredentialKind:
        """A profile with a stored secret and plaintext too: keep the stored kinds."""
        old = get_backend(existing.backend)
        kinds: tuple[CredentialKind, ...] = ("token", "password")
        for kind in kinds:
            value = None if kind in secrets else old.get(secret_entry_key(existing.secret_id, kind))
            if value:
                secrets[kind] = value
        return existing.auth if existing.auth in secrets else auth

    def rewrite_files(self) -> None:
        """Step 3: profiles.json under its lock, atomically; then cloud.json."""
        with self.store.edit() as profiles:
            for item in self.moves:
                current = profiles.get(item.profile)
                location = self.new[item.profile][0]
                if item.origin == "cloud.json":
                    if current is not None:
                        raise ConfigurationError(
                            f"A profile {item.profile!r} appeared while migrating; run again."
                        )
                    new = profile_entries(
                        str(item.host),
                        str(item.workspace),
                        username=item.username if item.auth == "password" else None,
                        tls=Tls(None if item.verify_ssl else False),
                        secret=location,
                    )
                else:
                    seen = (plaintext_secrets(current), view(current).secret) if current else None
                    if current is None or seen != (dict(item.secrets), item.stored):
                        raise ConfigurationError(
                            f"Profile {item.profile!r} changed while migrating; run again."
                        )
                    new = {**without_plaintext(current), **location.entries()}
                self.originals[item.profile] = current
                profiles[item.profile] = new
        self.profiles_written = True
        for path in self.cloud_files:
            self.cloud_written.append(path)
            scrub_cloud_json(path)

    def verify(self) -> None:
        """Step 4: read everything back."""
        current = self.store.read()
        for item in self.moves:
            profile = current.get(item.profile) or {}
            location, secrets = self.new[item.profile]
            written = view(profile).secret
            if plaintext_secrets(profile) or written is None or written[:2] != location[:2]:
                raise ConfigurationError(
                    f"Profile {item.profile!r} read back from {self.store.path} is not as written."
                )
            for kind, value in secrets.items():
                if self.backend.get(secret_entry_key(location.secret_id, kind)) != value:
                    raise ConfigurationError(
                        f"The {kind} of profile {item.profile!r} read back from the"
                        f" {self.backend.name!r} backend does not match what was stored."
                    )
        for path in self.cloud_files:
            cloud = read_cloud_json(path)
            if cloud is not None and cloud.has_secrets:
                raise ConfigurationError(f"{path} still holds a secret after scrubbing it.")

    def finish(self) -> list[str]:
        """Step 5: drop the replaced secrets; return what could not be done."""
        replaced = [item.stored for item in self.moves if item.stored and item.stored.secret_id]
        return [
            f"could not delete the replaced secrets of {old.secret_id}: {problem}"
            for old in replaced
            for problem in delete_profile_secrets(old)
        ]

    def undo(self, cause: BaseException) -> MigrationError:
        """Put files back, then delete the secrets stored; return the error to raise."""
        problems = self._restore_files()
        if not problems:  # a profile still naming a new secret keeps that secret
            for key in self.stored:
                try:
                    self.backend.delete(key)
                except ConfigurationError as exc:
                    problems.append(f"could not delete {key!r} from {self.backend.name!r}: {exc}")
        backups: list[Path] = []
        if problems:
            for path, data in self.file_originals.items():  # 0600, next to the original
                try:
                    backups.append(make_backup(path, data))
                except ConfigurationError as exc:
                    problems.append(str(exc))
        what = "Nothing was lost: every file is as it was."
        if problems:
            what = "Some steps could not be undone: " + "; ".join(problems) + "."
        if backups:
            what += (
                " Backups of the original files are kept (they hold the plaintext secrets; delete"
                f" them once you no longer need them): {', '.join(map(str, backups))}."
            )
        reason = str(cause) or type(cause).__name__
        logger.warning("migration failed and was undone: %s", reason)
        return MigrationError(f"The migration failed: {reason} {what}", backups)

    def _restore_files(self) -> list[str]:
        problems = []
        for path in self.cloud_written:
            try:
                replace_file(path, self.file_originals[path], self.cloud_modes[path])
            except ConfigurationError as exc:
                problems.append(str(exc))
        if not self.profiles_written:
            return problems
        try:
            with self.store.edit() as profiles:
                for name, original in self.originals.items():
                    location = view(profiles[name]).secret if name in profiles else None
                    if original is not None:
                        profiles[name] = original
                    elif location is not None and location.secret_id == self.new[name][0].secret_id:
                        profiles.pop(name)
        except ConfigurationError as exc:
            problems.append(f"could not restore {self.store.path}: {exc}")
        return problems
