"""A profile's secrets in its backend: their ids, their removal, its session token.

Configure, profile administration and migration all go through these functions.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from tiledb.client.errors import ClientError, ConfigurationError
from tiledb.client.operations.logout import logout
from tiledb.client.secrets.base import SecretKind, secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.storage.profile_keys import secret_location
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.transport.rest import RestFactory

__all__ = [
    "ALL_KINDS",
    "credential_key",
    "credential_may_be_present",
    "delete_profile_secrets",
    "new_secret_id",
    "revoke_cached_session",
]

logger = logging.getLogger(__name__)

ALL_KINDS: tuple[SecretKind, ...] = ("token", "password", "session")


def new_secret_id(profile_name: str, store: ProfileStore) -> str:
    """Return a fresh secret id, e.g. ``"default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"``.

    The random part keeps it unique when a profile is made again or a directory moves.
    """
    return f"{profile_name} @ {store.path} [{secrets.token_hex(4)}]"


def credential_key(profile: Mapping[str, str]) -> str | None:
    """Return the backend key of the credential a profile logs in with, or ``None``."""
    location = secret_location(profile)
    if location is None or not location.secret_id:
        return None
    return secret_entry_key(location.secret_id, location.auth)


def credential_may_be_present(profile: Mapping[str, str]) -> bool:
    """Return ``False`` only when the profile's backend says its credential is gone."""
    location, key = secret_location(profile), credential_key(profile)
    if location is None or key is None:
        return True
    try:
        return get_backend(location.backend).contains(key)
    except ConfigurationError:
        return True  # the backend does not answer: it most likely deleted nothing either


def delete_profile_secrets(profile: Mapping[str, str]) -> list[str]:
    """Delete every secret a profile has in its backend; return what failed.

    Failures are logged, not raised: the profile change is committed, and a leftover
    secret is an orphan that ``profile prune`` removes.
    """
    location = secret_location(profile)
    if location is None or not location.secret_id:
        return []
    backend_name, secret_id = location.backend, location.secret_id
    failures = []
    credential = credential_key(profile)
    # The credential last: if the backend fails midway, a profile kept can still log in.
    keys = [secret_entry_key(secret_id, kind) for kind in ALL_KINDS]
    keys.sort(key=lambda key: key == credential)
    try:
        backend = get_backend(backend_name)
        for key in keys:
            backend.delete(key)
    except ConfigurationError as exc:
        logger.warning("could not delete the old secrets of %s: %s", secret_id, exc)
        failures.append(str(exc))
    return failures


def revoke_cached_session(
    name: str,
    store: ProfileStore,
    profile: Mapping[str, str],
    factory: RestFactory,
) -> tuple[bool, str | None]:
    """Revoke the profile's cached session token; return whether it was, and why not."""
    location = secret_location(profile)
    if location is None or location.auth != "password":
        return False, None
    try:
        result = logout(factory, name, str(store.directory))
    except (ClientError, ConfigurationError) as exc:
        logger.info("could not revoke the session token of %r: %s", name, exc)
        return False, f"{exc} It was deleted here and stays valid on the server until it expires."
    return result.revoked, None
