"""Where each session setting comes from: arguments, environment, profile, defaults.

:func:`resolve` takes each setting of :data:`SETTINGS` from its first source that has it,
the credential as a unit (docs/explanation/settings.md). Each value keeps its source, for
messages such as "host from profile 'prod', token from TILEDB_REST_TOKEN"; a stored
secret is read only when needed (:class:`StoredSecret`), never when shadowed.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from tiledb.client.basics.inputs import CredentialKind, check_name, clean_secret
from tiledb.client.basics.logs import get_logger
from tiledb.client.basics.protocol import normalize_host
from tiledb.client.basics.tiledb_py import is_published
from tiledb.client.basics.tls import Tls
from tiledb.client.errors import (
    BackendUnavailableError,
    ConfigurationError,
    SecretBackendError,
    SecretNotFoundError,
)
from tiledb.client.storage.profile_keys import SETTING_KEYS, ProfileView, view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

if TYPE_CHECKING:
    from pathlib import Path

    from tiledb.client.transport.rest import RestError

__all__ = [
    "DEFAULT_HOST",
    "PlaintextSecretWarning",
    "Resolved",
    "SETTINGS",
    "SessionSettings",
    "Setting",
    "StoredSecret",
    "resolve",
    "resolve_tls",
]

logger = get_logger(__name__)

DEFAULT_HOST = "https://api.tiledb.com"


class PlaintextSecretWarning(UserWarning):
    """A profile keeps a token or password in plain text in ``profiles.json``."""


class Setting(NamedTuple):
    """One session setting: its argument name, environment variable, secrecy and default."""

    name: str
    env: str
    secret: bool = False
    default: Any = None

    @property
    def profile_key(self) -> str:
        """Its key in a profile; a secret's is the plain-text key of legacy profiles."""
        return SETTING_KEYS[self.name]


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "TILEDB_REST_SERVER_ADDRESS", default=DEFAULT_HOST),
    Setting("workspace", "TILEDB_REST_WORKSPACE"),
    Setting("username", "TILEDB_REST_USERNAME"),
    Setting("token", "TILEDB_REST_TOKEN", secret=True),
    Setting("password", "TILEDB_REST_PASSWORD", secret=True),
    Setting("verify_ssl", "TILEDB_SSL_VERIFY", default=True),
    Setting("ca_file", "TILEDB_SSL_CA_FILE"),
)
"""Every session setting, in the order ``whoami`` shows them; the docs render this table."""
_BY_NAME = {setting.name: setting for setting in SETTINGS}


class Resolved(NamedTuple):
    """A value and its source (``"argument"``, ``"TILEDB_REST_TOKEN"``); the value never shown."""

    value: Any
    source: str

    def __repr__(self) -> str:
        return f"Resolved(source={self.source!r})"

    def text(self) -> str:
        """The value as text; a :class:`StoredSecret` is read now (:meth:`StoredSecret.read`)."""
        return self.value.read() if isinstance(self.value, StoredSecret) else str(self.value)


class StoredSecret:
    """A profile's secret in a backend: where it is, read only by :meth:`read`. Never shown.

    ``key`` is its entry, e.g. ``"password: default @ /home/ada/.tiledb/profiles.json
    [1f3a9c2e]"``; ``kind`` is ``"token"`` or ``"password"``; ``where`` names the profile.
    """

    __slots__ = ("backend", "key", "kind", "profile_name", "where")

    def __init__(self, backend: str, key: str, kind: str, profile_name: str, where: str) -> None:
        self.backend, self.key, self.kind = backend, key, kind
        self.profile_name, self.where = profile_name, where

    def read(self) -> str:
        """Return the secret from its backend, checked by :func:`clean_secret`.

        Raises ConfigurationError when it breaks a rule (value never shown), SecretBackendError
        when missing (:class:`SecretNotFoundError`) or unreadable (locked, no passphrase, ...).
        """
        from tiledb.client.secrets.registry import get_backend

        try:
            value = get_backend(self.backend).get(self.key)
        except SecretBackendError as exc:
            _with_profile_hint(exc, self.profile_name, self.backend)
            raise
        if value is None:
            raise SecretNotFoundError(
                f"The {self.kind} of {self.where} is missing from the {self.backend!r} backend.",
                hint="Store it again with: tiledb-client configure --profile"
                f" {self.profile_name} --overwrite",
            )
        kind: CredentialKind = "token" if self.kind == "token" else "password"
        return clean_secret(value, kind, source=f"{self.where} via {self.backend}")

    def __repr__(self) -> str:
        return f"StoredSecret({self.kind} of {self.where} in {self.backend!r})"


class SessionSettings(NamedTuple):
    """Everything a session needs, each value with its source. Secrets never shown.

    ``token``, or ``password`` with ``username``, is the credential in effect; ``backend``
    held it; ``profile`` is the profile read (``None``: no such profile); ``shadowed`` is
    e.g. ``("TILEDB_REST_TOKEN shadows the credentials stored in ...",)``.
    """

    profile_name: str
    profile_path: str
    profile: ProfileView | None
    host: Resolved
    workspace: Resolved
    username: Resolved
    verify_ssl: Resolved
    ca_file: Resolved
    token: Resolved | None = None
    password: Resolved | None = None
    backend: str | None = None
    shadowed: tuple[str, ...] = ()

    def __repr__(self) -> str:
        shown = ("profile_name", "profile_path", "host", "workspace", "backend")
        return "SessionSettings(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in shown) + ")"

    @property
    def profile_file(self) -> Path:
        """The profile file, e.g. ``Path("/home/ada/.tiledb/profiles.json")``."""
        from pathlib import Path

        return Path(self.profile_path)

    @property
    def tls(self) -> Tls:
        """The resolved TLS options: ``verify`` a bool, ``ca_file`` an absolute path or ``None``."""
        return Tls(bool(self.verify_ssl.value), self.ca_file.value or None)

    @property
    def auth_kind(self) -> str:
        """``"token"`` or ``"password"``."""
        return "token" if self.token is not None else "password"

    def rows(self) -> list[tuple[str, str, str]]:
        """Return ``(setting, shown value, source)`` rows, secrets masked."""
        from tiledb.client.basics.masking import mask

        rows = []
        for setting in SETTINGS:
            resolved: Resolved | None = getattr(self, setting.name)
            if resolved is None or resolved.value in (None, ""):
                continue
            value = resolved.value
            shown = (
                mask(value if isinstance(value, str) else "(stored)", tail=setting.name == "token")
                if setting.secret
                else str(value)
            )
            rows.append((setting.name, shown, resolved.source))
        return rows

    def summary(self) -> str:
        """One line saying where each setting came from, e.g. for error messages."""
        return "; ".join(f"{name} from {source}" for name, _, source in self.rows())

    def explain(self, error: RestError) -> RestError:
        """Return ``error`` with where each setting came from (:meth:`summary`) before its hint."""
        return type(error)(
            f"{error.problem} [{self.summary()}]", status=error.status, hint=error.hint
        )


def _parse_bool(text: str, where: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ConfigurationError(f"{where} must be true or false, not {text!r}.")


def _pick(
    name: str,
    arguments: Mapping[str, Any],
    environ: Mapping[str, str],
    profile: ProfileView | None,
    profile_source: str,
) -> Resolved:
    """The first source that has a value for a non-secret setting."""
    setting = _BY_NAME[name]
    if arguments.get(name) not in (None, ""):
        return Resolved(arguments[name], "argument")
    if environ.get(setting.env):
        return Resolved(environ[setting.env], setting.env)
    if profile and profile.setting(name):
        return Resolved(profile.setting(name), profile_source)
    return Resolved(setting.default, "default")


def resolve_tls(
    profile: ProfileView | None,
    profile_source: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    profile_name: str | None = None,
) -> tuple[Resolved, Resolved]:
    """Resolve ``verify_ssl`` (a bool) and ``ca_file`` (an absolute path or ``None``).

    As every setting (:data:`SETTINGS`); booleans read ``true/false``, ``1/0``, ``yes/no``,
    ``on/off``. Shared by :func:`resolve`, ``logout`` and ``doctor``, so all reach the server
    the same way. ``profile_source`` names the profile in messages, ``profile_name`` in the
    command of a hint. ConfigurationError for a verify value that is not a boolean, or
    (verifying) a CA file that is missing, unreadable or holds no certificate.
    """
    arguments = arguments or {}
    environ = os.environ
    verify = _pick("verify_ssl", arguments, environ, profile, profile_source)
    if isinstance(verify.value, str):
        verify = Resolved(_parse_bool(verify.value, f"verify_ssl ({verify.source})"), verify.source)
    ca_file = _pick("ca_file", arguments, environ, profile, profile_source)
    return verify, _ca_file(ca_file, verify, profile_name)


def _ca_file(ca_file: Resolved, verify: Resolved, name: str | None) -> Resolved:
    """The CA file by absolute path (a relative one from the current directory, as core does)."""
    if not ca_file.value or not verify.value:
        return ca_file
    from tiledb.client.basics.tls import absolute_ca_file, ca_file_problem

    value = str(ca_file.value)
    absolute = absolute_ca_file(value)
    problem = ca_file_problem(absolute)
    if problem is None:
        return Resolved(absolute, ca_file.source)
    relative = "" if value == absolute else f", given as the relative path {value!r}"
    if ca_file.source == "argument":
        hint = "Pass ca_file= the server's CA certificate (a PEM file)."
    elif ca_file.source.startswith("TILEDB_"):
        hint = f"Set {ca_file.source} to the server's CA certificate (a PEM file), or unset it."
    else:
        profile = f" --profile {name}" if name else ""
        hint = (
            "Put the file back, or store its new place (an absolute path):"
            f" tiledb-client configure{profile} --overwrite --ca-file /path/to/ca.pem"
        )
    raise ConfigurationError(
        f"The CA file {absolute} (ssl.ca_file from {ca_file.source}{relative}) {problem}.",
        hint=hint,
    )


def resolve(
    profile_name: str | None = None,
    profile_dir: str | os.PathLike[str] | None = None,
    arguments: Mapping[str, Any] | None = None,
    *,
    require_credentials: bool = True,
) -> SessionSettings:
    """Resolve the settings of a session.

    ``profile_name`` and ``profile_dir`` default as in
    :mod:`tiledb.client.storage.profiles`; ``arguments`` (``host``, ``token``, ``username``,
    ``password``, ``workspace``, ``verify_ssl``, ``ca_file``) win over everything;
    ``require_credentials=False`` (``whoami``) reports a missing credential instead.

    Raises ConfigurationError when the profile file is unreadable, a value is invalid, the
    secret is missing from its backend, or no credential is found anywhere.
    """
    arguments = dict(arguments or {})
    environ = os.environ
    name = resolve_profile_name(profile_name)
    store = ProfileStore(profile_dir)
    profiles = store.read()
    profile = view(profiles[name]) if name in profiles else None
    source = f"profile {name!r} ({store.file})"

    host, workspace, username = (
        _pick(n, arguments, environ, profile, source) for n in ("host", "workspace", "username")
    )
    host = host._replace(
        value=normalize_host(str(host.value), source=f"the host from {host.source}")
    )
    _named("workspace", workspace)
    _named("username", username)
    settings = SessionSettings(
        name, store.file, profile, host, workspace, username,
        *resolve_tls(profile, source, arguments, profile_name=name),
    )  # fmt: skip
    settings = _with_credentials(settings, arguments, environ, source)
    if require_credentials and settings.token is None and settings.password is None:
        raise ConfigurationError(
            f"No credentials found: profile {name!r} does not exist in {store.file}"
            + (f" (it has {', '.join(map(repr, profiles))})." if profiles else ".")
            if profile is None
            else f"No credentials found in profile {name!r} ({store.file}).",
            hint=_configure_hint(name, profile is not None),
        )
    if require_credentials and settings.password is not None and not settings.username.value:
        raise ConfigurationError(
            f"A password was found ({settings.password.source}) but no username.",
            hint="Set TILEDB_REST_USERNAME, or configure the profile with a username.",
        )
    return settings


def _configure_hint(name: str, exists: bool) -> str:
    overwrite = " --overwrite" if exists else ""
    return (
        f"Run tiledb-client configure --profile {name}{overwrite} to store credentials first,"
        " or set TILEDB_REST_TOKEN."
    )


def _with_profile_hint(error: SecretBackendError, name: str, backend_name: str) -> None:
    """Offer the other backend in an unavailable backend's error (not a wrong passphrase's)."""
    if not isinstance(error, BackendUnavailableError):
        return
    from tiledb.client.secrets.registry import get_backend

    other = "keyring" if backend_name == "encrypted-file" else "encrypted-file"
    available = get_backend(other).probe().available
    if other == "keyring" and not available:
        return  # no D-Bus either, say: it would fail here too
    first = (
        "" if available else " set TILEDB_CLIENT_PASSPHRASE or TILEDB_CLIENT_PASSPHRASE_FILE, then"
    )
    elsewhere = (
        f"Or keep this profile's secret in the {other} backend instead:{first}"
        f" tiledb-client configure --profile {name} --overwrite --backend {other}"
    )
    error.hint = f"{error.hint} {elsewhere}" if error.hint else elsewhere


def _with_credentials(
    settings: SessionSettings,
    arguments: Mapping[str, Any],
    environ: Mapping[str, str],
    source: str,
) -> SessionSettings:
    """Attach the credential of the highest source; a shadowed stored one is never read."""
    env_token = environ.get("TILEDB_REST_TOKEN")
    env_token = None if is_published(env_token) else env_token  # ours, published for core
    found: tuple[Resolved | None, Resolved | None, str | None] | None = None
    for token_source, password_source, layer_token, layer_password in (
        ("argument", "argument", arguments.get("token"), arguments.get("password")),
        (
            "TILEDB_REST_TOKEN",
            "TILEDB_REST_PASSWORD",
            env_token,
            environ.get("TILEDB_REST_PASSWORD"),
        ),
    ):
        if layer_token:
            found = (_secret(layer_token, "token", token_source), None, None)
            break
        if layer_password:
            found = (None, _secret(layer_password, "password", password_source), None)
            break
    stored = _stored_credentials(settings.profile_name, settings.profile, source)
    shadowed: tuple[str, ...] = ()
    if found is None and stored is not None:
        token, password, backend = stored
        if token is not None and isinstance(token.value, StoredSecret):
            token = Resolved(token.value.read(), token.source)  # needed now, for the session
        found = (token, password, backend)
    elif found is not None and stored is not None:
        origin = (found[0] or found[1]).source  # type: ignore[union-attr]
        shadowed = (f"{origin} shadows the credentials stored in {source}",)
    token, password, backend = found or (None, None, None)
    return settings._replace(token=token, password=password, backend=backend, shadowed=shadowed)


def _stored_credentials(
    name: str, profile: ProfileView | None, source: str
) -> tuple[Resolved | None, Resolved | None, str | None] | None:
    """The credential a profile holds, unread: a :class:`StoredSecret`, or plain text."""
    location = profile.secret if profile else None
    if location is not None:
        from tiledb.client.secrets.base import secret_entry_key

        if not location.secret_id:
            raise ConfigurationError(
                f"{source} names backend {location.backend!r} but no secret id."
            )
        key = secret_entry_key(location.secret_id, location.auth)
        stored = StoredSecret(location.backend, key, location.auth, name, source)
        resolved = Resolved(stored, f"{source} via {location.backend}")
        pair = (resolved, None) if location.auth == "token" else (None, resolved)
        return (*pair, location.backend)
    plaintext = profile.plaintext if profile else None
    if plaintext is None:
        return None
    kind, key, value = plaintext
    message = (
        f"{source} keeps its {key} in plain text. Move it into a secret backend with: "
        f"tiledb-client migrate --profile {name}"
    )
    # A warning only (the CLI shows it): logging it too printed it twice without logging set up.
    warnings.warn(message, PlaintextSecretWarning, stacklevel=4)
    resolved = _secret(value, kind, f"{source}, plain text")
    return (resolved, None, None) if kind == "token" else (None, resolved, None)


def _named(name: str, resolved: Resolved) -> None:
    """Check a username or workspace (:func:`check_name`) when it is set."""
    if isinstance(resolved.value, str) and resolved.value:
        check_name(resolved.value, f"the {name} from {resolved.source}")


def _secret(value: Any, kind: CredentialKind, source: str) -> Resolved:
    """A secret from ``source``, checked and cleaned (:func:`clean_secret`)."""
    where = f"the {kind} argument" if source == "argument" else source
    return Resolved(clean_secret(value, kind, source=where), source)
