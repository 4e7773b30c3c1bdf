"""Renewing the current password session under live contexts of TileDB core.

The session token is published in ``TILEDB_REST_TOKEN``, where every live context reads it;
every write of ours goes through :func:`publish` and :func:`withdraw`, under one lock
(SECURITY.md, "Renewal under live contexts"). One timer for the process renews it at 80 %
of its remaining life; a failure is retried after a quarter of what is left. A replaced
token is revoked a few seconds later, so that a request core sent with it still succeeds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tiledb.client.basics.logs import get_logger

if TYPE_CHECKING:
    from tiledb.client.basics.api_token import APIToken
    from tiledb.client.session.session import Session
    from tiledb.client.session.settings import SessionSettings
    from tiledb.client.transport.rest import RestFactory

__all__ = [
    "RENEW_AT",
    "VARIABLE",
    "cancel",
    "is_published",
    "publish",
    "renews_at",
    "revoke_later",
    "schedule",
    "withdraw",
]

logger = get_logger(__name__)

RENEW_AT = 0.8
"""The share of a token's life after which it is renewed."""
REVOKE_GRACE = 5.0
"""Seconds a replaced token stays valid after its successor is in use."""

VARIABLE = "TILEDB_REST_TOKEN"

_lock = threading.Lock()
_timer: threading.Timer | None = None
_published: str | None = None
_before: str | None = None  # the user's own value, put back by withdraw()


def publish(token: str) -> None:
    """Make ``token`` the value of ``TILEDB_REST_TOKEN`` for this process."""
    global _published, _before
    if not token:
        raise ValueError("Refusing to publish an empty token.")
    with _lock:
        if _published is None:
            _before = os.environ.get(VARIABLE)
        os.environ[VARIABLE] = token
        _published = token


def withdraw() -> None:
    """Remove the token :func:`publish` wrote; put back what was there before, if anything."""
    global _published, _before
    with _lock:
        if _published is None:
            return
        if os.environ.get(VARIABLE) == _published:  # not replaced by someone else since
            if _before is None:
                os.environ.pop(VARIABLE, None)
            else:
                os.environ[VARIABLE] = _before
        _published = _before = None


def is_published(value: str | None) -> bool:
    """Whether ``value`` is the token this process itself wrote into the environment."""
    return value is not None and value == _published


def renews_at(session: Session, now: datetime | None = None) -> datetime | None:
    """When ``session``'s token will be renewed (``None``: it does not expire)."""
    if session.expires_at is None:
        return None
    now = now or datetime.now(timezone.utc)
    return now + (session.expires_at - now) * RENEW_AT


def schedule(session: Session, renew: Callable[[], object]) -> None:
    """Renew ``session`` (by calling ``renew``) at :data:`RENEW_AT` of its remaining life."""
    at = renews_at(session)
    if at is None:
        cancel()
        return
    _start((at - datetime.now(timezone.utc)).total_seconds(), session, renew)


def _start(delay: float, session: Session, renew: Callable[[], object]) -> None:
    global _timer
    with _lock:
        if _timer is not None:
            _timer.cancel()
        _timer = threading.Timer(max(delay, 0.0), _fire, (session, renew))
        _timer.name, _timer.daemon = "tiledb-client session renewal", True
        _timer.start()


def _fire(session: Session, renew: Callable[[], object]) -> None:
    from tiledb.client.errors import ClientError

    try:
        renew()  # installs the new session, which schedules the next renewal
    except ClientError as exc:
        left = (session.expires_at - datetime.now(timezone.utc)).total_seconds()  # type: ignore[operator]
        logger.warning("the session token was not renewed (%s)", exc)
        if left > 1:
            _start(max(left / 4, 1.0), session, renew)


def cancel() -> None:
    """Stop renewing (logged out, or replaced by a session that does not expire)."""
    global _timer
    with _lock:
        if _timer is not None:
            _timer.cancel()
            _timer = None


def revoke_later(token: APIToken, factory: RestFactory, settings: SessionSettings) -> None:
    """Revoke a replaced session token after :data:`REVOKE_GRACE` seconds."""
    from tiledb.client.session.session_tokens import revoke_replaced

    timer = threading.Timer(REVOKE_GRACE, revoke_replaced, (token, factory, settings))
    timer.name, timer.daemon = "tiledb-client token revocation", True
    timer.start()
