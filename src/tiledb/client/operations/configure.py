"""``configure()``: validate credentials, put the secret in a backend, the rest in the profile.

Under the profile file's lock: the secret, then the profile, then the replaced secrets,
so no profile is left without its secret (SECURITY.md, "Crashes and concurrent writers").
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from tiledb.client.basics.inputs import CredentialKind, check_name, clean_secret
from tiledb.client.basics.protocol import (
    is_plain_http_remote,
    normalize_host,
    workspace_from_token,
)
from tiledb.client.basics.tls import checked_ca_file
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.operations.profile_secrets import (
    delete_profile_secrets,
    new_secret_id,
    revoke_cached_session,
)
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import select_backend
from tiledb.client.storage.profile_keys import SecretLocation, Tls, profile_entries, view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name
from tiledb.client.transport.rest import RestFactory

__all__ = ["configure"]

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
