"""Renewing the current password session before its token expires.

One timer for the process, at 80 % of the token's remaining life; a failure is retried
after a quarter of what is left. A replaced token is revoked a few seconds later, so that
a request TileDB core sent with it still succeeds.
"""

from __future__ import annotations

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

__all__ = ["RENEW_AT", "cancel", "renews_at", "revoke_later", "schedule"]

logger = get_logger(__name__)

RENEW_AT = 0.8
"""The share of a token's life after which it is renewed."""
REVOKE_GRACE = 5.0
"""Seconds a replaced token stays valid after its successor is in use."""

_lock = threading.Lock()
_timer: threading.Timer | None = None


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
