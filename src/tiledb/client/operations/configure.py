"""``configure()``: validate credentials, put the secret in a backend, the rest in the profile.

Under the profile file's lock: the secret, then the profile, then the replaced secrets,
so no profile is left without its secret (SECURITY.md, "Crashes and concurrent writers").
:func:`verify_credentials` asks the server first (``configure --verify``, ``doctor``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tiledb.client.basics.inputs import CredentialKind, check_name, clean_secret
from tiledb.client.basics.models import User, Workspace
from tiledb.client.basics.protocol import (
    is_plain_http_remote,
    normalize_host,
    quote_segment,
    workspace_from_token,
)
from tiledb.client.basics.tls import checked_ca_file
from tiledb.client.errors import ConfigurationError, LoginError, SecretBackendError
from tiledb.client.operations.profile_secrets import (
    delete_profile_secrets,
    new_secret_id,
    revoke_cached_session,
)
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import select_backend
from tiledb.client.storage.profile_keys import SecretLocation, Tls, profile_entries, view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name
from tiledb.client.transport.rest import BasicAuth, RestClient, RestError, RestFactory

__all__ = ["VerifiedCredentials", "configure", "verify_credentials"]

logger = logging.getLogger(__name__)


def _split_token(token: Any) -> tuple[str, str | None]:
    """Return the token string and the workspace it names (str or APIToken-like)."""
    if isinstance(token, str):
        api_key = clean_secret(token, "token", source="the token argument")
        return api_key, workspace_from_token(api_key)
    given = getattr(token, "api_key", None)
    if not isinstance(given, str) or not given:
        raise ConfigurationError("The token must be a string or an APIToken with an api_key.")
    api_key = clean_secret(given, "token", source="the api_key of the token argument")
    return api_key, getattr(token, "workspace_id", None) or workspace_from_token(api_key)


def _checked_host(host: str | None) -> str:
    if host is None or (isinstance(host, str) and not host.strip()):
        raise ConfigurationError("Host is required.")
    normalized = normalize_host(host, source="the host argument")
    hostname = normalized.split("://", 1)[1].split("/", 1)[0]
    if hostname.startswith("app."):
        warnings.warn(
            f"The host name {hostname!r} starts with 'app.', which is usually the TileDB web UI,"
            " not the API. Did you mean a host name starting with 'api.'? Ask your administrator"
            " for the correct value if necessary.",
            UserWarning,
            stacklevel=4,  # the caller of tiledb.client.configure()
        )
    if is_plain_http_remote(normalized):
        warnings.warn(
            f"The host {normalized} uses plain http://: the token or password, and every"
            " session token, would cross the network unencrypted, and TileDB core sends the"
            " API key on to wherever a redirect points. Use https:// unless the network"
            " itself is trusted.",
            UserWarning,
            stacklevel=4,
        )
    return normalized


def configure(
    token: Any = None,
    username: str | None = None,
    password: str | None = None,
    workspace: str | None = None,
    host: str | None = None,
    verify_ssl: bool | None = None,
    ca_file: str | None = None,
    profile_name: str | None = None,
    profile_dir: str | None = None,
    overwrite: bool = False,
    *,
    secret_backend: str | None = None,
    factory: RestFactory,
    session_lifetime: str | None = None,
) -> None:
    """Store a profile: its secret in a backend, the rest in the profile file.

    The parameters are those of :func:`tiledb.client.configure`; ``factory`` makes the
    REST client that revokes the session token of a profile being overwritten;
    ``session_lifetime`` (checked by the caller) is what a password login asks for.
    """
    normalized_host = _checked_host(host)
    ca_path = checked_ca_file(ca_file) if ca_file else None
    if token:
        secret, token_workspace = _split_token(token)
        kind: CredentialKind = "token"
        workspace = workspace or token_workspace
        username = None
    elif username and password:
        secret = clean_secret(password, "password", source="the password argument")
        kind = "password"
    elif username or password:
        raise ConfigurationError(
            "Both username and password are required when using username/password authentication."
        )
    else:
        raise ConfigurationError("Either token OR both username and password must be provided.")
    if not workspace:
        raise ConfigurationError(
            "Workspace is required.",
            hint="Pass workspace=, or a token that names its workspace (<a>-ws_<id>-<b>).",
        )
    workspace = check_name(str(workspace), "the workspace")
    if username is not None:
        username = check_name(username, "the username")
    name = resolve_profile_name(profile_name)
    store = ProfileStore(profile_dir)
    previous = store.get(name)
    if previous is not None and not overwrite:
        _refuse_existing(name, store)
    backend = select_backend(secret_backend)
    secret_id = new_secret_id(name, store)
    entry = secret_entry_key(secret_id, kind)
    profile = profile_entries(
        normalized_host,
        str(workspace),
        username=username if kind == "password" else None,
        tls=Tls(False if verify_ssl is False else None, ca_path),
        secret=SecretLocation(backend.name, secret_id, kind, backend.location(entry) or ""),
        session_lifetime=session_lifetime,
    )
    if previous is not None:
        # The old session token would stay valid on the server: revoke it (best effort).
        revoke_cached_session(name, store, previous, factory)
    # Unlock the backend (a prompt) now, not while holding the lock others wait on.
    backend.get(entry)
    with store.locked():
        try:  # the secret, then the profile; the secret undone if either fails
            backend.set(entry, secret)
            with store.edit() as profiles:
                replaced = profiles.get(name)
                if replaced is not None and not overwrite:
                    _refuse_existing(name, store)
                profiles[name] = profile
        except BaseException:
            try:
                backend.delete(entry)
            except SecretBackendError as cleanup:
                logger.warning("could not remove the secret after a failed configure: %s", cleanup)
            raise
        if replaced is not None:
            delete_profile_secrets(view(replaced).secret)
    logger.info("configured profile %r in %s (secret in %s)", name, store.path, backend.name)


def _refuse_existing(name: str, store: ProfileStore) -> None:
    raise ConfigurationError(
        f"Profile {name!r} already exists in {store.path}. "
        "Pass overwrite=True (--overwrite) to replace it."
    )


@dataclass(frozen=True)
class VerifiedCredentials:
    """What the server said about accepted credentials (``role``: the user's in the workspace)."""

    host: str
    username: str | None
    workspace: str | None
    workspace_id: str | None
    role: str | None


def verify_credentials(
    host: str,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    workspace: str | None = None,
    verify_ssl: bool = True,
    ca_file: str | None = None,
    deadline: float | None = None,
) -> VerifiedCredentials:
    """Ask the server whether it accepts a token, or a username and password.

    ``workspace`` (name or id) is required with a password; with a token it defaults to the one
    the token names; ``deadline`` bounds each request (seconds). Raises LoginError when the
    server refuses the credentials or knows no such workspace, ConfigurationError when the
    arguments form no credential, ClientError when the server cannot be reached.
    """
    basic = None
    if token:
        workspace = workspace or workspace_from_token(token)
        what = "the token"
    elif username and password:
        if not workspace:
            raise ConfigurationError("A workspace is needed to verify a username and password.")
        basic = BasicAuth(username, password)
        what = f"the username {username!r} and its password"
    else:
        raise ConfigurationError("Nothing to verify: give a token, or a username and password.")
    with RestClient(
        host, token=token or None, basic=basic, tls=Tls(verify_ssl, ca_file), deadline=deadline
    ) as rest:
        try:
            data = rest.get("/v4/users/self") if token else None
            user = None
            if isinstance(data, Mapping) and isinstance(data.get("user"), Mapping):
                user = User.from_json(data["user"])
            path = f"/v4/workspaces/{quote_segment(workspace)}" if workspace else None
            found = Workspace.from_json(rest.get(path) or {}) if path else None
        except RestError as exc:
            if exc.status in (401, 403):
                problem = f"refused {what} (HTTP {exc.status})"
            elif exc.status == 404:
                problem = f"knows no workspace {workspace!r} for {what} (HTTP 404)"
            else:
                raise
            raise LoginError(f"The server at {rest.host} {problem}.") from None
    name = (user.username if user is not None else None) or username
    if found is None:
        return VerifiedCredentials(rest.host, name, None, None, None)
    role = found.workspace_role
    role_name = None if role is None else str(getattr(role, "value", role))
    return VerifiedCredentials(rest.host, name, found.name, found.workspace_id, role_name)
