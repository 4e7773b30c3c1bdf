"""File and environment checks of :mod:`tiledb.client.doctor` (nothing here uses the network)."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from tiledb.client import profiles as keys
from tiledb.client.doctor import Finding
from tiledb.client.errors import ConfigurationError
from tiledb.client.legacy_files import default_cloud_json, find_backups, read_cloud_json
from tiledb.client.profiles import ProfileStore

__all__ = ["environment_findings", "file_findings"]


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
    from tiledb.client.secrets.encrypted_file import vault_path

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


def environment_findings(
    name: str, store: ProfileStore, profiles: dict[str, dict[str, str]] | None
) -> list[Finding]:
    """Check environment variables: valid values, and which ones shadow the profile."""
    from tiledb.client.secrets.keyring_backend import keyring_timeout

    findings = []
    try:
        keyring_timeout()
    except ConfigurationError as exc:
        findings.append(
            Finding("environment", "TILEDB_CLIENT_KEYRING_TIMEOUT", "error", str(exc), "unset it")
        )
    directory = os.environ.get(keys.PROFILE_DIR_ENV)
    if directory and not Path(directory).expanduser().is_dir():
        findings.append(
            Finding(
                "environment",
                keys.PROFILE_DIR_ENV,
                "warning",
                f"names {directory}, which is not a directory (TileDB core refuses to make a"
                " context then)",
                f"create it, or unset {keys.PROFILE_DIR_ENV}",
            )
        )
    if profiles:
        findings.extend(_shadow_findings(name, store, profiles))
    return findings


def _shadow_findings(
    name: str, store: ProfileStore, profiles: dict[str, dict[str, str]]
) -> list[Finding]:
    """Environment variables that win over the profile in use (no secret is read)."""
    from tiledb.client.settings import SETTINGS

    profile = profiles.get(name)
    if profile is None:
        return []
    findings = []
    where = f"profile {name!r} ({store.path})"
    stored = bool(profile.get(keys.SECRET_BACKEND) or profile.get(keys.TOKEN))
    stored = stored or bool(profile.get(keys.PASSWORD))
    for variable in ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD"):
        if os.environ.get(variable) and stored:
            findings.append(
                Finding(
                    "environment",
                    variable,
                    "warning",
                    f"{variable} shadows the credentials stored in {where}",
                    f"unset {variable} to use the stored credentials",
                )
            )
            break
    for setting in SETTINGS:
        if setting.secret or not setting.profile_key:
            continue
        if os.environ.get(setting.env) and profile.get(setting.profile_key):
            findings.append(
                Finding(
                    "environment",
                    setting.env,
                    "info",
                    f"{setting.env} overrides the {setting.name} of {where}",
                )
            )
    return findings
