"""The ``vault`` secret backend: HashiCorp Vault or OpenBao, KV version 2, through ``hvac``.

Registered through the plugin entry point (the ``vault`` extra). An entry is
``<mount>/data/<prefix><profile name>/<kind>``, named by the profile so that machines
share it (docs/how-to/many-machines.md). Settings are read per call; every request is
bounded by ``$TILEDB_CLIENT_VAULT_TIMEOUT`` seconds (default 10).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from tiledb.client.basics.deadline import timeout_from_env
from tiledb.client.errors import BackendUnavailableError, SecretBackendError
from tiledb.client.secrets.base import Availability, SecretBackend, recorded_location

if TYPE_CHECKING:
    import hvac

__all__ = ["SETTINGS", "VaultBackend", "VaultSettings"]

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
K8S_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path
SETTINGS = {
    "mount": ("TILEDB_CLIENT_VAULT_MOUNT", "secret"),
    "path": ("TILEDB_CLIENT_VAULT_PATH", "tiledb-client/"),
    "auth": ("TILEDB_CLIENT_VAULT_AUTH", "token"),
    "auth_mount": ("TILEDB_CLIENT_VAULT_AUTH_MOUNT", ""),
    "role": ("TILEDB_CLIENT_VAULT_ROLE", ""),
    "secret_id_file": ("TILEDB_CLIENT_VAULT_SECRET_ID_FILE", ""),
    "jwt_file": ("TILEDB_CLIENT_VAULT_JWT_FILE", K8S_TOKEN_FILE),
}
"""Setting name: (environment variable, default)."""
_AUTH_HINT = {
    "token": "Set VAULT_TOKEN (or BAO_TOKEN, or write ~/.vault-token) to a valid token.",
    "approle": "Check TILEDB_CLIENT_VAULT_ROLE (the role id) and the secret id in"
    " TILEDB_CLIENT_VAULT_SECRET_ID_FILE (secret ids expire).",
    "kubernetes": "Check TILEDB_CLIENT_VAULT_ROLE (the Vault role of this service account)"
    " and TILEDB_CLIENT_VAULT_JWT_FILE.",
}


def _env(*names: str) -> str:
    return next((os.environ[n].strip() for n in names if os.environ.get(n, "").strip()), "")


def _segment(text: str) -> str:
    """One path segment: letters, digits, ``._-`` kept, anything else as ``~hex``."""
    return "".join(c if c in _SAFE else "".join(f"~{b:02x}" for b in c.encode()) for c in text)


@dataclass(frozen=True)
class VaultSettings:
    """Where the entries are and how to log in, e.g. ``mount="secret"``, ``auth="token"``."""

    address: str
    mount: str
    path: str
    auth: str
    auth_mount: str
    role: str
    secret_id_file: str
    jwt_file: str
    ca_file: str
    namespace: str
    timeout: float

    def location(self, key: str) -> str:
        """Return the entry path of ``key`` under the mount, e.g. ``tiledb-client/prod/token``."""
        kind, sep, secret_id = key.partition(": ")
        name = secret_id.split(" @ ", 1)[0] if sep and " @ " in secret_id else ""
        if not name:
            kind, name = "entry", key
        return f"{self.path}{_segment(name)}/{_segment(kind)}"

    def policy_path(self) -> str:
        """The path a policy must allow, e.g. ``secret/data/tiledb-client/*``."""
        return f"{self.mount}/data/{self.path}*"


class VaultBackend(SecretBackend):
    """Secrets in a HashiCorp Vault or OpenBao KV v2 mount.

    Parameters
    ----------
    **overrides : str
        Values for :data:`SETTINGS` or ``address``, ``ca_file``, ``namespace``, e.g.
        ``VaultBackend(mount="kv", path="team-a/")``; the environment gives the rest.
    """

    name: ClassVar[str] = "vault"
    description: ClassVar[str] = "HashiCorp Vault / OpenBao KV v2 (hvac)"

    def __init__(self, **overrides: str) -> None:
        unknown = set(overrides) - {*SETTINGS, "address", "ca_file", "namespace"}
        if unknown:
            raise TypeError(f"unknown Vault settings: {', '.join(sorted(unknown))}")
        self.overrides = overrides
        self._lock = threading.Lock()
        self._clients: dict[VaultSettings, hvac.Client] = {}
        self._checked_mounts: set[tuple[str, str, str]] = set()

    def settings(self, key: str = "") -> VaultSettings:
        """Return the settings: arguments, environment, the profile of ``key``, defaults."""
        given, recorded = self.overrides, recorded_location(key) if key else {}
        env = {n: os.environ.get(v, "").strip() for n, (v, _) in SETTINGS.items()}
        env |= {
            "address": _env("VAULT_ADDR", "BAO_ADDR"),
            "ca_file": _env("VAULT_CACERT", "BAO_CACERT"),
            "namespace": _env("VAULT_NAMESPACE", "BAO_NAMESPACE"),
        }
        defaults = {n: d for n, (_, d) in SETTINGS.items()}
        values = {n: given.get(n) or env[n] or recorded.get(n) or defaults.get(n, "") for n in env}
        values["path"] = values["path"].strip("/") + "/" if values["path"].strip("/") else ""
        values["mount"] = values["mount"].strip("/")
        values["address"] = values["address"].rstrip("/")
        timeout = timeout_from_env("TILEDB_CLIENT_VAULT_TIMEOUT", 10.0)
        return VaultSettings(timeout=timeout, **values)

    def location(self, key: str = "") -> str:
        """What a profile records in ``client.secret_store``: mount, path and address."""
        s = self.settings(key)
        return f"mount={s.mount} path={s.path or '/'}" + (f" address={s.address}" * bool(s.address))

    # -- connection and errors ------------------------------------------------------------

    def _fail(self, s: VaultSettings, action: str, where: str, exc: Exception) -> NoReturn:
        """Raise the public error for ``exc``; never quotes the server's text (or a token)."""
        if isinstance(exc, SecretBackendError):
            raise exc
        import hvac.exceptions as hx
        import requests

        at = f"The Vault server at {s.address}"
        rules = (
            (requests.exceptions.SSLError, "could not be verified (TLS)", "Point VAULT_CACERT at"
             " the CA certificate that signed the server's."),
            ((TimeoutError, requests.exceptions.Timeout), f"did not answer within {s.timeout:g} s",
             "Check that it runs and is reachable; raise TILEDB_CLIENT_VAULT_TIMEOUT if slow."),
            (requests.exceptions.RequestException, f"could not be reached ({type(exc).__name__})",
             "Check VAULT_ADDR (or BAO_ADDR) and that the server runs."),
            (hx.VaultDown, "is sealed", "Unseal it (vault operator unseal / bao operator unseal)."),
        )  # fmt: skip
        for types, what, hint in rules:
            if isinstance(exc, types):
                error = BackendUnavailableError(f"{at} {what}: cannot {action} {where}.", hint=hint)
                raise error from None
        if isinstance(exc, hx.Forbidden | hx.Unauthorized):
            raise SecretBackendError(
                f"{at} refused to {action} {where}: permission denied.",
                hint=f'The policy of this {s.auth} login must allow "create", "read", "update"'
                f' and "delete" on path "{s.policy_path()}".',
            ) from None
        status = getattr(exc, "status_code", None) or type(exc).__name__
        raise SecretBackendError(f"{at} could not {action} {where} ({status}).") from None

    def _login(self, s: VaultSettings) -> hvac.Client:
        """Return an authenticated client for ``s`` (cached); raises documented errors only."""
        if s.auth not in _AUTH_HINT:
            raise BackendUnavailableError(
                f"TILEDB_CLIENT_VAULT_AUTH={s.auth!r} is not an auth method.",
                hint="Use token, approle or kubernetes.",
            )
        with self._lock:
            client = self._clients.get(s)
        if client is not None:
            return client
        client = _client(s)
        if s.auth == "token":
            token = _token()
            if not token:
                raise BackendUnavailableError(
                    "No Vault token: VAULT_TOKEN, BAO_TOKEN and ~/.vault-token are unset.",
                    hint=_AUTH_HINT["token"]
                    + " Or set TILEDB_CLIENT_VAULT_AUTH=approle/kubernetes.",
                )
            client.token = token
        else:
            try:
                if s.auth == "approle":
                    secret_id = _read(s.secret_id_file, "TILEDB_CLIENT_VAULT_SECRET_ID_FILE")
                    client.auth.approle.login(
                        role_id=s.role, secret_id=secret_id, mount_point=s.auth_mount or "approle"
                    )
                else:
                    jwt = _read(s.jwt_file, "TILEDB_CLIENT_VAULT_JWT_FILE")
                    client.auth.kubernetes.login(
                        s.role, jwt, mount_point=s.auth_mount or "kubernetes"
                    )
            except Exception as exc:
                if type(exc).__name__ not in ("Forbidden", "InvalidRequest"):
                    self._fail(s, "log in", f"({s.auth})", exc)
                raise _refused(s, f"role {s.role or '(unset)'}") from None
        with self._lock:
            self._clients[s] = client
        return client

    def _call(self, action: str, key: str, op: str, value: str | None = None) -> Any:
        """Run one KV v2 operation on the entry of ``key``; map every failure."""
        import hvac.exceptions as hx

        s = self.settings(key)
        where = f"{key!r} ({s.mount}/{s.location(key)})"
        client = self._login(s)
        kv, path = client.secrets.kv.v2, s.location(key)
        try:
            self._check_mount(s, client)
            if op == "read":
                return kv.read_secret_version(
                    path, mount_point=s.mount, raise_on_deleted_version=True
                )
            if op == "write":
                return kv.create_or_update_secret(
                    path, {"value": value, "key": key}, mount_point=s.mount
                )
            return kv.delete_latest_version_of_secret(path, mount_point=s.mount)
        except hx.InvalidPath as exc:
            if "no handler for route" in str(exc):
                raise _not_kv2(s, {}) from None
            if op == "read":
                return None
            raise
        except (hx.Forbidden, hx.Unauthorized) as exc:
            self._raise_if_token_invalid(s, client)
            self._fail(s, action, where, exc)
        except Exception as exc:
            self._fail(s, action, where, exc)

    def _raise_if_token_invalid(self, s: VaultSettings, client: hvac.Client) -> None:
        try:
            client.auth.token.lookup_self()
        except Exception:
            with self._lock:
                self._clients.pop(s, None)  # an AppRole/Kubernetes login is made again next time
            raise _refused(
                s, "VAULT_TOKEN, BAO_TOKEN or ~/.vault-token" * (s.auth == "token") or s.auth
            ) from None

    def _check_mount(self, s: VaultSettings, client: hvac.Client) -> None:
        """Refuse a mount that is not KV version 2 (a v1 mount would store under ``data/``)."""
        import hvac.exceptions as hx

        mount = (s.address, s.namespace, s.mount)
        if mount in self._checked_mounts:
            return
        try:
            info = client.adapter.get(f"/v1/sys/internal/ui/mounts/{s.mount}")["data"]
        except (hx.Forbidden, hx.Unauthorized):
            return  # the operation itself says what the policy lacks
        except hx.InvalidPath:
            info = {}
        if str((info.get("options") or {}).get("version")) != "2" or info.get("type") != "kv":
            raise _not_kv2(s, info)
        self._checked_mounts.add(mount)

    # -- the interface --------------------------------------------------------------------

    def probe(self) -> Availability:
        """Ask the server's seal status (unauthenticated) and check a login is configured."""
        try:
            s = self.settings()
            status = self.status()
            if status.get("sealed"):
                return Availability(False, f"{s.address} is sealed")
            self._login(s)
        except SecretBackendError as exc:
            return Availability(False, exc.problem.rstrip("."))
        except Exception as exc:
            return Availability(False, f"{type(exc).__name__}")
        return Availability(True, f"{s.address} {s.mount}/{s.path} ({s.auth} login)")

    def status(self) -> dict[str, Any]:
        """Return the seal status of the server (no login), for ``doctor`` and ``probe``."""
        s = self.settings()
        try:
            return dict(_client(s).sys.read_seal_status())
        except Exception as exc:
            self._fail(s, "report", "its seal status", exc)

    def capabilities(self) -> list[str]:
        """Return what this login may do on the entries (e.g. ``["create", "read"]``)."""
        s = self.settings()
        path = f"{s.mount}/data/{s.path}tiledb-client-doctor"
        try:
            answer = self._login(s).adapter.post(
                "/v1/sys/capabilities-self", json={"paths": [path]}
            )
        except Exception as exc:
            self._fail(s, "list the capabilities on", path, exc)
        return list(answer.get("data", answer).get(path) or [])

    def _quick_read(self, s: VaultSettings, key: str) -> Any:
        """A token read without hvac (see docs/performance.md); ``None``: let hvac do it."""
        token, (scheme, host, port, base) = s.auth == "token" and _token(), _split(s.address)
        proxied = {"http_proxy", "https_proxy", "all_proxy"} & {k.lower() for k in os.environ}
        if not token or proxied or not host or not token.isprintable():
            return None
        import socket

        path = f"{base}/v1/{s.mount}/data/{s.location(key)}"
        request = f"GET {path} HTTP/1.0\r\nHost: {s.address.split('/')[2]}\r\n"
        request += f"X-Vault-Token: {token}\r\n"
        request += f"X-Vault-Namespace: {s.namespace}\r\n\r\n" if s.namespace else "\r\n"
        end, chunks = time.monotonic() + s.timeout, []
        try:
            with socket.create_connection((host, port), timeout=s.timeout) as sock:
                if scheme == "https":
                    import ssl

                    context = ssl.create_default_context(cafile=s.ca_file or None)
                    sock = context.wrap_socket(sock, server_hostname=host)
                sock.sendall(request.encode())
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
                    sock.settimeout(max(end - time.monotonic(), 0.001))
        except TimeoutError as exc:
            self._fail(s, "read", f"{key!r} ({s.mount}/{s.location(key)})", exc)
        except OSError:
            return None
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        if head.split(b" ", 2)[1:2] != [b"200"]:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def keys(self) -> list[str] | None:
        """``[]`` where no server is configured, else ``None``: entries are shared by machines."""
        return None if self.settings().address else []

    def get(self, key: str) -> str | None:
        """Return the ``value`` of the entry of ``key``, or ``None``."""
        answer = self._quick_read(self.settings(key), key) or self._call("read", key, "read")
        value = answer and (answer.get("data") or {}).get("data", {}).get("value")
        return value if isinstance(value, str) and value else None

    def set(self, key: str, secret: str) -> None:
        """Write a new version of the entry of ``key`` (Vault keeps the previous ones)."""
        if not secret:
            raise ValueError("an empty secret cannot be stored")
        self._call("store", key, "write", secret)

    def delete(self, key: str) -> bool:
        """Soft-delete the entry of ``key`` if ``key`` wrote its current version."""
        answer = self._call("read", key, "read")
        data = (answer or {}).get("data", {}).get("data") or {}
        if data.get("key") != key:
            return False
        self._call("delete", key, "delete")
        return True


def _split(address: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of a plain ``http(s)://`` address, else an empty host."""
    scheme, _, rest = address.partition("://")
    netloc, slash, path = rest.partition("/")
    has_port = netloc.rpartition(":")[2].isdigit()
    host, _, port = netloc.rpartition(":") if has_port else (netloc, "", "")
    default = {"http": 80, "https": 443}.get(scheme)
    if not default or not netloc.isascii() or "@" in netloc:
        return scheme, "", 0, ""
    return scheme, host.strip("[]"), int(port or default), (slash + path).rstrip("/")


def _client(s: VaultSettings) -> hvac.Client:
    """A client of the server, not logged in yet."""
    if not s.address:
        raise BackendUnavailableError("No Vault server address: VAULT_ADDR and BAO_ADDR are unset.")
    try:
        import hvac
    except ImportError:
        hint = 'pip install "tiledb-client-keyring[vault]"'
        raise BackendUnavailableError("hvac is not installed.", hint=hint) from None
    verify: bool | str = s.ca_file or True
    return hvac.Client(s.address, verify=verify, namespace=s.namespace or None, timeout=s.timeout)


def _token() -> str:
    return _env("VAULT_TOKEN", "BAO_TOKEN") or _read(os.path.expanduser("~/.vault-token"), "")


def _read(path: str, setting: str) -> str:
    """The stripped text of a credential file; ``""`` when absent and ``setting`` is empty."""
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError as exc:
        if not setting:
            return ""
        raise BackendUnavailableError(
            f"The file {path} ({setting}) cannot be read: {exc.strerror}.",
            hint=f"Point {setting} at a readable file.",
        ) from None


def _refused(s: VaultSettings, source: str) -> SecretBackendError:
    return SecretBackendError(
        f"The Vault {s.auth} login ({source}) is not valid at {s.address}: expired, revoked"
        " or wrong.",
        hint=_AUTH_HINT.get(s.auth, ""),
    )


def _not_kv2(s: VaultSettings, info: dict[str, Any]) -> SecretBackendError:
    version = (info.get("options") or {}).get("version") or 1
    kind = f"a {info.get('type')} engine version {version}" if info else "no secrets engine"
    return SecretBackendError(
        f"The Vault server at {s.address} has {kind} at {s.mount}/, where KV version 2 is needed.",
        hint=f"Enable one (bao secrets enable -path={s.mount} kv-v2), upgrade it"
        f" (bao kv enable-versioning {s.mount}/), or set TILEDB_CLIENT_VAULT_MOUNT.",
    )
