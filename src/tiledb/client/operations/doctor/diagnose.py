"""Diagnose the credential setup: backends, files, environment, profiles, orphan secrets, hosts.

A problem of the profile in use is an ``"error"``, of another profile a ``"warning"``. Only
the credential of the profile in use is read, as a login reads it, to ask the server
whether it accepts it (never shown); nothing prompts, and each check runs through one
guard, so a check that fails becomes a finding: the report always comes out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from tiledb.client.errors import ExplainedError
from tiledb.client.operations.doctor.backends import (
    agent_findings,
    backend_findings,
    vault_findings,
    vault_server_findings,
)
from tiledb.client.operations.doctor.environment import (
    coexistence_findings,
    environment_findings,
    environment_in_effect,
)
from tiledb.client.operations.doctor.files import file_findings
from tiledb.client.operations.doctor.findings import DoctorReport, Finding
from tiledb.client.operations.doctor.hosts import credential_findings, host_findings, tls_findings
from tiledb.client.operations.doctor.profiles import orphan_findings, profile_findings
from tiledb.client.secrets.diagnostics import (
    BackendStatus,
    Selection,
    backend_statuses,
    explain_selection,
)
from tiledb.client.storage.profile_keys import DEFAULT_PROFILE_NAME, PROFILE_NAME_ENV, view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

__all__ = ["diagnose"]

_ORDER = ("backends", "files", "environment", "profiles", "hosts")


def _section_rank(finding: Finding) -> int:
    return _ORDER.index(finding.section) if finding.section in _ORDER else len(_ORDER)


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

    def run(section: str, what: str, check: Callable[[], T], fallback: T) -> T:
        """Run one check; on any exception add an ``"error"`` finding and return ``fallback``."""
        try:
            return check()
        except Exception as exc:
            logger.debug("doctor check %r failed", what, exc_info=True)
            message = f"this check could not finish: {_describe(exc)}"
            fix = "fix what the message names; `tiledb-client -v doctor` shows the traceback"
            findings.append(Finding(section, what, "error", message, fix))
            return fallback

    default = profile_name or os.environ.get(PROFILE_NAME_ENV) or DEFAULT_PROFILE_NAME
    name = run("profiles", "profile name", lambda: resolve_profile_name(profile_name), default)
    store = run("files", "profile directory", lambda: ProfileStore(profile_dir), None)
    statuses: list[BackendStatus] = run("backends", "secret backends", backend_statuses, [])
    no_selection = Selection(None, "the backends could not be checked", False)
    selection = run("backends", "new secrets", lambda: explain_selection(statuses), no_selection)
    profiles: dict[str, dict[str, str]] | None = None
    if store is not None:
        nothing: tuple[dict[str, dict[str, str]] | None, list[Finding]] = (None, [])
        profiles, in_files = run("files", str(store.path), lambda: file_findings(store), nothing)
        findings += in_files
    known = profiles or {}
    views = {n: view(p) for n, p in known.items()}
    checks: list[tuple[str, str, Callable[[], list[Finding]]]] = [
        ("backends", "backends", partial(backend_findings, statuses, selection, views, name)),
    ]
    if store is not None:
        read = None if profiles is None else views
        checks.append(
            ("environment", "environment", partial(environment_findings, name, store, read))
        )
    checks.append(("backends", "unlock agent", agent_findings))
    checks.append(("environment", "installed packages", coexistence_findings))
    if profiles is not None and store is not None:
        checks += [
            ("backends", "vault", partial(vault_findings, name, views)),
            ("backends", "vault server", partial(vault_server_findings, name, views)),
            ("profiles", "profiles", partial(profile_findings, name, store, known)),
            ("profiles", "CA files and hosts", partial(tls_findings, name, views)),
            ("profiles", "orphan secrets", partial(orphan_findings, store, statuses)),
        ]
    if network and profiles is not None and store is not None:
        checks += [
            ("hosts", "hosts", partial(host_findings, name, views, host_timeout)),
            (
                "hosts",
                "credentials",
                partial(credential_findings, name, profile_dir, views, host_timeout),
            ),
        ]
    for section, what, check in checks:
        findings += run(section, what, check, [])
    shown: list[tuple[str, str]] = run("environment", "environment", environment_in_effect, [])
    return DoctorReport(
        name,
        store.path if store is not None else Path(os.fspath(profile_dir or "?")),
        tuple(statuses),
        selection,
        tuple(shown),
        tuple(sorted(findings, key=_section_rank)),  # stable: in the order they ran
    )
