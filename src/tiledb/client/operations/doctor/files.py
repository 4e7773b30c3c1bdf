"""Doctor checks of files: the profile file, the vault, ``cloud.json`` and leftover backups."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from tiledb.client.basics.file_safety import group_can_write, others_can_change, others_can_read
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.doctor.findings import Finding, Severity
from tiledb.client.secrets import passphrase
from tiledb.client.secrets.encrypted_file import vault_path
from tiledb.client.storage.legacy_files import default_cloud_json, find_backups, read_cloud_json
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["file_findings"]

_REDIRECT = "another user could point a profile at their server and receive its token"


def _mode_finding(path: Path, expected: int, what: str, *, refused: str | None = None) -> Finding:
    """Who besides you can change or read ``path``; an error where ``refused`` says why."""
    if os.name != "posix":
        return Finding("files", str(path), "info", f"{what}; permissions not checked here")
    mode = stat.S_IMODE(path.stat().st_mode)
    quoted = shlex.quote(str(path))
    fix = f"chmod {expected:o} {quoted}"
    change = others_can_change(path)
    if change is not None:
        if "owned by" in change:
            fix = f'chown "$(id -un)" {quoted} && {fix}'
        why = f" (refused: {refused})" if refused else ""
        severity: Severity = "error" if refused else "warning"
        message = f"{what}: mode {mode:04o}, {change}{why}"
        return Finding("files", str(path), severity, message, fix)
    loose = group_can_write(path)
    if loose is None and mode & 0o077 & ~expected:
        loose = others_can_read(path) or "other users can open it"
    if loose is not None:
        return Finding("files", str(path), "warning", f"{what}: mode {mode:04o}, {loose}", fix)
    return Finding("files", str(path), "ok", f"{what}: mode {mode:04o}")


def _passphrase_file_findings() -> list[Finding]:
    source = passphrase.configured_source()
    if source is None or source.path is None or not source.path.is_file():
        return []
    why = "another user could choose the passphrase of a new vault"
    return [_mode_finding(source.path, 0o600, "vault passphrase file", refused=why)]


def file_findings(store: ProfileStore) -> tuple[dict[str, dict[str, str]] | None, list[Finding]]:
    """Check the profile file, the vault, ``cloud.json``, backups; return profiles and findings."""
    findings: list[Finding] = []
    profiles: dict[str, dict[str, str]] | None = {}
    if store.directory.is_dir():
        what = "profile directory"
        findings.append(_mode_finding(store.directory, 0o700, what, refused=_REDIRECT))
    if store.exists():
        findings.append(_mode_finding(store.path, 0o600, "profile file", refused=_REDIRECT))
        try:
            profiles = store.read()
        except ConfigurationError as exc:
            profiles = None
            if not any(finding.severity == "error" for finding in findings):  # not said yet
                findings.append(
                    Finding("files", str(store.path), "error", str(exc), "fix or move the file")
                )
    elif store.path.exists() or (store.directory.exists() and not store.directory.is_dir()):
        profiles = None
        where = store.path if store.path.exists() else store.directory
        message = f"{where} exists but is not a {'file' if where == store.path else 'directory'}"
        fix = f"move {where} away: the profiles are kept in {store.path}"
        findings.append(Finding("files", str(store.path), "error", message, fix))
    else:
        message = "no profile file yet (tiledb-client configure)"
        findings.append(Finding("files", str(store.path), "info", message))
    vault = vault_path()
    if vault.is_file():
        findings.append(_mode_finding(vault.parent, 0o700, "vault directory"))
        findings.append(_mode_finding(vault, 0o600, "encrypted secrets vault"))
    else:
        findings.append(Finding("files", str(vault), "info", "no encrypted secrets vault"))
    findings.extend(_passphrase_file_findings())
    cloud = default_cloud_json()
    try:
        legacy = read_cloud_json(cloud)
    except ConfigurationError as exc:
        findings.append(Finding("files", str(cloud), "warning", str(exc)))
    else:
        if legacy is not None and legacy.has_secrets:
            message = "legacy TileDB-Cloud-Py file holding a plaintext secret"
            findings.append(
                Finding("files", str(cloud), "warning", message, "tiledb-client migrate")
            )
    message = "backup left by a failed migration; it holds plaintext secrets"
    for backup in sorted({*find_backups(store.directory), *find_backups(cloud.parent)}):
        fix = f"check nothing is missing, then: rm {shlex.quote(str(backup))}"
        findings.append(Finding("files", str(backup), "warning", message, fix))
    return profiles, findings
