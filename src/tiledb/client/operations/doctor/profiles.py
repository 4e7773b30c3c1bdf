"""Doctor checks of profiles: is each profile's secret where the profile says."""

from __future__ import annotations

import os
import shlex

from tiledb.client.operations.doctor.findings import Finding, severity_for
from tiledb.client.operations.profile_admin import list_profiles
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["profile_findings"]

_ENV_CREDENTIALS = ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD")


def profile_findings(
    selected: str, store: ProfileStore, profiles: dict[str, dict[str, str]]
) -> list[Finding]:
    """Return one finding per profile: is its secret where the profile says."""
    findings = []
    env_credential = next((v for v in _ENV_CREDENTIALS if os.environ.get(v)), None)
    if selected not in profiles:
        if env_credential:
            message = f"no profile {selected!r}; the credentials come from {env_credential}"
            findings.append(Finding("profiles", selected, "ok", message))
        else:
            findings.append(
                Finding(
                    "profiles",
                    selected,
                    "error",
                    f"no profile {selected!r} in {store.path} and no TILEDB_REST_TOKEN: a login"
                    " has no credentials",
                    f"tiledb-client configure --profile {shlex.quote(selected)} --host HOST ...",
                )
            )
    for info in list_profiles(store.directory):
        name = shlex.quote(info.name)
        reconfigure = f"tiledb-client configure --profile {name} --overwrite ..."
        if info.state == "present":
            password = info.auth == "password"
            expiry = _session_expiry(profiles.get(info.name) or {}) if password else ""
            finding = Finding(
                "profiles", info.name, "ok", f"{info.auth} in the {info.backend!r} backend{expiry}"
            )
        elif info.state == "plaintext":
            finding = Finding(
                "profiles",
                info.name,
                "warning",
                f"{info.auth} kept in plain text in {store.path}",
                f"tiledb-client migrate --profile {name}",
            )
        elif info.state == "none":
            finding = Finding(
                "profiles",
                info.name,
                severity_for(info.name, selected) if not env_credential else "info",
                "holds no credential",
                reconfigure,
            )
        elif info.state == "missing":
            finding = Finding(
                "profiles",
                info.name,
                severity_for(info.name, selected),
                info.secret_detail,
                reconfigure,
            )
        else:
            finding = Finding(
                "profiles",
                info.name,
                severity_for(info.name, selected),
                f"cannot check its {info.auth} in the {info.backend!r} backend:"
                f" {info.secret_detail}",
                "make the backend available (see backends above)",
            )
        findings.append(finding)
    return findings


def _session_expiry(profile: dict[str, str]) -> str:
    """``"; its session token expires ..."`` for a password profile's cached token, or ``""``."""
    from tiledb.client.errors import SecretBackendError
    from tiledb.client.session.session_tokens import cache_slot_of_profile, load_cached_token
    from tiledb.client.storage.profile_keys import view

    try:
        slot = cache_slot_of_profile(view(profile))
        cached = load_cached_token(slot) if slot is not None else None
    except SecretBackendError:
        return ""
    if cached is None:
        return "; no session token cached (the next login makes one)"
    token, _ = cached
    if token.expires_at is None:
        return "; its cached session token has no expiry"
    from datetime import datetime, timezone

    when = token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if token.expires_at <= datetime.now(timezone.utc):
        return f"; its cached session token expired at {when} (the next login makes one)"
    return f"; its cached session token expires {when}, renewed by a process holding it at 80 %"
