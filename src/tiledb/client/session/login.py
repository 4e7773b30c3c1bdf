"""Establishing a session: settings resolved, secret read, password exchanged.

It changes nothing: making the session current is :mod:`tiledb.client.session.current`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tiledb.client.basics.protocol import workspace_from_token
from tiledb.client.errors import ConfigurationError, LoginError
from tiledb.client.session.session import Cache, Session
from tiledb.client.session.settings import SessionSettings, resolve
from tiledb.client.storage.profiles import resolve_profile_name

if TYPE_CHECKING:  # a token login needs neither
    from tiledb.client.session.session_tokens import ObtainedToken
    from tiledb.client.transport.rest import RestFactory

__all__ = ["login_session", "renewed_session"]


def _shown_name(profile_name: str | None) -> str:
    """The profile name to mention in an error, even when it is itself the error."""
    try:
        return resolve_profile_name(profile_name)
    except ConfigurationError:
        return str(profile_name)


def login_session(
    profile_name: str | None,
    profile_dir: str | None,
    factory: RestFactory,
    arguments: Mapping[str, Any] | None = None,
) -> Session:
    """Establish a session from a profile and the environment, without making it current.

    ``arguments`` win over the environment and the profile. Raises LoginError when the profile
    or its secret cannot be loaded or the server refuses the credentials, ClientError when the
    server cannot be reached.
    """
    try:
        settings = resolve(profile_name, profile_dir, arguments)
    except ConfigurationError as exc:
        raise _login_error(exc, profile_name) from exc
    if settings.token is not None:
        token = str(settings.token.value)
        token_workspace = workspace_from_token(token)
        workspace = settings.workspace.value or token_workspace
        if not workspace:
            raise LoginError(
                "The workspace is unknown: configure one, set TILEDB_REST_WORKSPACE, or use a"
                f" token that names it. [{settings.summary()}]"
            )
        workspace_id = workspace if workspace.startswith("ws_") else token_workspace
        return Session(
            settings.host.value, token, workspace, workspace_id, settings.tls, settings, Cache()
        )
    from tiledb.client.session.session_tokens import obtain_session_token

    try:  # the password is read now, from the same backend a token would be
        obtained = obtain_session_token(settings, factory)
    except ConfigurationError as exc:
        raise _login_error(exc, profile_name) from exc
    return _password_session(settings, factory, obtained)


def _login_error(exc: ConfigurationError, profile_name: str | None) -> LoginError:
    """The LoginError of a profile that cannot be loaded, with the hint of its cause."""
    return LoginError(
        f"Failed to load configuration profile {_shown_name(profile_name)!r}: {exc.problem}",
        hint=exc.hint,
    )


def _password_session(
    settings: SessionSettings, factory: RestFactory, obtained: ObtainedToken
) -> Session:
    """The session of a session token, renewable (before it expires, or when refused)."""
    api_token = obtained.token
    workspace = settings.workspace.value or api_token.workspace_id
    return Session(
        settings.host.value, api_token.api_key, workspace, api_token.workspace_id, settings.tls,
        settings, Cache(), api_token.token_id, renewable=True, expires_at=api_token.expires_at,
    )  # fmt: skip


def renewed_session(
    settings: SessionSettings, factory: RestFactory
) -> tuple[Session, ObtainedToken]:
    """A session like the old one with a new session token.

    The caller revokes the replaced token once the new one is in use.
    """
    from tiledb.client.session.session_tokens import obtain_session_token

    obtained = obtain_session_token(settings, factory, reuse=False, revoke=False)
    return _password_session(settings, factory, obtained), obtained
