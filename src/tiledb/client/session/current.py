"""The current session: the one piece of module-level mutable state of the package.

A login replaces it, under a lock, only once the new session is established; a password
session's token is published in ``TILEDB_REST_TOKEN`` and renewed before it expires.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tiledb.client.basics.tiledb_py import publish, withdraw
from tiledb.client.session import renewal
from tiledb.client.session.login import login_session, renewed_session
from tiledb.client.session.session import Session
from tiledb.client.session.tiledb_config import tiledb_params
from tiledb.client.session.tiledb_config import update_default_ctx as set_default_ctx

if TYPE_CHECKING:
    from tiledb.client.transport.rest import RestClient, RestFactory

__all__ = ["current", "forget", "install", "login", "peek", "rest"]

_current: Session | None = None
_lock = threading.RLock()


def peek() -> Session | None:
    """Return the current session without loading one."""
    return _current


def current(factory: RestFactory) -> Session:
    """Return the current session, loading the default profile on first use (LoginError if not)."""
    session = _current
    if session is not None:
        return session
    with _lock:
        if _current is None:
            install(login_session(None, None, factory), update_default_ctx=False, factory=factory)
        assert _current is not None  # noqa: S101 - set just above
        return _current


def install(
    session: Session | None, *, update_default_ctx: bool = True, factory: RestFactory | None = None
) -> None:
    """Make ``session`` the current session (``None`` forgets it).

    A password session's token is published; with ``factory`` it is renewed at 80 % of its life.
    """
    global _current
    with _lock:
        _current = session
        if session is not None and session.session_token_id:
            publish(session.token)
            if factory is not None:
                renewal.schedule(session, lambda: _renew(session, factory))
        else:
            withdraw()
            renewal.cancel()
        if update_default_ctx:
            set_default_ctx(tiledb_params(session) if session is not None else {})


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
    """Establish a session and make it current (LoginError, or ClientError when unreachable)."""
    session = login_session(profile_name, profile_dir, factory, arguments)
    install(session, factory=factory)
    return session


def rest(session: Session, factory: RestFactory) -> RestClient:
    """Return a REST client of ``session`` that renews a refused session token, once."""
    return session.rest(factory, (lambda: _renew(session, factory)) if session.renewable else None)


def _renew(session: Session, factory: RestFactory) -> str:
    """Replace ``session``'s token (refused, or near its expiry): once, however many ask.

    The replacement is published before the old token is revoked, so no context sends a
    revoked token. LoginError when the stored password no longer makes one.
    """
    with _lock:
        replacement = session.cache.renewed
        if replacement is None:
            replacement, obtained = renewed_session(session.settings, factory)
            session.cache.renewed = replacement
            if _current is session:
                same = tiledb_params(replacement) == tiledb_params(session)
                install(replacement, update_default_ctx=not same, factory=factory)
            if obtained.replaced is not None:
                renewal.revoke_later(obtained.replaced, factory, session.settings)
        return replacement.token
