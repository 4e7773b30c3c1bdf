"""Session tokens: what a username and password are exchanged for.

A password never reaches TileDB core: login exchanges it for a session token, kept in the
profile's backend and reused without a request until :data:`EXPIRY_MARGIN` before it
expires; ``logout`` revokes it. One revoked meanwhile is replaced at the first call it
refuses (:func:`tiledb.client.session.current.rest`; docs/performance.md).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from tiledb.client.basics.api_token import APIToken
from tiledb.client.basics.logs import get_logger
from tiledb.client.basics.protocol import quote_segment
from tiledb.client.errors import BackendUnavailableError, LoginError, SecretBackendError
from tiledb.client.secrets.base import SecretBackend, secret_entry_key
from tiledb.client.storage.profile_keys import ProfileView

if TYPE_CHECKING:  # a login with a cached session token makes no request
    from collections.abc import Mapping

    from tiledb.client.basics.tls import Tls
    from tiledb.client.session.settings import SessionSettings
    from tiledb.client.transport.rest import RestFactory

__all__ = ["ObtainedToken", "obtain_session_token", "revoke_session_token"]

logger = get_logger(__name__)

# A cached token this close to its expiry is replaced rather than reused.
EXPIRY_MARGIN = timedelta(minutes=5)


LIFETIME_ENV = "TILEDB_CLIENT_SESSION_LIFETIME"
DEFAULT_LIFETIME = "10h"  # a working day, and some


def session_lifetime(settings: SessionSettings) -> timedelta:
    """How long a new session token is asked to live (the server may grant less).

    ``TILEDB_CLIENT_SESSION_LIFETIME``, else the profile's ``client.session_lifetime``, else
    10 hours; the session is renewed at 80 % of what the server grants.
    """
    import os

    from tiledb.client.basics.inputs import parse_duration

    text = os.environ.get(LIFETIME_ENV)
    what = LIFETIME_ENV
    if not text and settings.profile:
        text, what = settings.profile.session_lifetime, "client.session_lifetime"
    return parse_duration(text or DEFAULT_LIFETIME, what=what)


class ObtainedToken(NamedTuple):
    """A session token, ``reused`` or new, and the token it ``replaced`` if still to revoke."""

    token: APIToken
    reused: bool = False
    replaced: APIToken | None = None


def cache_slot_of_profile(profile: ProfileView) -> tuple[SecretBackend, str] | None:
    """Where a stored profile keeps its session token, if it keeps one."""
    location = profile.secret
    if location is None or not location.secret_id or location.auth != "password":
        return None
    from tiledb.client.secrets.registry import get_backend

    return get_backend(location.backend), secret_entry_key(location.secret_id, "session")


def obtain_session_token(
    settings: SessionSettings, factory: RestFactory, *, reuse: bool = True, revoke: bool = True
) -> ObtainedToken:
    """Return a valid session token for a username/password session.

    ``reuse`` the cached token unless it is near its expiry (no request; False makes a new
    one), and ``revoke`` the one a new token replaces (False leaves it to the caller, in
    :attr:`ObtainedToken.replaced`). The password is read only to make a new token.

    Raises LoginError when the server refuses the username and password, or knows no such
    workspace; ClientError when it cannot be reached.
    """
    profile = settings.profile if settings.backend is not None else None  # not an env password
    slot = cache_slot_of_profile(profile) if profile is not None else None
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
        revoke_session_token(token, factory, host=settings.host.value, tls=settings.tls)
    except ClientError as exc:
        logger.warning("the replaced session token %s was not revoked: %s", token.token_id, exc)


def _load(
    slot: tuple[SecretBackend, str], settings: SessionSettings
) -> tuple[APIToken | None, str | None, APIToken | None]:
    """The reusable cached token, its workspace id, and the token a new one replaces.

    Reused for the same host, username and workspace only; its workspace id spares the next
    token request a lookup by name (so the password is sent once).
    """
    try:
        cached = load_cached_token(slot)
    except BackendUnavailableError:
        raise  # the password is in the same backend: the login fails, once, with this error
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

    The request needs the workspace id: unless configured (``ws_...``) or recorded by an
    earlier token, ``GET /v4/workspaces/{name}`` resolves it first, with the password too.
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
        tls=settings.tls,
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
    token: APIToken | None, factory: RestFactory, *, host: str, tls: Tls | None = None
) -> bool:
    """Revoke a session token on the server; ``False`` when already gone, else ClientError."""
    from tiledb.client.transport.rest import RestError

    if token is None or not token.token_id:
        return False
    rest = factory.new_rest(host, token=token.api_key, tls=tls)
    with rest:
        try:
            rest.delete(f"/v4/tokens/{quote_segment(token.token_id)}")
        except RestError as exc:
            if exc.status in (401, 403, 404):
                return False
            raise
    return True


def load_cached_token(slot: tuple[SecretBackend, str]) -> tuple[APIToken, Mapping[str, Any]] | None:
    """Read a cached session token record, whatever its freshness; ``None`` if absent or invalid."""
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
