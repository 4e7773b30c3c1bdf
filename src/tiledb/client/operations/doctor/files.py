"""Doctor checks of files: the profile file, the vault, ``cloud.json`` and leftover backups."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from tiledb.client.basics.errors import ConfigurationError
from tiledb.client.operations.doctor.findings import Finding
from tiledb.client.secrets.encrypted_file import vault_path
from tiledb.client.storage.legacy_files import default_cloud_json, find_backups, read_cloud_json
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["file_findings"]


def _mode_finding(path: Path, expected: int, what: str) -> Finding:
    mode = stat.S_IMODE(path.stat().st_mode)
    loose = mode & 0o077 & ~expected
    if os.name != "posix":
        return Finding("files", str(path), "info", f"{what}; permissions not checked here")
    if loose:
        return Finding(
            "files",
            str(path),
            "warning",
            f"{what}: mode {mode:04o}, other users can {'read' if loose & 0o044 else 'open'} it",
            f"chmod {expected:o} {shlex.quote(str(path))}",
        )
    return Finding("files", str(path), "ok", f"{what}: mode {mode:04o}")


def file_findings(store: ProfileStore) -> tuple[dict[str, dict[str, str]] | None, list[Finding]]:
    """Check the profile file, the vault, ``cloud.json`` and leftover backups.

    Returns the profiles (``None`` when the file cannot be read) and the findings.
    """
    findings: list[Finding] = []
    profiles: dict[str, dict[str, str]] | None = {}
    if store.directory.is_dir():
        findings.append(_mode_finding(store.directory, 0o700, "profile directory"))
    if store.exists():
        findings.append(_mode_finding(store.path, 0o600, "profile file"))
        try:
            profiles = store.read()
        except ConfigurationError as exc:
            profiles = None
            findings.append(
                Finding("files", str(store.path), "error", str(exc), "fix or move the file")
            )
    else:
        findings.append(
            Finding(
                "files", str(store.path), "info", "no profile file yet (tiledb-client configure)"
            )
        )
    vault = vault_path()
    if vault.is_file():
        findings.append(_mode_finding(vault.parent, 0o700, "vault directory"))
        findings.append(_mode_finding(vault, 0o600, "encrypted secrets vault"))
    else:
        findings.append(Finding("files", str(vault), "info", "no encrypted secrets vault"))
    cloud = default_cloud_json()
    try:
        legacy = read_cloud_json(cloud)
    except ConfigurationError as exc:
        findings.append(Finding("files", str(cloud), "warning", str(exc)))
    else:
        if legacy is not None and legacy.has_secrets:
            findings.append(
                Finding(
                    "files",
                    str(cloud),
                    "warning",
                    "legacy TileDB-Cloud-Py file holding a plaintext secret",
                    "tiledb-client migrate",
                )
            )
    for backup in sorted({*find_backups(store.directory), *find_backups(cloud.parent)}):
        findings.append(
            Finding(
                "files",
                str(backup),
                "warning",
                "backup left by a failed migration; it holds plaintext secrets",
                f"check nothing is missing, then: rm {shlex.quote(str(backup))}",
            )
        )
    return profiles, findings
