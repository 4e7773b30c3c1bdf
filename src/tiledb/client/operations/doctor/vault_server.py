"""Doctor check of the Vault/OpenBao server behind the ``vault`` backend; never shows a token."""

from __future__ import annotations

import os

from tiledb.client.errors import SecretBackendError
from tiledb.client.operations.doctor.findings import Finding, Severity
from tiledb.client.secrets.registry import BACKEND_ENV
from tiledb.client.secrets.vault_kv import VaultBackend
from tiledb.client.storage import profile_keys

__all__ = ["vault_server_findings"]

_NEEDED = ("create", "read", "update", "delete")


def vault_server_findings(selected: str, profiles: dict[str, dict[str, str]]) -> list[Finding]:
    """Address, auth method, reachable, sealed, and what the policy allows on the entries.

    When a profile or ``$TILEDB_CLIENT_SECRET_BACKEND`` uses ``vault``; an error when the
    profile in use needs the server.
    """
    users = profile_keys.backend_users(profiles, "vault")
    if not users and os.environ.get(BACKEND_ENV) != "vault":
        return []
    severity: Severity = "error" if selected in users else "warning"
    backend = VaultBackend()
    s = backend.settings()
    where = f"{s.address or '(no address)'}, {s.auth} login, entries in {s.policy_path()}"
    try:
        status = backend.status()
    except SecretBackendError as exc:
        return [Finding("backends", "vault server", severity, f"{where}: {exc.problem}", exc.hint)]
    version = f"{status.get('version', '?')}"
    if status.get("sealed"):
        fix = "unseal it (vault operator unseal / bao operator unseal)"
        return [Finding("backends", "vault server", severity, f"{where}: reachable, sealed", fix)]
    findings = [
        Finding("backends", "vault server", "ok", f"{where}: reachable, unsealed ({version})")
    ]
    try:
        allowed = backend.capabilities()
    except SecretBackendError as exc:
        findings.append(Finding("backends", "vault policy", severity, exc.problem, exc.hint))
        return findings
    missing = [c for c in _NEEDED if c not in allowed and "root" not in allowed]
    shown = ", ".join(allowed) or "nothing"
    if missing:
        fix = f'allow {", ".join(missing)} on path "{s.policy_path()}" in the policy'
        message = f"the policy allows {shown}, not {', '.join(missing)}"
        findings.append(Finding("backends", "vault policy", severity, message, fix))
    else:
        findings.append(
            Finding("backends", "vault policy", "ok", f"allows {shown}: read and write")
        )
    return findings
