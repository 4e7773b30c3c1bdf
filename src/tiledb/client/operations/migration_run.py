"""The steps of one migration run, and how each is undone.

The order of the steps is described in ``operations/migrate.py``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tiledb.client.basics.inputs import CredentialKind
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.migration_plan import MigrationItem, MigrationPlan, plaintext_secrets
from tiledb.client.operations.profile_secrets import delete_profile_secrets, new_secret_id
from tiledb.client.secrets.base import SecretKind, secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage import profile_keys
from tiledb.client.storage.legacy_files import (
    make_backup,
    read_cloud_json,
    replace_file,
    scrub_cloud_json,
)
from tiledb.client.storage.profile_keys import (
    PLAINTEXT_SECRET_KEYS,
    SecretLocation,
    secret_location,
)
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["MigrationError", "MigrationRun"]

logger = logging.getLogger(__name__)

_CARRIED: tuple[SecretKind, ...] = ("token", "password")


class MigrationError(ConfigurationError):
    """A migration failed and was undone; ``backups`` (plaintext) only where the undo failed."""

    def __init__(self, message: str, backups: list[Path]) -> None:
        super().__init__(message)
        self.backups = backups


def _cloud_profile(item: MigrationItem) -> dict[str, str]:
    profile = {profile_keys.HOST: str(item.host), profile_keys.WORKSPACE: str(item.workspace)}
    if item.username and item.auth == "password":
        profile[profile_keys.USERNAME] = item.username
    if not item.verify_ssl:
        profile[profile_keys.VERIFY_SSL] = "false"
        profile[profile_keys.VERIFY_SSL_LEGACY] = "false"
    return profile


class MigrationRun:
    """Carries out the moves of a plan, remembering what to undo."""

    def __init__(self, plan: MigrationPlan, moves: list[MigrationItem]) -> None:
        self.plan, self.moves = plan, moves
        self.store = ProfileStore(plan.profile_file.parent)
        self.backend = get_backend(str(plan.backend))
        self.cloud_files = sorted({item.source for item in moves if item.origin == "cloud.json"})
        self.backups: dict[Path, Path] = {}
        self.file_originals: dict[Path, bytes] = {}
        self.cloud_originals: dict[Path, tuple[bytes, int]] = {}
        self.stored: list[str] = []
        self.ids: dict[str, str] = {}
        self.auth: dict[str, CredentialKind] = {}
        self.secrets: dict[str, dict[SecretKind, str]] = {}
        self.originals: dict[str, dict[str, str] | None] = {}
        self.replaced: list[dict[str, str]] = []
        self.profiles_written = False
        self.cloud_written: list[Path] = []

    # -- the steps ----------------------------------------------------------------------

    def back_up(self) -> None:
        """Step 1: the content of every file that will change, in memory.

        Not on disk, where a copy of plaintext secrets would outlive a kill; :meth:`undo`
        writes backups only when it cannot put a file back.
        """
        for path in self.cloud_files:
            self.cloud_originals[path] = (path.read_bytes(), path.stat().st_mode & 0o777)
        paths = [self.store.path] if self.store.exists() else []
        for path in [*paths, *self.cloud_files]:
            self.file_originals[path] = path.read_bytes()

    def store_secrets(self) -> None:
        """Step 2: every secret into the backend, under a fresh secret id per profile."""
        current = self.store.read()
        for item in self.moves:
            secrets: dict[SecretKind, str] = dict(item.secrets)
            auth: CredentialKind = "password" if item.auth == "password" else "token"
            existing = current.get(item.profile) if item.origin == "profiles.json" else None
            location = secret_location(existing)
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
        self, existing: SecretLocation, secrets: dict[SecretKind, str], auth: CredentialKind
    ) -> CredentialKind:
        """A profile with a stored secret and plaintext too: keep the stored kinds."""
        old = get_backend(existing.backend)
        for kind in _CARRIED:
            if kind not in secrets:
                value = old.get(secret_entry_key(existing.secret_id, kind))
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
                    location = secret_location(current)
                    if location is not None and location.secret_id:
                        self.replaced.append(dict(current))
                    new = {k: v for k, v in current.items() if k not in PLAINTEXT_SECRET_KEYS}
                else:
                    if current is not None:
                        raise ConfigurationError(
                            f"A profile {item.profile!r} appeared while migrating; run again."
                        )
                    self.originals[item.profile] = None
                    new = _cloud_profile(item)
                auth = self.auth[item.profile]
                secret_id = self.ids[item.profile]
                where = self.backend.location(secret_entry_key(secret_id, auth)) or ""
                location = SecretLocation(self.backend.name, secret_id, auth, where)
                new.update(location.entries())
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
            location = secret_location(profile)
            if (
                plaintext_secrets(profile)
                or location is None
                or location[:2]
                != (
                    self.backend.name,
                    secret_id,
                )
            ):
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
        problems: list[str] = []
        for old in self.replaced:
            location = secret_location(old)
            problems.extend(
                f"could not delete the replaced secrets of {location and location.secret_id}:"
                f" {problem}"
                for problem in delete_profile_secrets(old)
            )
        return problems

    # -- undo -------------------------------------------------------------------------------

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
            problems.extend(self._write_backups())
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

    def _write_backups(self) -> list[str]:
        """Write a 0600 copy of each original file next to it; return what failed."""
        problems = []
        for path, data in self.file_originals.items():
            try:
                self.backups[path] = make_backup(path, data)
            except ConfigurationError as exc:
                problems.append(str(exc))
        return problems

    def _restore_files(self) -> list[str]:
        problems = []
        for path in self.cloud_written:
            data, mode = self.cloud_originals[path]
            try:
                replace_file(path, data, mode)
            except ConfigurationError as exc:
                problems.append(str(exc))
        if not self.profiles_written:
            return problems
        try:
            with self.store.edit() as profiles:
                for name, original in self.originals.items():
                    location = secret_location(profiles.get(name))
                    if original is not None:
                        profiles[name] = original
                    elif location is not None and location.secret_id == self.ids.get(name):
                        profiles.pop(name)
        except ConfigurationError as exc:
            problems.append(f"could not restore {self.store.path}: {exc}")
        return problems
