"""``tiledb-client doctor`` and ``tiledb-client backends``."""

from __future__ import annotations

import argparse
from typing import Any

from tiledb.client.cli.common import Output, add_json, add_profile_options

__all__ = ["register"]

_SECTIONS = ("backends", "files", "environment", "profiles", "hosts")  # in this order


def register(subparsers: Any) -> None:
    """Add ``doctor`` and ``backends``."""
    doctor = subparsers.add_parser(
        "doctor",
        help="diagnose backends, files, environment, profiles and hosts",
        description="Check every secret backend (with the OS keyring's probe time), the"
        " permissions of the profile file and the vault, the environment variables in effect"
        " (secrets masked), each profile's secret, and whether each profile's host answers."
        " Exit status 1 when a problem would stop a login of the profile in use.",
    )
    add_profile_options(doctor)
    doctor.add_argument("--offline", action="store_true", help="do not contact the profiles' hosts")
    doctor.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="time allowed per host (default: 5)",
    )
    add_json(doctor)
    doctor.set_defaults(handler=run_doctor)

    backends = subparsers.add_parser(
        "backends",
        help="list the secret backends and which would be chosen",
        description="List the secret backends known (built-in and plugins of the entry-point"
        " group tiledb.client.secret_backends), whether each is available here and why, and"
        " which one a new secret would go to.",
    )
    backends.add_argument("--backend", metavar="NAME", help="explain choosing this backend")
    add_json(backends)
    backends.set_defaults(handler=run_backends)


def run_doctor(args: argparse.Namespace, out: Output) -> int:
    """Run ``doctor``."""
    from tiledb.client.operations.doctor.diagnose import diagnose

    report = diagnose(
        args.profile, args.profile_dir, network=not args.offline, host_timeout=args.timeout
    )
    if out.json_mode:
        out.json(report.to_json())
    elif out.terminal:
        _print_terminal(out, report)
    else:
        rows = [
            (f.section, f.severity, f.subject, f.message, f.fix, _seconds(f.seconds))
            for f in report.findings
        ]
        out.table((), rows, tag="finding")
        out.table((), report.environment, tag="env")
    stops = "no problem" if report.ok else f"{report.count('error')} problem(s)"
    summary = f"{stops} would stop a login; {report.count('warning')} warning(s)."
    if not report.ok:
        out.error(summary, "Apply the fixes shown, then run tiledb-client doctor again.")
        return 1
    out.print(("Summary: " if out.terminal else "summary\t") + summary)
    return 0


def _seconds(value: float | None) -> str | None:
    return f"{value:.3f}" if value is not None else None


def _print_terminal(out: Output, report: Any) -> None:
    for section in _SECTIONS:
        title = "Secret backends" if section == "backends" else section.capitalize()
        findings = [f for f in report.findings if f.section == section]
        if section == "environment":
            out.heading(title)
            for name, shown in report.environment:
                out.print(f"  {name}={shown}")
            if not report.environment:
                out.print("  (no TILEDB_* or keyring variable set)")
        elif findings:
            out.heading(title)
        for finding in findings:
            timing = f" [{finding.seconds:.3f} s]" if finding.seconds is not None else ""
            mark = out.severity(finding.severity) + " " * (7 - len(finding.severity))
            out.print(f"  {mark} {finding.subject}: {finding.message}{timing}")
            if finding.fix:
                out.print(f"          fix: {finding.fix}")
        if findings or section == "environment":
            out.print()


def run_backends(args: argparse.Namespace, out: Output) -> int:
    """Run ``backends``."""
    from tiledb.client.secrets.diagnostics import backend_statuses, explain_selection

    statuses = backend_statuses()
    selection = explain_selection(statuses, args.backend)
    if out.json_mode:
        out.json(
            {"backends": [status.to_json() for status in statuses], "selected": selection.to_json()}
        )
        return 0
    term = out.terminal
    rows = [
        (
            s.name + (" *" if s.name == selection.name and term else ""),
            "plugin" if s.plugin else "built-in",
            (out.severity("ok") if term else "available")
            if s.available
            else out.paint("unavailable", "yellow"),
            f"{s.seconds:.3f}" + ("s" if term else ""),
            s.reason,
        )
        for s in statuses
    ]
    out.table(("backend", "kind", "status", "probe", "reason"), rows)
    chosen = selection.name or "none"
    if out.terminal:
        out.print()
        out.print(f"New secrets go to: {chosen} ({selection.why})")
        for status in statuses:
            out.print(f"  {status.name}: {status.description}")
    else:
        out.print(f"selected\t{chosen}\t{selection.why}")
    return 0
