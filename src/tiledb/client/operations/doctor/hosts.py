"""Doctor checks of hosts: each answers (in parallel), CA files, plain http, the credentials."""

from __future__ import annotations

import os
import shlex
import time
import warnings
from concurrent import futures
from pathlib import Path
from typing import NamedTuple

from tiledb.client.basics.protocol import is_plain_http_remote, normalize_host
from tiledb.client.basics.tls import absolute_ca_file, ca_file_problem
from tiledb.client.errors import ClientError, ConfigurationError, LoginError
from tiledb.client.operations.configure import verify_credentials
from tiledb.client.operations.doctor.findings import Finding, Severity, severity_for
from tiledb.client.secrets import passphrase
from tiledb.client.session.settings import resolve, resolve_tls
from tiledb.client.storage.profile_keys import ProfileView

__all__ = ["credential_findings", "host_findings", "tls_findings"]

_ENV = "$TILEDB_REST_SERVER_ADDRESS"
_ENV_CA = "$TILEDB_SSL_CA_FILE"
_FALSE = ("false", "0", "no", "off")


class _Host(NamedTuple):
    url: str
    verify: bool
    ca_file: str | None


def _hosts(
    profiles: dict[str, ProfileView],
) -> tuple[dict[_Host, list[str]], list[tuple[str, str]]]:
    """The hosts to probe with their users, and ``(user, problem)`` for each unusable host."""
    hosts: dict[_Host, list[str]] = {}
    unusable: list[tuple[str, str]] = []
    entries: list[tuple[str, str | None, ProfileView | None]] = [
        (name, profile.host, profile) for name, profile in profiles.items()
    ]
    entries.append((_ENV, os.environ.get("TILEDB_REST_SERVER_ADDRESS"), None))
    for name, host, profile in entries:
        if not host:
            continue
        where = name if name == _ENV else f"profile {name!r}"
        try:
            url = normalize_host(host, source=f"the host of {where}")
            verify, ca_file = resolve_tls(profile, where)  # as a login would
        except ConfigurationError as exc:
            unusable.append((name, str(exc)))
            continue
        hosts.setdefault(_Host(url, bool(verify.value), ca_file.value or None), []).append(name)
    return hosts, unusable


def _probe(host: _Host, users: list[str], selected: str, timeout: float) -> Finding:
    """GET /v4/users/self without credentials: any HTTP answer means reachable."""
    import requests

    from tiledb.client.transport.http import describe_failure

    started = time.perf_counter()
    fix: str | None = "check the host and network"
    try:
        response = requests.get(
            f"{host.url}/v4/users/self",
            timeout=(timeout, timeout),
            verify=host.ca_file if (host.verify and host.ca_file) else host.verify,
            allow_redirects=False,
            headers={"User-Agent": "tiledb-client-keyring doctor"},
        )
    except requests.exceptions.SSLError as exc:
        message = f"TLS verification failed: {describe_failure(exc)}"
        fix = "give the server's CA with --ca-file (tiledb-client configure)"
    except requests.exceptions.Timeout:
        message = f"no answer within {timeout:g} s"
    except requests.exceptions.RequestException as exc:
        message = f"cannot connect: {describe_failure(exc)}"
    except OSError as exc:  # requests' bare OSError for a CA file it cannot use
        message = f"not checked: the CA file {host.ca_file} cannot be used ({exc.strerror or exc})"
        fix = "see the CA file finding under Profiles"
    else:
        elapsed = time.perf_counter() - started
        message = f"reachable (HTTP {response.status_code} in {elapsed * 1000:.0f} ms)"
        fix = None
    in_use = selected in users or _ENV in users
    severity: Severity = "ok" if fix is None else "error" if in_use else "warning"
    message += f" (profiles: {', '.join(users)})"
    return Finding("hosts", host.url, severity, message, fix, time.perf_counter() - started)


def host_findings(selected: str, profiles: dict[str, ProfileView], timeout: float) -> list[Finding]:
    """Whether each profile's host answers, checked in parallel."""
    hosts, unusable = _hosts(profiles)
    fix = "set a valid host: tiledb-client configure --overwrite (or fix the variable)"
    findings = [
        Finding("hosts", user, severity_for(user, selected, _ENV), problem, fix)
        for user, problem in unusable
    ]
    if not hosts:
        return findings
    import urllib3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        with futures.ThreadPoolExecutor(min(8, len(hosts))) as pool:
            probes = pool.map(lambda host: _probe(host, hosts[host], selected, timeout), hosts)
            return [*findings, *probes]


def _ca_finding(name: str, value: str, selected: str, where: str) -> Finding:
    absolute = absolute_ca_file(value)
    problem = ca_file_problem(absolute)
    relative = value != absolute
    if name == _ENV_CA:
        fix = "point TILEDB_SSL_CA_FILE at the server's CA certificate, or unset it"
    else:
        fix = (
            f"tiledb-client configure --profile {shlex.quote(name)} --overwrite"
            " --ca-file /absolute/path/to/ca.pem ..."
        )
    if problem is not None:
        shown = f"{value} (read as {absolute})" if relative else absolute
        message = f"the CA file {shown} of {where} {problem}: every request would fail"
        return Finding("profiles", name, severity_for(name, selected, _ENV_CA), message, fix)
    if relative:
        message = (
            f"the CA file of {where} is the relative path {value!r}: it is found only from"
            f" {Path.cwd()}"
        )
        return Finding("profiles", name, "warning", message, fix)
    return Finding("profiles", name, "ok", f"CA file {absolute}")


def tls_findings(selected: str, profiles: dict[str, ProfileView]) -> list[Finding]:
    """Check every CA file (profiles and ``TILEDB_SSL_CA_FILE``) and warn of plain http hosts."""
    findings = [
        _ca_finding(name, profile.tls.ca_file, selected, f"profile {name!r}")
        for name, profile in profiles.items()
        if profile.tls.ca_file and str(profile.tls.verify).strip().lower() not in _FALSE
    ]
    env_ca = os.environ.get("TILEDB_SSL_CA_FILE")
    if env_ca:
        findings.append(_ca_finding(_ENV_CA, env_ca, selected, "the environment"))
    hosts: dict[str, list[str]] = {}
    for name, profile in profiles.items():
        if profile.host:
            hosts.setdefault(normalize_host(profile.host), []).append(name)
    if os.environ.get("TILEDB_REST_SERVER_ADDRESS"):
        hosts.setdefault(normalize_host(os.environ["TILEDB_REST_SERVER_ADDRESS"]), []).append(_ENV)
    fix = "use https:// (tiledb-client configure --overwrite --host https://...)"
    for url, users in hosts.items():
        if is_plain_http_remote(url):
            message = (
                f"plain http:// to another machine (profiles: {', '.join(users)}): tokens and"
                " passwords cross the network unencrypted, and TileDB core sends the API key on"
                " to wherever a redirect points"
            )
            findings.append(Finding("hosts", url, "warning", message, fix))
    return findings


def credential_findings(
    name: str,
    profile_dir: str | os.PathLike[str] | None,
    profiles: dict[str, ProfileView],
    timeout: float,
) -> list[Finding]:
    """Ask the server, as a login would, whether it accepts the credentials of ``name``.

    A token is sent as is, a password with HTTP Basic auth (no session token is made).
    Nothing is checked where reading the secret would prompt, or where no credential is
    set (the profile and backend checks say why).
    """
    profile = profiles.get(name)
    location = profile.secret if profile else None
    encrypted = location is not None and location.backend == "encrypted-file"
    if encrypted and passphrase.configured_source() is None:
        message = "not checked: reading the secret would ask for the vault's passphrase"
        return [Finding("hosts", "credentials", "info", message)]
    try:
        settings = resolve(name, profile_dir, require_credentials=False)
        token = settings.token.text() if settings.token is not None else None
        secret = settings.password.text() if settings.password is not None else None
    except ConfigurationError:
        return []
    credential = settings.token or settings.password
    if credential is None:
        return []
    kind, source = ("token" if settings.token else "password"), credential.source
    try:
        verified = verify_credentials(
            str(settings.host.value),
            token=token,
            username=str(settings.username.value or "") or None,
            password=secret,
            workspace=str(settings.workspace.value or "") or None,
            verify_ssl=bool(settings.verify_ssl.value),
            ca_file=settings.ca_file.value or None,
            deadline=timeout,
        )
    except LoginError as exc:
        message = f"{exc.problem} (the {kind} from {source})"
        fix = f"store the right one: tiledb-client configure --profile {name} --overwrite"
        fix = fix if source.startswith("profile") else f"set {source} right"
        return [Finding("hosts", "credentials", "error", message, fix)]
    except (ClientError, ConfigurationError) as exc:
        message = f"not checked: the server could not be asked ({exc})"
        return [Finding("hosts", "credentials", "warning", message)]
    user = f"user {verified.username!r}" if verified.username else "the user"
    workspace = f", workspace {verified.workspace!r}" if verified.workspace else ""
    message = f"{verified.host} accepts the {kind} from {source} ({user}{workspace})"
    return [Finding("hosts", "credentials", "ok", message)]
