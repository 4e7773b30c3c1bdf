"""``configure()``: validate credentials, put the secret in a backend, the rest in the profile.

The order makes a half-written profile impossible: the secret is stored first
under a fresh id; then the profile is written under the file lock; if that
fails, the new secret is deleted again. Only after the profile names the new
secret are the secrets of the profile it replaced deleted.
"""

from __future__ import annotations

import logging
import secrets
import warnings
from typing import Any

from tiledb.client import profiles as keys
from tiledb.client.errors import ConfigurationError, SecretBackendError
from tiledb.client.profiles import ProfileStore, resolve_profile_name
from tiledb.client.rest import normalize_host
from tiledb.client.secrets.base import SecretBackend, SecretKind, secret_entry_key
from tiledb.client.settings import workspace_from_token

__all__ = ["ALL_KINDS", "configure", "delete_profile_secrets", "new_secret_id"]

logger = logging.getLogger(__name__)

ALL_KINDS: tuple[SecretKind, ...] = ("token", "password", "session")


def new_secret_id(profile_name: str, store: ProfileStore) -> str:
    """Return a fresh, readable, unique secret id for a profile.

    Examples
    --------
    ``"default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``: the random part keeps
    ids unique even when a profile is deleted and made again, or a directory moves.
    """
    return f"{profile_name} @ {store.path} [{secrets.token_hex(4)}]"


def _split_token(token: Any) -> tuple[str, str | None]:
    """Return the token string and the workspace it names (str or APIToken-like)."""
    if isinstance(token, str):
        return token, workspace_from_token(token)
    api_key = getattr(token, "api_key", None)
    if not isinstance(api_key, str) or not api_key:
        raise ConfigurationError("The token must be a string or an APIToken with an api_key.")
    return api_key, getattr(token, "workspace_id", None) or workspace_from_token(api_key)


def _checked_host(host: str | None) -> str:
    if not host or not str(host).strip():
        raise ConfigurationError("Host is required.")
    normalized = normalize_host(str(host))
    hostname = normalized.split("://", 1)[1].split("/", 1)[0]
    if hostname.startswith("app."):
        warnings.warn(
            f"The host name {hostname!r} starts with 'app.', which is usually the TileDB web UI,"
            " not the API. Did you mean a host name starting with 'api.'? Ask your administrator"
            " for the correct value if necessary.",
            UserWarning,
            stacklevel=3,
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
) -> None:
    """Store TileDB credentials in a profile for later use.

    This method handles credential storage and profile management, allowing
    you to save authentication details for use in subsequent sessions. The
    token or password goes to a secret backend (the OS keyring, or an
    encrypted file); host, workspace, username and TLS options go to the
    profile file. After configuring credentials, you can use login() to load
    and activate them for the current session.

    Note
    ----
    If both token and username/password are provided, only the token will be
    stored in the profile. The username and password parameters will be ignored
    when a token is present, as token-based authentication takes priority.

    Parameters
    ----------
    token : str, optional
        API token for authentication. This token may be one that identifies
        a workspace.
    username : str, optional
        A TileDB account username.
    password : str, optional
        A TileDB account password.
    workspace : str, optional
        A TileDB workspace name or id.
    host : str, optional
        The TileDB server address.
    verify_ssl : bool, optional
        Enable strict SSL verification.
    ca_file : str, optional
        Path to a certificate authority bundle file.
    profile_name : str, optional
        The name to assign to the profile. Defaults to "default"
        (or ``$TILEDB_PROFILE_NAME``).
    profile_dir : str, optional
        The directory where the profiles file is stored. Defaults to
        ``$TILEDB_PROFILE_DIR``, else ``~/.tiledb``.
    overwrite : bool, optional
        Whether to overwrite an existing profile. Defaults to False.
    secret_backend : str, optional
        Keyword only. The backend that stores the secret: ``"keyring"``,
        ``"encrypted-file"`` or a plugin's name. Defaults to
        ``$TILEDB_CLIENT_SECRET_BACKEND``, else the OS keyring when a secure one
        answers, else the encrypted file when a passphrase source is set.

    Raises
    ------
    ConfigurationError
        If the configuration fails due to missing or invalid parameters, or no
        secret backend can store the secret.

    Examples
    --------
    Configure credentials using username and password:

    >>> tiledb.client.configure(
    ...     username="myuser",
    ...     password="mypass",
    ...     workspace="myworkspace",
    ...     host="myhost.com"
    ... )

    Configure credentials using an API token:

    >>> tiledb.client.configure(
    ...     token="my-api-token",
    ...     workspace="myworkspace",
    ...     host="myhost.com"
    ... )

    Configure credentials to a named profile:

    >>> tiledb.client.configure(
    ...     token="my-token",
    ...     workspace="myworkspace",
    ...     host="myhost.com",
    ...     profile_name="production"
    ... )

    Overwrite an existing profile:

    >>> tiledb.client.configure(
    ...     token="my-token",
    ...     workspace="myworkspace",
    ...     host="myhost.com",
    ...     overwrite=True
    ... )
    """
    normalized_host = _checked_host(host)
    if token:
        secret, token_workspace = _split_token(token)
        kind: SecretKind = "token"
        workspace = workspace or token_workspace
        username = None
    elif username and password:
        secret, kind = password, "password"
    elif username or password:
        raise ConfigurationError(
            "Both username and password are required when using username/password authentication."
        )
    else:
        raise ConfigurationError("Either token OR both username and password must be provided.")
    if not workspace:
        raise ConfigurationError(
            "Workspace is required. Provide workspace or use a token with a workspace id in"
            " format ws_*."
        )
    name = resolve_profile_name(profile_name)
    store = ProfileStore(profile_dir)
    if not overwrite and store.get(name) is not None:
        _refuse_existing(name, store)
    from tiledb.client.secrets.registry import select_backend

    backend = select_backend(secret_backend)
    profile = {
        keys.HOST: normalized_host,
        keys.WORKSPACE: str(workspace),
        keys.AUTH: kind,
        keys.SECRET_BACKEND: backend.name,
        keys.SECRET_ID: new_secret_id(name, store),
    }
    if kind == "password":
        profile[keys.USERNAME] = str(username)
    if verify_ssl is False:
        profile[keys.VERIFY_SSL] = "false"
        profile[keys.VERIFY_SSL_LEGACY] = "false"
    if ca_file:
        profile[keys.CA_FILE] = str(ca_file)
    previous = store.get(name) if overwrite else None
    if previous is not None:
        # The old session token would stay valid on the server: revoke it (best effort).
        from tiledb.client.profile_admin import revoke_cached_session

        revoke_cached_session(name, store, previous, None)
    replaced = _store_profile(store, name, profile, backend, kind, secret, overwrite=overwrite)
    if replaced is not None:
        delete_profile_secrets(replaced)
    logger.info("configured profile %r in %s (secret in %s)", name, store.path, backend.name)


def _refuse_existing(name: str, store: ProfileStore) -> None:
    raise ConfigurationError(
        f"Profile {name!r} already exists in {store.path}. "
        "Pass overwrite=True (--overwrite) to replace it."
    )


def _store_profile(
    store: ProfileStore,
    name: str,
    profile: dict[str, str],
    backend: SecretBackend,
    kind: SecretKind,
    secret: str,
    *,
    overwrite: bool,
) -> dict[str, str] | None:
    """Store the secret, then the profile; undo the secret if the profile fails."""
    entry = secret_entry_key(profile[keys.SECRET_ID], kind)
    backend.set(entry, secret)
    try:
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
    return replaced


def delete_profile_secrets(profile: dict[str, str]) -> list[str]:
    """Delete every secret a profile has in its backend; return what failed.

    Failures are logged, not raised: the caller has already committed the
    profile change, and a leftover secret is reported rather than fatal.
    """
    backend_name = profile.get(keys.SECRET_BACKEND)
    secret_id = profile.get(keys.SECRET_ID)
    if not backend_name or not secret_id:
        return []
    from tiledb.client.secrets.registry import get_backend

    failures = []
    try:
        backend = get_backend(backend_name)
        for kind in ALL_KINDS:
            backend.delete(secret_entry_key(secret_id, kind))
    except ConfigurationError as exc:
        logger.warning("could not delete the old secrets of %s: %s", secret_id, exc)
        failures.append(str(exc))
    return failures
