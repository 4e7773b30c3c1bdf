"""Move plaintext secrets of profiles (and ``cloud.json``) into a secret backend, and scrub them.

:func:`plan_migration` changes nothing (``--dry-run``); :func:`apply_migration` carries a
plan out in the steps docs/cli.md ("migrate") gives, under one hold of the profile lock,
and undoes a failed run (0600 backups only when it cannot).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from tiledb.client.basics.inputs import CredentialKind
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.migration_plan import MigrationItem, MigrationPlan, plan_migration
from tiledb.client.operations.profile_secrets import delete_profile_secrets, new_secret_id
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage.legacy_files import (
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
        self.backups: dict[Path, Path] = {}
        self.file_originals: dict[Path, bytes] = {}
        self.cloud_modes: dict[Path, int] = {}
        self.stored: list[str] = []  # backend keys written
        self.ids: dict[str, str] = {}  # profile: its new secret id
        self.auth: dict[str, CredentialKind] = {}
        self.secrets: dict[str, dict[CredentialKind, str]] = {}
        self.originals: dict[str, dict[str, str] | None] = {}
        self.replaced: list[SecretLocation] = []
        self.profiles_written = False
        self.cloud_written: list[Path] = []

    def back_up(self) -> None:
        """Step 1, in memory: a copy on disk would outlive a kill (:meth:`undo` may write one)."""
        self.cloud_modes = {path: path.stat().st_mode & 0o777 for path in self.cloud_files}
        paths = [self.store.path] if self.store.exists() else []
        self.file_originals = {path: path.read_bytes() for path in [*paths, *self.cloud_files]}

    def store_secrets(self) -> None:
        """Step 2: every secret into the backend, under a fresh secret id per profile."""
        current = self.store.read()
        for item in self.moves:
            secrets = dict(item.secrets)
            auth: CredentialKind = "password" if item.auth == "password" else "token"
            existing = current.get(item.profile) if item.origin == "profiles.json" else None
            location = view(existing).secret if existing is not None else None
            if location is not None and location.secret_id:
                auth = self._carry_over(location, secrets, auth)
            secret_id = new_secret_id(item.profile, self.store)
            for kind, value in secrets.items():
                key = secret_entry_key(secret_id, kind)
                self.stored.append(key)  # before set: a half-done set is cleaned up too
                self.backend.set(key, value)
            self.ids[item.profile], self.auth[item.profile] = secret_id, auth
            self.secrets[item.profile] = secrets

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
                if item.origin == "profiles.json":
                    if current is None or plaintext_secrets(current) != dict(item.secrets):
                        raise ConfigurationError(
                            f"Profile {item.profile!r} changed while migrating; run again."
                        )
                    self.originals[item.profile] = dict(current)
                    replaced = view(current).secret
                    if replaced is not None and replaced.secret_id:
                        self.replaced.append(replaced)
                    new = without_plaintext(current)
                else:
                    if current is not None:
                        raise ConfigurationError(
                            f"A profile {item.profile!r} appeared while migrating; run again."
                        )
                    self.originals[item.profile] = None
                    new = profile_entries(
                        str(item.host),
                        str(item.workspace),
                        username=item.username if item.auth == "password" else None,
                        tls=Tls(None if item.verify_ssl else False),
                    )
                auth, secret_id = self.auth[item.profile], self.ids[item.profile]
                where = self.backend.location(secret_entry_key(secret_id, auth)) or ""
                new.update(SecretLocation(self.backend.name, secret_id, auth, where).entries())
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
            secret_id = self.ids[item.profile]
            location = view(profile).secret
            written = location is not None and location[:2] == (self.backend.name, secret_id)
            if plaintext_secrets(profile) or not written:
                raise ConfigurationError(
                    f"Profile {item.profile!r} read back from {self.store.path} is not as written."
                )
            for kind, value in self.secrets[item.profile].items():
                if self.backend.get(secret_entry_key(secret_id, kind)) != value:
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
        return [
            f"could not delete the replaced secrets of {old.secret_id}: {problem}"
            for old in self.replaced
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
        if problems:
            for path, data in self.file_originals.items():  # 0600, next to the original
                try:
                    self.backups[path] = make_backup(path, data)
                except ConfigurationError as exc:
                    problems.append(str(exc))
        backups = list(self.backups.values())
        what = "Nothing was lost: every file is as it was."
        if problems:
            what = "Some steps could not be undone: " + "; ".join(problems) + "."
        where = (
            " Backups of the original files are kept (they hold the plaintext secrets; delete"
            f" them once you no longer need them): {', '.join(str(path) for path in backups)}."
            if backups
            else ""
        )
        reason = str(cause) or type(cause).__name__
        logger.warning("migration failed and was undone: %s", reason)
        return MigrationError(f"The migration failed: {reason} {what}{where}", backups)

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
                    elif location is not None and location.secret_id == self.ids.get(name):
                        profiles.pop(name)
        except ConfigurationError as exc:
            problems.append(f"could not restore {self.store.path}: {exc}")
        return problems
