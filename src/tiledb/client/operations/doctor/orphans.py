"""Doctor check of orphan secrets: entries in our backends that no profile names."""

from __future__ import annotations

import shlex
import time

from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.doctor.findings import Finding
from tiledb.client.operations.orphan_secrets import find_orphans
from tiledb.client.secrets.diagnostics import BackendStatus
from tiledb.client.secrets.encrypted_file import vault_path
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_dir

__all__ = ["orphan_findings"]


def prune_command(store: ProfileStore) -> str:
    """Return the command removing the orphans of ``store``: ``"tiledb-client profile prune"``."""
    command = "tiledb-client profile prune"
    if store.directory != resolve_profile_dir(None):
        command += f" --profile-dir {shlex.quote(str(store.directory))}"
    return command


def orphan_findings(store: ProfileStore, statuses: list[BackendStatus]) -> list[Finding]:
    """One warning per orphan secret of the profile file; a note per backend not searched.

    Every available backend is searched, and the vault when its file exists (its entry names
    are in clear); nothing is read out or deleted.
    """
    names = [status.name for status in statuses if status.available]
    if "encrypted-file" not in names and vault_path().is_file():
        names.append("encrypted-file")
    started = time.perf_counter()
    try:
        report = find_orphans(store.directory, backends=names)
    except ConfigurationError:
        return []  # the profile file cannot be read: the files section says so
    seconds = time.perf_counter() - started
    fix = prune_command(store)
    findings = [
        Finding(
            "profiles",
            orphan.key,
            "warning",
            f"orphan secret in the {orphan.backend!r} backend: no profile of {store.path}"
            " names it (left by an interrupted configure, delete or migrate, or by another"
            " tool replacing the profile)",
            fix,
            seconds,
        )
        for orphan in report.orphans
    ]
    findings.extend(
        Finding(
            "profiles",
            f"{backend} backend",
            "info",
            f"not searched for orphan secrets: {why}",
        )
        for backend, why in report.not_searched
    )
    return findings
