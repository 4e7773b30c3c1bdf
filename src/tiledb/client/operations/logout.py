"""``logout()``: revoke and forget session tokens, end the session; API tokens are never revoked."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tiledb.client.basics.models import APIToken
from tiledb.client.basics.tls import Tls
from tiledb.client.session import current as current_session
from tiledb.client.session.session import Session
from tiledb.client.session.session_tokens import (
    cache_slot_of_profile,
    load_cached_token,
    revoke_session_token,
)
from tiledb.client.session.settings import resolve_tls
from tiledb.client.storage.profile_keys import ProfileView, view
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_dir, resolve_profile_name
from tiledb.client.transport.rest import RestFactory

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["LogoutResult", "end_session", "logout"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogoutResult:
    """What a logout did."""

    profile_name: str
    revoked: bool
    forgot_cached: bool
    ended_session: bool


def logout(
    factory: RestFactory,
    profile_name: str | None = None,
    profile_dir: str | None = None,
) -> LogoutResult:
    """Revoke the profile's session token, forget it, end the matching session.

    Raises ClientError when the server cannot be reached to revoke (nothing is forgotten),
    ConfigurationError when the profile file or the secret backend cannot be read.
    """
    current = current_session.peek()
    if profile_name is None and profile_dir is None and current is not None:
        name, path = current.profile_name, current.profile_file
    else:
        name = resolve_profile_name(profile_name)
        path = ProfileStore(resolve_profile_dir(profile_dir)).path
    return end_session(factory, name, path, view(ProfileStore(path.parent).get(name) or {}))


def end_session(factory: RestFactory, name: str, path: Path, profile: ProfileView) -> LogoutResult:
    """:func:`logout` of ``profile`` as read from ``path``; another profile's session stays."""
    current = current_session.peek()
    if current is not None and (current.profile_name, current.profile_file) != (name, path):
        current = None
    slot = cache_slot_of_profile(profile)
    cached = load_cached_token(slot) if slot is not None else None
    revoked = False
    if cached is not None:
        token, record = cached
        verify, ca_file = resolve_tls(profile, f"profile {name!r} ({path})")
        revoked = revoke_session_token(
            token,
            factory,
            host=str(record.get("host") or profile.host or ""),
            tls=Tls(bool(verify.value), ca_file.value or None),
        )
    if current is not None:
        revoked = _revoke_uncached(current, cached[0] if cached else None, factory) or revoked
    forgot = slot is not None and cached is not None and slot[0].delete(slot[1])
    if current is not None:
        current_session.forget()
    logger.info("logged out of profile %r (revoked: %s)", name, revoked)
    return LogoutResult(name, revoked, forgot, current is not None)


def _revoke_uncached(current: Session, cached: APIToken | None, factory: RestFactory) -> bool:
    """Revoke the session's own token when no cache held it (a password from the environment)."""
    if not current.session_token_id:
        return False
    if cached is not None and cached.token_id == current.session_token_id:
        return False  # revoked above, with the cached record
    token = APIToken(token_id=current.session_token_id, api_key=current.token)
    return revoke_session_token(token, factory, host=current.host, tls=current.tls)
