"""Doctor checks of profiles: is each profile's secret where it says, and orphan secrets."""

from __future__ import annotations

import os
import shlex
import time
from datetime import datetime, timezone

from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.doctor.findings import Finding, severity_for
from tiledb.client.operations.profile_admin import list_profiles
from tiledb.client.operations.profile_secrets import find_orphans
from tiledb.client.secrets.diagnostics import BackendStatus
from tiledb.client.secrets.encrypted_file import vault_path
from tiledb.client.session.session_tokens import cache_slot_of_profile, load_cached_token
from tiledb.client.storage.profile_keys import view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_dir

__all__ = ["orphan_findings", "profile_findings"]

_ENV_CREDENTIALS = ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD")


def profile_findings(
    selected: str, store: ProfileStore, profiles: dict[str, dict[str, str]]
) -> list[Finding]:
    """Return one finding per profile: is its secret where the profile says."""
    findings = []
    env_credential = next((v for v in _ENV_CREDENTIALS if os.environ.get(v)), None)
    if selected not in profiles and env_credential:
        message = f"no profile {selected!r}; the credentials come from {env_credential}"
        findings.append(Finding("profiles", selected, "ok", message))
    elif selected not in profiles:
        message = (
            f"no profile {selected!r} in {store.path} and no TILEDB_REST_TOKEN: a login has"
            " no credentials"
        )
        command = f"tiledb-client configure --profile {shlex.quote(selected)} --host HOST ..."
        findings.append(Finding("profiles", selected, "error", message, command))
    for info in list_profiles(store.directory, read=profiles):
        name = shlex.quote(info.name)
        severity = severity_for(selected, info.name)
        fix: str | None = f"tiledb-client configure --profile {name} --overwrite ..."
        if info.state == "present":
            expiry = _session_expiry(profiles[info.name]) if info.auth == "password" else ""
            severity, fix = "ok", None
            message = f"{info.auth} in the {info.backend!r} backend{expiry}"
        elif info.state == "plaintext":
            severity, fix = "warning", f"tiledb-client migrate --profile {name}"
            message = f"{info.auth} kept in plain text in {store.path}"
        elif info.state == "none":
            severity = "info" if env_credential else severity
            message = "holds no credential"
        elif info.state == "missing":
            message = info.secret_detail
        else:
            fix = "make the backend available (see backends above)"
            message = (
                f"cannot check its {info.auth} in the {info.backend!r} backend:"
                f" {info.secret_detail}"
            )
        findings.append(Finding("profiles", info.name, severity, message, fix))
    return findings


def _session_expiry(profile: dict[str, str]) -> str:
    """``"; its session token expires ..."`` for a password profile's cached token, or ``""``."""
    try:
        slot = cache_slot_of_profile(view(profile))
        cached = load_cached_token(slot) if slot is not None else None
    except SecretBackendError:
        return ""
    if cached is None:
        return "; no session token cached (the next login makes one)"
    expires = cached[0].expires_at
    if expires is None:
        return "; its cached session token has no expiry"
    when = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    if expires <= datetime.now(timezone.utc):
        return f"; its cached session token expired at {when} (the next login makes one)"
    return f"; its cached session token expires {when}, renewed by a process holding it at 80 %"


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
    why = (
        f"no profile of {store.path} names it (left by an interrupted configure, delete or"
        " migrate, or by another tool replacing the profile)"
    )
    fix = "tiledb-client profile prune"
    if store.directory != resolve_profile_dir(None):
        fix += f" --profile-dir {shlex.quote(str(store.directory))}"
    findings = [
        Finding(
            "profiles",
            o.key,
            "warning",
            f"orphan secret in the {o.backend!r} backend: {why}",
            fix,
            seconds,
        )
        for o in report.orphans
    ]
    for backend, why in report.not_searched:
        message = f"not searched for orphan secrets: {why}"
        findings.append(Finding("profiles", f"{backend} backend", "info", message))
    return findings
