"""Doctor checks of the secret backends: each one's availability, and the vault's passphrase."""

from __future__ import annotations

import time

from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.doctor.findings import Finding, Severity
from tiledb.client.secrets import passphrase
from tiledb.client.secrets.diagnostics import BackendStatus, Selection
from tiledb.client.secrets.encrypted_file import vault_path
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage import profile_keys

__all__ = ["backend_findings", "vault_findings"]


def backend_findings(
    statuses: list[BackendStatus],
    selection: Selection,
    profiles: dict[str, dict[str, str]],
    selected: str,
) -> list[Finding]:
    """One finding per backend (an error if the profile in use needs it); where new secrets go."""
    findings = []
    for status in statuses:
        users = profile_keys.backend_users(profiles, status.name)
        if status.available:
            severity: Severity = "ok"
        elif selected in users:
            severity = "error"
        else:
            severity = "warning" if users else "info"
        state = "available" if status.available else "unavailable"
        used = f" (used by {', '.join(users)})" if users else ""
        fix = None
        if not status.available and users:
            fix = "make it available (see the reason), or reconfigure the profile with --backend"
        findings.append(
            Finding(
                "backends",
                status.name,
                severity,
                f"{state}: {status.reason}{used}",
                fix,
                status.seconds,
            )
        )
    findings.append(
        Finding(
            "backends",
            "new secrets",
            "ok" if selection.usable else "warning",
            f"would go to {selection.name or 'nothing'}: {selection.why}",
            None if selection.usable else "tiledb-client configure would fail until one is usable",
        )
    )
    return findings


def vault_findings(selected: str, profiles: dict[str, dict[str, str]]) -> list[Finding]:
    """Unlock the vault (no prompt) if a profile uses it: passphrase and MAC; no entry read."""
    users = profile_keys.backend_users(profiles, "encrypted-file")
    path = vault_path()
    if not users or not path.is_file():
        return []
    if passphrase.configured_source() is None:
        if not passphrase.terminal_prompt_possible():
            return []  # the backend's own finding says there is no passphrase source
        message = (
            f"{path} is unlocked by the terminal prompt when a login needs it; doctor never"
            " prompts, so the passphrase was not checked"
        )
        return [Finding("backends", "vault", "info", message)]
    started = time.perf_counter()
    try:
        get_backend("encrypted-file").get("probe: tiledb-client doctor")  # never stored
    except ConfigurationError as exc:
        return [
            Finding(
                "backends",
                "vault",
                "error" if selected in users else "warning",
                f"cannot unlock {path}: {exc}",
                "check TILEDB_CLIENT_PASSPHRASE / TILEDB_CLIENT_PASSPHRASE_FILE, or restore the"
                " vault from a backup",
                time.perf_counter() - started,
            )
        ]
    message = f"{path} unlocks with the configured passphrase"
    return [Finding("backends", "vault", "ok", message, None, time.perf_counter() - started)]
