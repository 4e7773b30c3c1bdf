"""Doctor checks of transport security: each CA file, and hosts reached over plain http."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from tiledb.client.basics.ca_files import absolute_ca_file, ca_file_problem
from tiledb.client.basics.protocol import is_plain_http_remote, normalize_host
from tiledb.client.operations.doctor.findings import Finding, severity_for
from tiledb.client.storage import profile_keys

__all__ = ["tls_findings"]

_ENV = "$TILEDB_REST_SERVER_ADDRESS"


def _verifies(profile: dict[str, str]) -> bool:
    values = (profile.get(profile_keys.VERIFY_SSL), profile.get(profile_keys.VERIFY_SSL_LEGACY))
    return not any((value or "").strip().lower() in ("false", "0", "no", "off") for value in values)


def _ca_finding(name: str, value: str, selected: str, where: str) -> Finding:
    absolute = absolute_ca_file(value)
    problem = ca_file_problem(absolute)
    relative = value != absolute
    if name == "$TILEDB_SSL_CA_FILE":
        fix = "point TILEDB_SSL_CA_FILE at the server's CA certificate, or unset it"
    else:
        fix = (
            f"tiledb-client configure --profile {shlex.quote(name)} --overwrite"
            " --ca-file /absolute/path/to/ca.pem ..."
        )
    if problem is not None:
        shown = f"{value} (read as {absolute})" if relative else absolute
        return Finding(
            "profiles",
            name,
            severity_for(name, selected) if name != "$TILEDB_SSL_CA_FILE" else "error",
            f"the CA file {shown} of {where} {problem}: every request would fail",
            fix,
        )
    if relative:
        return Finding(
            "profiles",
            name,
            "warning",
            f"the CA file of {where} is the relative path {value!r}: it is found only from"
            f" {Path.cwd()}",
            fix,
        )
    return Finding("profiles", name, "ok", f"CA file {absolute}")


def tls_findings(selected: str, profiles: dict[str, dict[str, str]]) -> list[Finding]:
    """Check every CA file (profiles and ``TILEDB_SSL_CA_FILE``) and warn of plain http hosts."""
    findings = []
    for name, profile in profiles.items():
        value = profile.get(profile_keys.CA_FILE)
        if value and _verifies(profile):
            findings.append(_ca_finding(name, value, selected, f"profile {name!r}"))
    env_ca = os.environ.get("TILEDB_SSL_CA_FILE")
    if env_ca:
        findings.append(_ca_finding("$TILEDB_SSL_CA_FILE", env_ca, selected, "the environment"))
    hosts: dict[str, list[str]] = {}
    for name, profile in profiles.items():
        if profile.get(profile_keys.HOST):
            hosts.setdefault(normalize_host(profile[profile_keys.HOST]), []).append(name)
    if os.environ.get("TILEDB_REST_SERVER_ADDRESS"):
        url = normalize_host(os.environ["TILEDB_REST_SERVER_ADDRESS"])
        hosts.setdefault(url, []).append(_ENV)
    for url, users in hosts.items():
        if is_plain_http_remote(url):
            findings.append(
                Finding(
                    "hosts",
                    url,
                    "warning",
                    f"plain http:// to another machine (profiles: {', '.join(users)}): tokens"
                    " and passwords cross the network unencrypted, and TileDB core sends the"
                    " API key on to wherever a redirect points",
                    "use https:// (tiledb-client configure --overwrite --host https://...)",
                )
            )
    return findings
