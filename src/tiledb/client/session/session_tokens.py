"""Session tokens: what a username and password are exchanged for.

A password profile never sends its password to TileDB core. At login the password
is exchanged for a session token (``POST /v4/tokens`` with HTTP Basic auth; when the
workspace is known only by name, ``GET /v4/workspaces/{name}`` first resolves its id,
with the password too);
the token is kept in the profile's own secret backend, next to the password, and
reused by later logins until :data:`EXPIRY_MARGIN` before it expires.
``logout`` revokes it (``DELETE /v4/tokens/{id}``) and forgets it.

A cached token is trusted without asking the server: login makes no request and
does not even read the password. If the server has revoked it meanwhile, the
first call that it refuses makes a new one (see
:func:`tiledb.client.session.current.rest`). A revoked token grants nothing, so
trusting it costs no security; what it costs is that the refusal surfaces at the
first call instead of at login (docs/performance.md).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from tiledb.client.basics.api_token import APIToken
from tiledb.client.basics.logs import get_logger
from tiledb.client.basics.protocol import quote_segment
from tiledb.client.errors import LoginError, SecretBackendError
from tiledb.client.secrets.base import SecretBackend, secret_entry_key
from tiledb.client.storage import profile_keys

if TYPE_CHECKING:  # a login with a cached session token makes no request
    from collections.abc import Mapping

    from tiledb.client.session.settings import SessionSettings
    from tiledb.client.transport.rest import RestFactory

__all__ = ["ObtainedToken", "obtain_session_token", "revoke_session_token"]

logger = get_logger(__name__)

# A cached token this close to its expiry is replaced rather than reused.
EXPIRY_MARGIN = timedelta(minutes=5)


LIFETIME_ENV = "TILEDB_CLIENT_SESSION_LIFETIME"
DEFAULT_LIFETIME = "10h"  # a working day, and some


def session_lifetime(settings: SessionSettings) -> timedelta:
    """How long a new session token is asked to live.

    ``TILEDB_CLIENT_SESSION_LIFETIME``, else the profile's ``client.session_lifetime``
    (``configure --session-lifetime``), else 10 hours; durations as ``8h`` or ``90m``.
    The server may grant less; the session is renewed at 80 % of what it grants.
    """
    import os

    from tiledb.client.basics.durations import parse_duration

    text = os.environ.get(LIFETIME_ENV)
    what = LIFETIME_ENV
    if not text and settings.profile:
        text, what = settings.profile.get(profile_keys.SESSION_LIFETIME), "client.session_lifetime"
    return parse_duration(text or DEFAULT_LIFETIME, what=what)


class ObtainedToken:
    """A session token, whether it came from the cache (``reused``), and the one it replaced.

    ``replaced`` is left for the caller to revoke when it asked
    :func:`obtain_session_token` not to (a renewal revokes it once the new token is in use).
    """

    __slots__ = ("replaced", "reused", "token")

    def __init__(
        self, token: APIToken, reused: bool = False, replaced: APIToken | None = None
    ) -> None:
        self.token, self.reused, self.replaced = token, reused, replaced

    def __repr__(self) -> str:
        return f"ObtainedToken(token_id={self.token.token_id!r}, reused={self.reused})"


def _cache_slot(settings: SessionSettings) -> tuple[SecretBackend, str] | None:
    """Where the session's profile keeps its session token: its own backend, or nowhere.

    Only a password read from the profile's backend has a place for its session
    token; a password from the environment has none.
    """
    if settings.backend is None or settings.profile is None:
        return None
    return cache_slot_of_profile(settings.profile)


def cache_slot_of_profile(profile: Mapping[str, str]) -> tuple[SecretBackend, str] | None:
    """Where a stored profile keeps its session token, if it keeps one."""
    backend_name = profile.get(profile_keys.SECRET_BACKEND)
    secret_id = profile.get(profile_keys.SECRET_ID)
    if not backend_name or not secret_id or profile.get(profile_keys.AUTH) != "password":
        return None
    from tiledb.client.secrets.registry import get_backend

    return get_backend(backend_name), secret_entry_key(secret_id, "session")


def obtain_session_token(
    settings: SessionSettings, factory: RestFactory, *, reuse: bool = True, revoke: bool = True
) -> ObtainedToken:
    """Return a valid session token for a username/password session.

    Parameters
    ----------
    settings : SessionSettings
        The session's settings; the password is read from its backend only when a
        new token must be made.
    factory : RestFactory
        Makes the REST client that makes a new token.
    reuse : bool
        Reuse the cached token if it is not near its expiry (no request is made);
        False makes a new one (the cached one was refused, or is renewed).
    revoke : bool
        Revoke the token the new one replaces now; False leaves it to the caller
        (:attr:`ObtainedToken.replaced`).

    Raises
    ------
    LoginError
        When the server refuses the username and password, or the workspace is
        unknown.
    ClientError
        When the server cannot be reached.
    """
    slot = _cache_slot(settings)
    known_workspace_id = replaced = None
    if slot is not None:
        cached, known_workspace_id, replaced = _load(slot, settings)
        if reuse and cached is not None:
            logger.debug("reusing session token %s", cached.token_id)
            return ObtainedToken(cached, reused=True)
        replaced = replaced or cached
    token = _mint(settings, factory, known_workspace_id)
    if slot is not None:
        _save(slot, token, settings)
    if replaced is not None and revoke:  # every token minted is revoked once nothing records it
        revoke_replaced(replaced, factory, settings)
        replaced = None
    return ObtainedToken(token, replaced=replaced)


def revoke_replaced(token: APIToken, factory: RestFactory, settings: SessionSettings) -> None:
    """Revoke a replaced session token; a failure is logged (``logout --everywhere`` finds it)."""
    from tiledb.client.errors import ClientError

    try:
        revoke_session_token(
            token, factory, host=settings.host.value,
            verify_ssl=bool(settings.verify_ssl.value), ca_file=settings.ca_file.value or None,
        )  # fmt: skip
    except ClientError as exc:  # logout --everywhere still finds it on the server
        logger.warning("the replaced session token %s was not revoked: %s", token.token_id, exc)


def _load(
    slot: tuple[SecretBackend, str], settings: SessionSettings
) -> tuple[APIToken | None, str | None, APIToken | None]:
    """The reusable cached token, its workspace id, and the token a new one replaces.

    The replaced one is revoked once the new one is cached. A token is reused only for
    the same host, username and workspace; its workspace id spares the next token
    request a lookup of the workspace by name (the password is then sent once).
    """
    try:
        cached = load_cached_token(slot)
    except SecretBackendError as exc:
        logger.warning("cannot read the cached session token: %s", exc)
        return None, None, None
    if cached is None:
        return None, None, None
    token, record = cached
    same_host = record.get("host") == settings.host.value
    replaced = token if same_host and token.api_key and token.token_id else None
    if not same_host or record.get("username") != settings.username.value:
        return None, None, replaced
    if record.get("workspace") != settings.workspace.value:
        return None, None, replaced
    known_id = token.workspace_id or None
    expires = token.expires_at
    fresh = expires is None or expires > datetime.now(timezone.utc) + EXPIRY_MARGIN
    if not (fresh and token.api_key and token.token_id):
        return None, known_id, replaced
    return token, known_id, None


def _mint(
    settings: SessionSettings, factory: RestFactory, known_workspace_id: str | None = None
) -> APIToken:
    """Exchange the password for a session token of the workspace.

    The token request needs the workspace id. When the workspace is configured by
    id (``ws_...``), or an earlier session token of the same account and workspace
    recorded it, the password is sent once (``POST /v4/tokens``); otherwise the name
    is first resolved with ``GET /v4/workspaces/{name}``, which also needs the
    password (the protocol has no other way to learn the id): twice.
    """
    import uuid

    from tiledb.client.transport.rest import BasicAuth, RestError

    username = str(settings.username.value)
    password = settings.password.text() if settings.password else ""
    workspace = settings.workspace.value
    if not workspace:
        raise LoginError(
            "The workspace is unknown: a session token is made for one workspace. Configure"
            f" the profile's workspace or set TILEDB_REST_WORKSPACE. [{settings.summary()}]"
        )
    lifetime = session_lifetime(settings)
    expires_at = (datetime.now(timezone.utc) + lifetime).strftime("%Y-%m-%dT%H:%M:%SZ")
    rest = factory.new_rest(
        settings.host.value,
        basic=BasicAuth(username, password),
        verify_ssl=bool(settings.verify_ssl.value),
        ca_file=settings.ca_file.value or None,
    )
    with rest:
        try:
            workspace_id = workspace if workspace.startswith("ws_") else known_workspace_id
            if not workspace_id:
                found = rest.get(f"/v4/workspaces/{quote_segment(workspace)}")
                workspace_id = str((found or {}).get("workspace_id") or "")
                if not workspace_id:  # a token request without it is refused: do not send one
                    raise LoginError(
                        f"The server at {settings.host.value} answered the lookup of workspace"
                        f" {workspace!r} without its workspace_id, so no session token can be"
                        f" asked for it. [{settings.summary()}]"
                    )
            data = rest.post(
                "/v4/tokens",
                {
                    "name": f"login-session-{uuid.uuid4()}",
                    "scope": "*",
                    "workspace_id": workspace_id,
                    "expires_at": expires_at,
                },
            )
        except RestError as exc:
            if exc.status in (401, 403):
                raise LoginError(
                    f"The server at {settings.host.value} refused the username {username!r} and"
                    f" its password (HTTP {exc.status}). [{settings.summary()}]"
                ) from None
            if exc.status == 404:
                raise LoginError(
                    f"The server at {settings.host.value} knows no workspace {workspace!r} for"
                    f" {username!r} (HTTP 404). [{settings.summary()}]"
                ) from None
            raise settings.explain(exc) from None
    token = APIToken.from_json(data if isinstance(data, dict) else {})
    if not token.api_key:
        raise LoginError(f"The server at {settings.host.value} returned no session token.")
    logger.debug("created session token %s for %s", token.token_id, username)
    return token


def _save(slot: tuple[SecretBackend, str], token: APIToken, settings: SessionSettings) -> None:
    backend, key = slot
    record = {
        "token_id": token.token_id,
        "api_key": token.api_key,
        "workspace_id": token.workspace_id,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "host": settings.host.value,
        "username": settings.username.value,
        "workspace": settings.workspace.value,
    }
    try:
        backend.set(key, json.dumps(record))
    except SecretBackendError as exc:
        logger.warning(
            "the session token could not be cached, the next login makes a new one: %s", exc
        )


def revoke_session_token(
    token: APIToken | None,
    factory: RestFactory,
    *,
    host: str,
    verify_ssl: bool,
    ca_file: str | None,
) -> bool:
    """Revoke a session token on the server; ``False`` when it was already gone.

    Raises
    ------
    ClientError
        When the server cannot be reached or refuses for another reason.
    """
    from tiledb.client.transport.rest import RestError

    if token is None or not token.token_id:
        return False
    rest = factory.new_rest(host, token=token.api_key, verify_ssl=verify_ssl, ca_file=ca_file)
    with rest:
        try:
            rest.delete(f"/v4/tokens/{quote_segment(token.token_id)}")
        except RestError as exc:
            if exc.status in (401, 403, 404):
                return False
            raise
    return True


def load_cached_token(slot: tuple[SecretBackend, str]) -> tuple[APIToken, Mapping[str, Any]] | None:
    """Read a cached session token record, whatever its freshness.

    Returns
    -------
    tuple of (APIToken, dict) or None
        ``None`` when there is none, or it is not a valid record (logged).
    """
    backend, key = slot
    raw = backend.get(key)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        return APIToken.from_json(record), record
    except (ValueError, TypeError, AttributeError):
        logger.warning("ignoring a cached session token that is not valid JSON")
        return None
