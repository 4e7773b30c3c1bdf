"""An established session: host, token, workspace, TLS options, the server's answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from tiledb.client.basics.logs import get_logger
from tiledb.client.basics.protocol import quote_segment
from tiledb.client.errors import ClientError, ConfigurationError
from tiledb.client.session.settings import Resolved, SessionSettings

if TYPE_CHECKING:  # loaded when the server is first asked: a login asks nothing
    from datetime import datetime
    from pathlib import Path

    from tiledb.client.basics.models import User, UserSelfWorkspace, Workspace
    from tiledb.client.basics.tls import Tls
    from tiledb.client.transport.rest import RestClient, RestFactory

__all__ = ["Cache", "Session", "parse_self_user"]

logger = get_logger(__name__)


class Cache:
    """Server answers kept for the life of a session."""

    __slots__ = ("lock", "renewed", "self_user", "workspace")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.self_user: tuple[User, list[UserSelfWorkspace]] | None = None
        self.workspace: Workspace | None = None
        self.renewed: Session | None = None  # the session that replaced this one's refused token


class Session(NamedTuple):
    """An established session, immutable; the token (never a password) is never shown.

    ``workspace`` is as configured (name or id) or the one the token names; ``workspace_id``
    is known without asking the server; ``session_token_id`` names a password's session
    token (``logout`` revokes it), ``renewable``: replaced when refused and before
    ``expires_at``; ``cache`` keeps the server's answers for the session's life.
    """

    host: str
    token: str
    workspace: str | None
    workspace_id: str | None
    tls: Tls
    settings: SessionSettings
    cache: Cache
    session_token_id: str | None = None
    renewable: bool = False
    expires_at: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"Session(host={self.host!r}, workspace={self.workspace!r},"
            f" workspace_id={self.workspace_id!r}, tls={self.tls!r},"
            f" session_token_id={self.session_token_id!r})"
        )

    @property
    def profile_name(self) -> str:
        """The profile the session was resolved from (it may not exist)."""
        return self.settings.profile_name

    @property
    def profile_file(self) -> Path:
        """The profile file consulted."""
        return self.settings.profile_file

    def rest(self, factory: RestFactory, renew: Callable[[], str] | None = None) -> RestClient:
        """Return a REST client authenticated with this session's token."""
        return factory.new_rest(self.host, token=self.token, tls=self.tls, renew=renew)

    def self_user(self, rest: RestClient) -> tuple[User, list[UserSelfWorkspace]]:
        """``GET /v4/users/self``, once per session."""
        with self.cache.lock:
            if self.cache.self_user is None:
                data = _call(rest.get, "/v4/users/self", what="the session user", session=self)
                self.cache.self_user = parse_self_user(data)
            return self.cache.self_user

    def get_workspace(self, rest: RestClient) -> Workspace:
        """``GET /v4/workspaces/{workspace}``, once per session."""
        with self.cache.lock:
            if self.cache.workspace is None:
                from tiledb.client.basics.models import Workspace

                name = self.workspace or self.workspace_id
                if not name:
                    raise ConfigurationError("Workspace is undefined.")
                data = _call(
                    rest.get,
                    f"/v4/workspaces/{quote_segment(name)}",
                    what=f"the workspace {name!r}",
                    session=self,
                )
                self.cache.workspace = Workspace.from_json(data)
            return self.cache.workspace


def parse_self_user(data: Any) -> tuple[User, list[UserSelfWorkspace]]:
    """Parse the ``data`` of ``GET /v4/users/self``; ClientError without a ``user`` object."""
    from tiledb.client.basics.models import User, UserSelfWorkspace

    if not isinstance(data, Mapping) or not isinstance(data.get("user"), Mapping):
        raise ClientError("The server's answer to GET /v4/users/self has no 'user'.")
    workspaces = [
        UserSelfWorkspace.from_json(item)
        for item in data.get("workspaces") or []
        if isinstance(item, Mapping)
    ]
    return User.from_json(data["user"]), workspaces


def _call(method: Callable[[str], Any], path: str, *, what: str, session: Session) -> Any:
    """Call the server; explain 401/403/404 in terms of the profile."""
    from tiledb.client.transport.rest import RestError

    try:
        return method(path)
    except RestError as exc:
        if exc.status in (401, 403):
            settings = session.settings
            kind = "token" if settings.token is not None else "password"
            origin = (settings.token or settings.password or Resolved(None, "the session")).source
            raise ClientError(
                f"The server at {session.host} refused the session's credentials when fetching"
                f" {what} (HTTP {exc.status}). Log in again, or check the {kind} from {origin}."
                f" [{settings.summary()}]"
            ) from None
        if exc.status in (404, 405):
            raise ClientError(
                f"Cannot fetch {what} from {session.host} (HTTP {exc.status}). Check the"
                f" profile's host and workspace. [{session.settings.summary()}]"
            ) from None
        raise session.settings.explain(exc) from None
