"""Doctor checks of hosts: does each profile's server answer (checked in parallel)."""

from __future__ import annotations

import os
import time
import warnings
from concurrent import futures
from dataclasses import dataclass, field

from tiledb.client.basics.protocol import normalize_host
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.doctor.findings import Finding, Severity
from tiledb.client.session.settings import resolve_tls
from tiledb.client.storage import profile_keys
from tiledb.client.storage.profile_keys import view

__all__ = ["host_findings"]


@dataclass
class _Host:
    url: str
    verify: bool
    ca_file: str | None
    users: list[str] = field(default_factory=list)


def _hosts(profiles: dict[str, dict[str, str]]) -> tuple[list[_Host], list[tuple[str, str]]]:
    """The hosts to probe, and ``(user, problem)`` for each host that is not usable."""
    hosts: dict[tuple[str, bool, str | None], _Host] = {}
    unusable: list[tuple[str, str]] = []
    entries = [
        (name, profile) for name, profile in profiles.items() if profile.get(profile_keys.HOST)
    ]
    env_host = os.environ.get("TILEDB_REST_SERVER_ADDRESS")
    if env_host:
        entries.append(("$TILEDB_REST_SERVER_ADDRESS", {profile_keys.HOST: env_host}))
    for name, profile in entries:
        where = name if name.startswith("$") else f"profile {name!r}"
        try:
            url = normalize_host(profile[profile_keys.HOST], source=f"the host of {where}")
            verify, ca_file = resolve_tls(view(profile), where)  # as a login would
        except ConfigurationError as exc:
            unusable.append((name, str(exc)))
            continue
        key = (url, bool(verify.value), ca_file.value or None)
        hosts.setdefault(key, _Host(*key)).users.append(name)
    return list(hosts.values()), unusable


def _probe(host: _Host, timeout: float) -> tuple[bool, str, str | None, float]:
    """GET /v4/users/self without credentials: any HTTP answer means reachable."""
    import requests

    from tiledb.client.transport.failures import describe_failure

    started = time.perf_counter()
    verify: bool | str = host.ca_file if (host.verify and host.ca_file) else host.verify
    try:
        response = requests.get(
            f"{host.url}/v4/users/self",
            timeout=(timeout, timeout),
            verify=verify,
            allow_redirects=False,
            headers={"User-Agent": "tiledb-client-keyring doctor"},
        )
    except requests.exceptions.SSLError as exc:
        fix = "give the server's CA with --ca-file (tiledb-client configure)"
        return (
            False,
            f"TLS verification failed: {describe_failure(exc)}",
            fix,
            time.perf_counter() - started,
        )
    except requests.exceptions.Timeout:
        elapsed = time.perf_counter() - started
        return False, f"no answer within {timeout:g} s", "check the host and network", elapsed
    except requests.exceptions.RequestException as exc:
        elapsed = time.perf_counter() - started
        return (
            False,
            f"cannot connect: {describe_failure(exc)}",
            "check the host and network",
            elapsed,
        )
    except OSError as exc:  # requests' bare OSError for a CA file it cannot use
        elapsed = time.perf_counter() - started
        message = f"not checked: the CA file {host.ca_file} cannot be used ({exc.strerror or exc})"
        return False, message, "see the CA file finding under Profiles", elapsed
    elapsed = time.perf_counter() - started
    return (
        True,
        f"reachable (HTTP {response.status_code} in {elapsed * 1000:.0f} ms)",
        None,
        elapsed,
    )


def host_findings(
    selected: str, profiles: dict[str, dict[str, str]], timeout: float
) -> list[Finding]:
    """Whether each profile's host answers, checked in parallel."""
    hosts, unusable = _hosts(profiles)
    findings = [
        Finding(
            "hosts",
            user,
            "error" if user in (selected, "$TILEDB_REST_SERVER_ADDRESS") else "warning",
            problem,
            "set a valid host: tiledb-client configure --overwrite (or fix the variable)",
        )
        for user, problem in unusable
    ]
    if not hosts:
        return findings
    import urllib3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        with futures.ThreadPoolExecutor(min(8, len(hosts))) as pool:
            results = list(pool.map(lambda host: _probe(host, timeout), hosts))
    for host, (reachable, message, fix, seconds) in zip(hosts, results, strict=True):
        used = f" (profiles: {', '.join(host.users)})"
        if reachable:
            severity: Severity = "ok"
        else:
            in_use = selected in host.users or "$TILEDB_REST_SERVER_ADDRESS" in host.users
            severity = "error" if in_use else "warning"
        findings.append(Finding("hosts", host.url, severity, message + used, fix, seconds))
    return findings
