"""The current session: who is logged in, where, and with which token.

:func:`login` resolves the settings (:mod:`tiledb.client.settings`), reads the
secret from its backend, turns a username and password into a session token
(``POST /v4/tokens``, reused across logins while it is valid), and only then
replaces the current session, under a lock: a failed login leaves the previous
session untouched. Nothing here writes ``os.environ``.

The session is the one piece of module-level mutable state of the package.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tiledb.client.errors import ClientError, ConfigurationError, LoginError
from tiledb.client.models import User, UserSelfWorkspace, Workspace
from tiledb.client.profiles import resolve_profile_name
from tiledb.client.rest import BasicAuth, RestClient, RestError, quote_segment
from tiledb.client.settings import SessionSettings, resolve, workspace_from_token

__all__ = [
    "RestFactory",
    "Session",
    "current",
    "forget",
    "install",
    "login",
    "peek",
    "tiledb_params",
]

logger = logging.getLogger(__name__)


class RestFactory(Protocol):
    """Makes REST clients with the caller's retry mode and pool size."""

    def new_rest(
        self,
        host: str,
        *,
        token: str | None = None,
        basic: BasicAuth | None = None,
        verify_ssl: bool = True,
        ca_file: str | None = None,
    ) -> RestClient:
        """Return a new REST client for ``host``."""


@dataclass
class _Cache:
    """Server answers kept for the life of a session."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    self_user: tuple[User, list[UserSelfWorkspace]] | None = None
    workspace: Workspace | None = None


@dataclass(frozen=True)
class Session:
    """An established session. The token is never shown.

    Attributes
    ----------
    host : str
        Base URL of the server.
    token : str
        The token sent with every request: the API token, or the session token
        made from a username and password. Never the password.
    workspace : str or None
        The workspace as configured (name or id), or the one the token names.
    workspace_id : str or None
        The workspace id, when known without asking the server.
    verify_ssl : bool
    ca_file : str or None
    settings : SessionSettings
        Where each value came from.
    session_token_id : str or None
        Id of the session token made from a password, if any (``logout`` revokes it).
    """

    host: str
    token: str = field(repr=False)
    workspace: str | None
    workspace_id: str | None
    verify_ssl: bool
    ca_file: str | None
    settings: SessionSettings = field(repr=False)
    session_token_id: str | None = None
    cache: _Cache = field(default_factory=_Cache, repr=False, compare=False)

    @property
    def profile_name(self) -> str:
        """The profile the session was resolved from (it may not exist)."""
        return self.settings.profile_name

    @property
    def profile_file(self) -> Path:
        """The profile file consulted."""
        return self.settings.profile_file

    def rest(self, factory: RestFactory) -> RestClient:
        """Return a REST client authenticated with this session's token."""
        return factory.new_rest(
            self.host, token=self.token, verify_ssl=self.verify_ssl, ca_file=self.ca_file
        )

    def self_user(self, rest: RestClient) -> tuple[User, list[UserSelfWorkspace]]:
        """``GET /v4/users/self``, once per session."""
        with self.cache.lock:
            if self.cache.self_user is None:
                data = _call(rest.get, "/v4/users/self", what="the session user", session=self)
                self.cache.self_user = _parse_self(data)
            return self.cache.self_user

    def get_workspace(self, rest: RestClient) -> Workspace:
        """``GET /v4/workspaces/{workspace}``, once per session."""
        with self.cache.lock:
            if self.cache.workspace is None:
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


def _parse_self(data: Any) -> tuple[User, list[UserSelfWorkspace]]:
    if not isinstance(data, Mapping) or not isinstance(data.get("user"), Mapping):
        raise ClientError("The server's answer to GET /v4/users/self has no 'user'.")
    workspaces = [
        UserSelfWorkspace.from_json(item)
        for item in data.get("workspaces") or []
        if isinstance(item, Mapping)
    ]
    return User.from_json(data["user"]), workspaces


def _call(method: Any, path: str, *, what: str, session: Session) -> Any:
    """Call the server; explain 401/403/404 in terms of the profile."""
    try:
        return method(path)
    except RestError as exc:
        if exc.status in (401, 403):
            raise ClientError(
                f"The server at {session.host} refused the session's credentials when fetching"
                f" {what} (HTTP {exc.status}). Log in again, or check the profile's token."
                f" [{session.settings.summary()}]"
            ) from None
        if exc.status in (404, 405):
            raise ClientError(
                f"Cannot fetch {what} from {session.host} (HTTP {exc.status}). Check the"
                f" profile's host and workspace. [{session.settings.summary()}]"
            ) from None
        raise


# -- the current session ---------------------------------------------------------

_current: Session | None = None
_lock = threading.RLock()


def peek() -> Session | None:
    """Return the current session without loading one."""
    return _current


def current(factory: RestFactory) -> Session:
    """Return the current session, loading the default profile on first use.

    Raises
    ------
    LoginError
        When no session exists and the default profile cannot be loaded.
    """
    session = _current
    if session is not None:
        return session
    with _lock:
        if _current is None:
            install(login_session(None, None, factory), update_default_ctx=False)
        assert _current is not None  # noqa: S101 - set just above
        return _current


def install(session: Session | None, *, update_default_ctx: bool = True) -> None:
    """Make ``session`` the current session (``None`` forgets it)."""
    global _current
    with _lock:
        _current = session
        if update_default_ctx:
            from tiledb.client.contexts import update_default_ctx as _update

            _update(tiledb_params(session) if session is not None else {})


def forget() -> Session | None:
    """Forget the current session and return it (for ``logout``)."""
    with _lock:
        session = _current
        install(None, update_default_ctx=session is not None)
        return session


def login(
    profile_name: str | None,
    profile_dir: str | None,
    factory: RestFactory,
    arguments: Mapping[str, Any] | None = None,
) -> Session:
    """Establish a session and make it current.

    Raises
    ------
    LoginError
        When the profile or its secret cannot be loaded, or the server refuses
        the credentials.
    ClientError
        When the server cannot be reached.
    """
    session = login_session(profile_name, profile_dir, factory, arguments)
    install(session)
    return session


def login_session(
    profile_name: str | None,
    profile_dir: str | None,
    factory: RestFactory,
    arguments: Mapping[str, Any] | None = None,
) -> Session:
    """Establish a session without making it current."""
    try:
        settings = resolve(profile_name, profile_dir, arguments)
    except LoginError:
        raise
    except ConfigurationError as exc:
        raise LoginError(
            f"Failed to load configuration profile {resolve_profile_name(profile_name)!r}: {exc}"
            " Use configure() (tiledb-client configure) to store credentials first."
        ) from exc
    if settings.token is not None:
        token = str(settings.token.value)
        token_workspace = workspace_from_token(token)
        workspace = settings.workspace.value or token_workspace
        if not workspace:
            raise LoginError(
                "The workspace is unknown: configure one, set TILEDB_REST_WORKSPACE, or use a"
                f" token that names it. [{settings.summary()}]"
            )
        return Session(
            host=settings.host.value,
            token=token,
            workspace=workspace,
            workspace_id=workspace if workspace.startswith("ws_") else token_workspace,
            verify_ssl=bool(settings.verify_ssl.value),
            ca_file=settings.ca_file.value or None,
            settings=settings,
        )
    from tiledb.client.session_tokens import obtain_session_token

    obtained = obtain_session_token(settings, factory)
    api_token = obtained.token
    workspace = settings.workspace.value or api_token.workspace_id
    session = Session(
        host=settings.host.value,
        token=api_token.api_key,
        workspace=workspace,
        workspace_id=api_token.workspace_id,
        verify_ssl=bool(settings.verify_ssl.value),
        ca_file=settings.ca_file.value or None,
        settings=settings,
        session_token_id=api_token.token_id,
    )
    if obtained.self_user:
        session.cache.self_user = _parse_self(obtained.self_user)
    return session


def tiledb_params(session: Session) -> dict[str, str]:
    """The TileDB core config parameters that carry a session's credentials.

    TileDB core loads a profile into every config: the one named by
    ``TILEDB_PROFILE_NAME``/``TILEDB_PROFILE_DIR``, and it refuses to make a context
    when that profile does not exist. So the session names its own profile
    (``profile_name``/``profile_dir``), or none at all (both empty) when it has no
    profile. ``rest.username`` and ``rest.password`` are set empty on purpose: the
    token is the credential, and core must not take a password from a profile.
    """
    settings = session.settings
    has_profile = settings.profile is not None
    params = {
        "profile_name": settings.profile_name if has_profile else "",
        "profile_dir": str(settings.profile_file.parent) if has_profile else "",
        "rest.server_address": session.host,
        "rest.token": session.token,
        "rest.username": "",
        "rest.password": "",
    }
    if session.workspace:
        params["rest.workspace"] = session.workspace
    if not session.verify_ssl:
        params["ssl.verify"] = "false"
    if session.ca_file:
        params["ssl.ca_file"] = session.ca_file
    return params
