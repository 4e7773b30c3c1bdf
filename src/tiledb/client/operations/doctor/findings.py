"""What the doctor reports: findings, each with a severity and a fix, and the whole report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tiledb.client.secrets.diagnostics import BackendStatus, Selection

__all__ = ["DoctorReport", "Finding", "Severity", "severity_for"]

Severity = Literal["ok", "info", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at, in ``section``, with what to do (``fix``) for a problem.

    ``subject`` is what was checked (e.g. ``"keyring"`` or a path); ``seconds`` how long a
    timed check took.
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
        return {**asdict(self), "seconds": seconds}


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


def severity_for(selected: str, *users: str) -> Severity:
    """``"error"`` when the profile in use (``selected``) is among ``users``, else ``"warning"``."""
    return "error" if selected in users else "warning"
