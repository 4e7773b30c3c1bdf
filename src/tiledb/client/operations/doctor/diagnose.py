"""Diagnose the credential setup: backends, files, environment, profiles, orphan secrets, hosts.

A problem of the profile in use is an ``"error"``, of another profile a ``"warning"``. Only
the credential of the profile in use is read, as a login reads it, to ask the server
whether it accepts it (never shown); nothing prompts, and each check runs through
:func:`_checked`, so a check that fails becomes a finding: the report always comes out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tiledb.client.errors import ExplainedError
from tiledb.client.operations.doctor.backends import backend_findings, vault_findings
from tiledb.client.operations.doctor.coexistence import coexistence_findings
from tiledb.client.operations.doctor.credentials import credential_findings
from tiledb.client.operations.doctor.environment import environment_findings, environment_in_effect
from tiledb.client.operations.doctor.files import file_findings
from tiledb.client.operations.doctor.findings import DoctorReport, Finding
from tiledb.client.operations.doctor.hosts import host_findings
from tiledb.client.operations.doctor.orphans import orphan_findings
from tiledb.client.operations.doctor.profiles import profile_findings
from tiledb.client.operations.doctor.tls import tls_findings
from tiledb.client.operations.doctor.vault_server import vault_server_findings
from tiledb.client.secrets.diagnostics import (
    BackendStatus,
    Selection,
    backend_statuses,
    explain_selection,
)
from tiledb.client.storage import profile_keys
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

__all__ = ["diagnose"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _describe(exc: BaseException) -> str:
    """One line about a failure; only our own messages are quoted (others may hold anything)."""
    if isinstance(exc, ExplainedError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{type(exc).__name__} ({exc.strerror}{where})"
    return type(exc).__name__


def _checked(
    section: str, what: str, check: Callable[[], T], fallback: T, findings: list[Finding]
) -> T:
    """Run one check; on any exception add an ``"error"`` finding and return ``fallback``."""
    try:
        return check()
    except Exception as exc:
        logger.debug("doctor check %r failed", what, exc_info=True)
        findings.append(
            Finding(
                section,
                what,
                "error",
                f"this check could not finish: {_describe(exc)}",
                "fix what the message names; `tiledb-client -v doctor` shows the traceback",
            )
        )
        return fallback


def diagnose(
    profile_name: str | None = None,
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    network: bool = True,
    host_timeout: float = 5.0,
) -> DoctorReport:
    """Check everything a login depends on; never raises for a broken setup.

    With ``network``, each profile's host must answer (any HTTP answer counts) within
    ``host_timeout`` seconds.
    """
    findings: list[Finding] = []
    name = _checked(
        "profiles",
        "profile name",
        lambda: resolve_profile_name(profile_name),
        profile_name or os.environ.get(profile_keys.PROFILE_NAME_ENV) or "default",
        findings,
    )
    store = _checked(
        "files", "profile directory", lambda: ProfileStore(profile_dir), None, findings
    )
    statuses: list[BackendStatus] = _checked(
        "backends", "secret backends", backend_statuses, [], findings
    )
    no_selection = Selection(None, "the backends could not be checked", False)
    selection = _checked(
        "backends", "new secrets", lambda: explain_selection(statuses), no_selection, findings
    )
    profiles: dict[str, dict[str, str]] | None = None
    if store is not None:
        nothing_read: tuple[dict[str, dict[str, str]] | None, list[Finding]] = (None, [])
        profiles, found_in_files = _checked(
            "files", str(store.path), lambda: file_findings(store), nothing_read, findings
        )
        findings += found_in_files
    known = profiles or {}
    checks: list[tuple[str, str, Callable[[], list[Finding]]]] = [
        ("backends", "backends", lambda: backend_findings(statuses, selection, known, name)),
    ]
    if store is not None:
        checks.append(
            ("environment", "environment", lambda: environment_findings(name, store, profiles))
        )
    checks.append(("environment", "installed packages", coexistence_findings))
    if profiles is not None and store is not None:
        checks += [
            ("backends", "vault", lambda: vault_findings(name, known)),
            ("backends", "vault server", lambda: vault_server_findings(name, known)),
            ("profiles", "profiles", lambda: profile_findings(name, store, known)),
            ("profiles", "CA files and hosts", lambda: tls_findings(name, known)),
            ("profiles", "orphan secrets", lambda: orphan_findings(store, statuses)),
        ]
        if network:
            checks.append(("hosts", "hosts", lambda: host_findings(name, known, host_timeout)))
            checks.append(
                (
                    "hosts",
                    "credentials",
                    lambda: credential_findings(name, profile_dir, known, host_timeout),
                )
            )
    for section, what, check in checks:
        findings += _checked(section, what, check, [], findings)
    no_variables: list[tuple[str, str]] = []
    environment = _checked(
        "environment", "environment", environment_in_effect, no_variables, findings
    )
    return DoctorReport(
        name,
        store.path if store is not None else Path(os.fspath(profile_dir or "?")),
        tuple(statuses),
        selection,
        tuple(environment),
        tuple(_in_section_order(findings)),
    )


_ORDER = ("backends", "files", "environment", "profiles", "hosts")


def _in_section_order(findings: list[Finding]) -> list[Finding]:
    """Findings grouped by section (stable), as the checks ran within each."""
    return sorted(findings, key=lambda f: _ORDER.index(f.section) if f.section in _ORDER else 9)
