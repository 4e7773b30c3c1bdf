"""Diagnose the credential setup: backends, files, environment, profiles, hosts.

:func:`diagnose` returns a :class:`DoctorReport` of :class:`Finding` objects, each
with a severity and, for problems, the fix. A finding of severity ``"error"`` is
one that would stop a login of the profile in use (``--profile``, else
``$TILEDB_PROFILE_NAME``, else ``default``); the same problem in another profile
is a ``"warning"``. Values of secret environment variables are masked; no secret
is ever read out of a backend (presence is checked with ``contains``), and nothing
prompts (not even for the vault passphrase).

Used by ``tiledb-client doctor``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tiledb.client import profiles as keys
from tiledb.client.profiles import ProfileStore, resolve_profile_name
from tiledb.client.secrets.diagnostics import (
    BackendStatus,
    Selection,
    backend_statuses,
    explain_selection,
)
from tiledb.client.settings import mask

__all__ = [
    "DoctorReport",
    "Finding",
    "Severity",
    "diagnose",
    "environment_in_effect",
    "is_secret_variable",
]

Severity = Literal["ok", "info", "warning", "error"]

_EXTRA_VARIABLES = ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "REQUESTS_CA_BUNDLE")
_NOT_SECRET = frozenset({"TILEDB_CLIENT_SECRET_BACKEND"})  # names a backend
_SECRET_WORDS = frozenset(
    {"TOKEN", "PASSWORD", "PASSPHRASE", "KEY", "SECRET", "CREDENTIAL", "CREDENTIALS", "PASS", "PWD"}
)


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at.

    Attributes
    ----------
    section : str
        ``"backends"``, ``"files"``, ``"environment"``, ``"profiles"`` or ``"hosts"``.
    subject : str
        What was checked, e.g. ``"keyring"`` or ``"/home/ada/.tiledb/profiles.json"``.
    severity : {"ok", "info", "warning", "error"}
    message : str
    fix : str or None
        What to do, e.g. ``"chmod 600 /home/ada/.tiledb/profiles.json"``.
    seconds : float or None
        How long the check took, when timed.
    """

    section: str
    subject: str
    severity: Severity
    message: str
    fix: str | None = None
    seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        seconds = round(self.seconds, 4) if self.seconds is not None else None
        return {
            "section": self.section,
            "subject": self.subject,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "seconds": seconds,
        }


@dataclass(frozen=True)
class DoctorReport:
    """Everything :func:`diagnose` found."""

    profile_name: str
    profile_file: Path
    backends: tuple[BackendStatus, ...]
    selection: Selection
    environment: tuple[tuple[str, str], ...]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """No finding would stop a login."""
        return not any(finding.severity == "error" for finding in self.findings)

    def count(self, severity: Severity) -> int:
        """Return how many findings have ``severity``."""
        return sum(finding.severity == severity for finding in self.findings)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (secret values masked)."""
        return {
            "ok": self.ok,
            "profile": self.profile_name,
            "profile_file": str(self.profile_file),
            "backends": [status.to_json() for status in self.backends],
            "selection": self.selection.to_json(),
            "environment": [{"name": n, "value": v} for n, v in self.environment],
            "findings": [finding.to_json() for finding in self.findings],
            "errors": self.count("error"),
            "warnings": self.count("warning"),
        }


def is_secret_variable(name: str) -> bool:
    """Return whether an environment variable's value must be masked.

    Examples
    --------
    >>> is_secret_variable("TILEDB_REST_TOKEN"), is_secret_variable("TILEDB_CLIENT_PASSPHRASE_FILE")
    (True, False)
    >>> is_secret_variable("TILEDB_VFS_S3_AWS_SECRET_ACCESS_KEY")
    True
    """
    if name.upper().endswith("_FILE") or name.upper() in _NOT_SECRET:
        return False
    return bool(_SECRET_WORDS & set(name.upper().split("_")))


def environment_in_effect() -> list[tuple[str, str]]:
    """Return ``(name, shown value)`` of the variables that matter here, secrets masked."""
    names = sorted(n for n in os.environ if n.startswith("TILEDB_") or n in _EXTRA_VARIABLES)
    return [
        (
            n,
            mask(os.environ[n], tail="TOKEN" in n.upper())
            if is_secret_variable(n)
            else os.environ[n],
        )
        for n in names
    ]


def diagnose(
    profile_name: str | None = None,
    profile_dir: str | os.PathLike[str] | None = None,
    *,
    network: bool = True,
    host_timeout: float = 5.0,
) -> DoctorReport:
    """Check everything a login depends on.

    Parameters
    ----------
    profile_name : str, optional
        The profile in use; its problems are errors, other profiles' warnings.
    profile_dir : str or path-like, optional
        The profile directory.
    network : bool
        Check that each profile's host answers (any HTTP answer counts).
    host_timeout : float
        Seconds allowed to connect to, and hear from, each host.

    Returns
    -------
    DoctorReport
    """
    name = resolve_profile_name(profile_name)
    store = ProfileStore(profile_dir)
    statuses = backend_statuses()
    selection = explain_selection(statuses)
    findings: list[Finding] = []
    from tiledb.client._doctor_local import environment_findings, file_findings

    profiles, found_in_files = file_findings(store)
    findings += _backend_findings(statuses, selection, profiles or {}, name)
    findings += found_in_files
    findings += environment_findings(name, store, profiles)
    if profiles is not None:
        from tiledb.client._doctor_checks import host_findings, profile_findings, vault_findings

        findings += vault_findings(name, profiles)
        findings += profile_findings(name, store, profiles)
        if network:
            findings += host_findings(name, profiles, host_timeout)
    return DoctorReport(
        name,
        store.path,
        tuple(statuses),
        selection,
        tuple(environment_in_effect()),
        tuple(findings),
    )


def _backend_findings(
    statuses: list[BackendStatus],
    selection: Selection,
    profiles: dict[str, dict[str, str]],
    selected: str,
) -> list[Finding]:
    findings = []
    for status in statuses:
        users = sorted(n for n, p in profiles.items() if p.get(keys.SECRET_BACKEND) == status.name)
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
