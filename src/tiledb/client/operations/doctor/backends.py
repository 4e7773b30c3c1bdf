"""Doctor checks of the secret backends: availability, the vault, the unlock agent, Vault."""

from __future__ import annotations

import os
import stat
import time

from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.doctor.findings import Finding, Severity, severity_for
from tiledb.client.secrets import passphrase, unlock_agent
from tiledb.client.secrets.diagnostics import BackendStatus, Selection
from tiledb.client.secrets.encrypted_file import vault_path
from tiledb.client.secrets.registry import BACKEND_ENV, get_backend
from tiledb.client.storage.profile_keys import ProfileView

__all__ = ["agent_findings", "backend_findings", "vault_findings", "vault_server_findings"]

_NEEDED = ("create", "read", "update", "delete")


def _users(profiles: dict[str, ProfileView], backend: str) -> list[str]:
    return [name for name, p in profiles.items() if p.secret and p.secret.backend == backend]


def backend_findings(
    statuses: list[BackendStatus],
    selection: Selection,
    profiles: dict[str, ProfileView],
    selected: str,
) -> list[Finding]:
    """One finding per backend (an error if the profile in use needs it); where new secrets go."""
    findings = []
    for status in statuses:
        users = _users(profiles, status.name)
        severity: Severity = "ok" if status.available else "info"
        fix = None
        if not status.available and users:
            severity = severity_for(selected, *users)
            fix = "make it available (see the reason), or reconfigure the profile with --backend"
        state = "available" if status.available else "unavailable"
        used = f" (used by {', '.join(sorted(users))})" if users else ""
        message = f"{state}: {status.reason}{used}"
        findings.append(Finding("backends", status.name, severity, message, fix, status.seconds))
    fix = None if selection.usable else "tiledb-client configure would fail until one is usable"
    message = f"would go to {selection.name or 'nothing'}: {selection.why}"
    severity = "ok" if selection.usable else "warning"
    return [*findings, Finding("backends", "new secrets", severity, message, fix)]


def vault_findings(selected: str, profiles: dict[str, ProfileView]) -> list[Finding]:
    """Unlock the vault (no prompt) if a profile uses it: passphrase and MAC; no entry read."""
    users = _users(profiles, "encrypted-file")
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
        fix = (
            "check TILEDB_CLIENT_PASSPHRASE / TILEDB_CLIENT_PASSPHRASE_FILE, or restore the"
            " vault from a backup"
        )
        severity = severity_for(selected, *users)
        message = f"cannot unlock {path}: {exc}"
        return [Finding("backends", "vault", severity, message, fix, time.perf_counter() - started)]
    message = f"{path} unlocks with the configured passphrase"
    return [Finding("backends", "vault", "ok", message, None, time.perf_counter() - started)]


def vault_server_findings(selected: str, profiles: dict[str, ProfileView]) -> list[Finding]:
    """Address, auth method, reachable, sealed, and what the policy allows on the entries.

    When a profile or ``$TILEDB_CLIENT_SECRET_BACKEND`` uses ``vault``; an error when the
    profile in use needs the server. Never shows a token.
    """
    users = _users(profiles, "vault")
    if not users and os.environ.get(BACKEND_ENV) != "vault":
        return []
    from tiledb.client.secrets.vault_kv import VaultBackend

    severity = severity_for(selected, *users)
    backend = VaultBackend()
    s = backend.settings()
    where = f"{s.address or '(no address)'}, {s.auth} login, entries in {s.policy_path()}"
    try:
        status = backend.status()
    except SecretBackendError as exc:
        return [Finding("backends", "vault server", severity, f"{where}: {exc.problem}", exc.hint)]
    if status.get("sealed"):
        fix = "unseal it (vault operator unseal / bao operator unseal)"
        return [Finding("backends", "vault server", severity, f"{where}: reachable, sealed", fix)]
    message = f"{where}: reachable, unsealed ({status.get('version', '?')})"
    findings = [Finding("backends", "vault server", "ok", message)]
    try:
        allowed = backend.capabilities()
    except SecretBackendError as exc:
        return [*findings, Finding("backends", "vault policy", severity, exc.problem, exc.hint)]
    missing = [c for c in _NEEDED if c not in allowed and "root" not in allowed]
    shown = ", ".join(allowed) or "nothing"
    if missing:
        fix = f'allow {", ".join(missing)} on path "{s.policy_path()}" in the policy'
        message = f"the policy allows {shown}, not {', '.join(missing)}"
        return [*findings, Finding("backends", "vault policy", severity, message, fix)]
    return [*findings, Finding("backends", "vault policy", "ok", f"allows {shown}: read and write")]


def _unsafe(path: str, mode: int) -> str | None:
    """Why ``path`` is not ours alone with at most ``mode``; ``None``: safe or absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & ~mode:
        return f"{path} has owner uid {info.st_uid} and mode {stat.S_IMODE(info.st_mode):04o}"
    return None


def agent_findings() -> list[Finding]:
    """Info when no agent runs; each vault it holds with the time left; an error if unsafe."""
    directory, path = unlock_agent.agent_dir(), unlock_agent.socket_path()
    problem = _unsafe(directory, 0o700) or _unsafe(path, 0o600)
    if problem is not None:
        fix = f"remove {directory}; `tiledb-client unlock` makes it again, 0700"
        return [Finding("backends", "unlock agent", "error", f"not safe: {problem}", fix)]
    try:
        status = unlock_agent.call({"op": "status"})
    except SecretBackendError as exc:
        return [Finding("backends", "unlock agent", "warning", exc.problem, exc.hint)]
    if status is None:
        return [Finding("backends", "unlock agent", "info", "not running")]
    memory = "memory locked" if status.get("memory_locked") else "memory not locked"
    findings = []
    for item in status.get("unlocked", []):
        expires = item.get("expires")
        left = (
            "no time limit" if expires is None else f"{(expires - time.time()) / 60:.0f} min left"
        )
        message = f"running (pid {status.get('pid')}, {memory}), holds {item['vault']}: {left}"
        findings.append(Finding("backends", "unlock agent", "ok", message))
    return findings or [Finding("backends", "unlock agent", "info", "running, holds no vault")]
