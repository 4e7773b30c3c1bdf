"""Profile and host checks of :mod:`tiledb.client.doctor`."""

from __future__ import annotations

import os
import shlex
import time
import warnings
from concurrent import futures
from dataclasses import dataclass, field

from tiledb.client import profiles as keys
from tiledb.client.doctor import Finding, Severity
from tiledb.client.errors import ConfigurationError
from tiledb.client.profile_admin import list_profiles
from tiledb.client.profiles import ProfileStore
from tiledb.client.rest import normalize_host

__all__ = ["host_findings", "profile_findings", "vault_findings"]

_ENV_CREDENTIALS = ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD")


def _severity(name: str, selected: str) -> Severity:
    return "error" if name == selected else "warning"


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
            finding = Finding(
                "profiles", info.name, "ok", f"{info.auth} in the {info.backend!r} backend"
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
                _severity(info.name, selected) if not env_credential else "info",
                "holds no credential",
                reconfigure,
            )
        elif info.state == "missing":
            finding = Finding(
                "profiles",
                info.name,
                _severity(info.name, selected),
                info.secret_detail,
                reconfigure,
            )
        else:
            finding = Finding(
                "profiles",
                info.name,
                _severity(info.name, selected),
                f"cannot check its {info.auth} in the {info.backend!r} backend:"
                f" {info.secret_detail}",
                "make the backend available (see backends above)",
            )
        findings.append(finding)
    return findings


def vault_findings(selected: str, profiles: dict[str, dict[str, str]]) -> list[Finding]:
    """Unlock the vault when a profile uses it and a passphrase source is set (no prompt).

    Unlocking checks the passphrase and the vault's MAC; no entry is decrypted.
    """
    from tiledb.client.secrets import passphrase
    from tiledb.client.secrets.encrypted_file import vault_path
    from tiledb.client.secrets.registry import get_backend

    users = [n for n, p in profiles.items() if p.get(keys.SECRET_BACKEND) == "encrypted-file"]
    path = vault_path()
    if not users or not path.is_file() or passphrase.configured_source() is None:
        return []
    started = time.perf_counter()
    try:
        get_backend("encrypted-file").get("probe: tiledb-client doctor")  # never stored
    except ConfigurationError as exc:
        return [
            Finding(
                "backends",
                "vault",
                "error" if selected in users else "warning",
                f"cannot unlock {path}: {exc}",
                "check TILEDB_CLIENT_PASSPHRASE / TILEDB_CLIENT_PASSPHRASE_FILE, or restore the"
                " vault from a backup",
                time.perf_counter() - started,
            )
        ]
    message = f"{path} unlocks with the configured passphrase"
    return [Finding("backends", "vault", "ok", message, None, time.perf_counter() - started)]


@dataclass
class _Host:
    url: str
    verify: bool
    ca_file: str | None
    users: list[str] = field(default_factory=list)


def _hosts(profiles: dict[str, dict[str, str]]) -> list[_Host]:
    hosts: dict[tuple[str, bool, str | None], _Host] = {}
    entries = [(name, profile) for name, profile in profiles.items() if profile.get(keys.HOST)]
    env_host = os.environ.get("TILEDB_REST_SERVER_ADDRESS")
    if env_host:
        entries.append(("$TILEDB_REST_SERVER_ADDRESS", {keys.HOST: env_host}))
    for name, profile in entries:
        verify = "false" not in (
            profile.get(keys.VERIFY_SSL, "").lower(),
            profile.get(keys.VERIFY_SSL_LEGACY, "").lower(),
        )
        key = (normalize_host(profile[keys.HOST]), verify, profile.get(keys.CA_FILE) or None)
        hosts.setdefault(key, _Host(*key)).users.append(name)
    return list(hosts.values())


def _short(exc: BaseException) -> str:
    reason: BaseException = exc
    for _ in range(10):
        inner = getattr(reason, "reason", None)
        if inner is None and reason.args and isinstance(reason.args[0], BaseException):
            inner = reason.args[0]
        if not isinstance(inner, BaseException):
            break
        reason = inner
    text = str(reason) or type(reason).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _probe(host: _Host, timeout: float) -> tuple[bool, str, str | None, float]:
    """GET /v4/users/self without credentials: any HTTP answer means reachable."""
    import requests

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
        return False, f"TLS verification failed: {_short(exc)}", fix, time.perf_counter() - started
    except requests.exceptions.Timeout:
        elapsed = time.perf_counter() - started
        return False, f"no answer within {timeout:g} s", "check the host and network", elapsed
    except requests.exceptions.RequestException as exc:
        elapsed = time.perf_counter() - started
        return False, f"cannot connect: {_short(exc)}", "check the host and network", elapsed
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
    hosts = _hosts(profiles)
    if not hosts:
        return []
    import urllib3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        with futures.ThreadPoolExecutor(min(8, len(hosts))) as pool:
            results = list(pool.map(lambda host: _probe(host, timeout), hosts))
    findings = []
    for host, (reachable, message, fix, seconds) in zip(hosts, results, strict=True):
        used = f" (profiles: {', '.join(host.users)})"
        if reachable:
            severity: Severity = "ok"
        else:
            in_use = selected in host.users or "$TILEDB_REST_SERVER_ADDRESS" in host.users
            severity = "error" if in_use else "warning"
        findings.append(Finding("hosts", host.url, severity, message + used, fix, seconds))
    return findings
