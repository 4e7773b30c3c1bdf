"""The JSON documents the local server answers with, built from seed objects.

Pure functions: :class:`~tiledb.client.testing.state.ServerState` holds the lock and
looks the users up; these only shape the REST v4 objects (``User``, ``WorkspaceUser``,
``Workspace``, ``APIToken``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .seed import SeedToken, SeedUser, SeedWorkspace, parse_time

__all__ = ["token_document", "user_document", "workspace_document"]


def user_document(user: SeedUser) -> dict[str, Any]:
    """Return the ``User`` object of ``user``.

    Parameters
    ----------
    user : SeedUser
        e.g. ``SeedUser("ada")``, giving ``{"id": "usr_...", "username": "ada", ...}``.
    """
    return {
        "id": user.id, "display_name": user.display_name, "image_id": None,
        "email": user.email, "is_valid_email": True, "role": user.role,
        "username": user.username, "timezone": user.timezone,
        "created_at": user.created_at, "updated_at": user.updated_at,
    }  # fmt: skip


def _member_document(
    ws: SeedWorkspace, username: str, find_user: Callable[[str], SeedUser]
) -> dict[str, Any]:
    user = find_user(username)
    creator = find_user(ws.created_by) if ws.created_by else user
    joined = ws.joined.get(username) or max(user.created_at, ws.created_at, key=parse_time)
    return {
        "user_id": user.id, "username": user.username, "display_name": user.display_name,
        "email": user.email, "image_id": None, "role": ws.members.get(username, "member"),
        "added_by": creator.id, "created_at": joined,
    }  # fmt: skip


def workspace_document(
    ws: SeedWorkspace, username: str, find_user: Callable[[str], SeedUser]
) -> dict[str, Any]:
    """Return the ``Workspace`` object of ``ws`` as ``username`` sees it.

    Parameters
    ----------
    ws : SeedWorkspace
        e.g. the default seed's ``acme``.
    username : str
        The member asking, e.g. ``"ada"``: described under ``"self"``.
    find_user : callable
        Returns the user of a username, or raises (e.g. ``ApiError(404, ...)``).
    """
    return {
        "workspace_id": ws.id, "image_id": None, "name": ws.name,
        "created_by": _member_document(ws, ws.created_by or username, find_user),
        "description": ws.description, "self": _member_document(ws, username, find_user),
        "created_at": ws.created_at, "updated_at": ws.updated_at,
    }  # fmt: skip


def token_document(tok: SeedToken) -> dict[str, Any]:
    """Return the ``APIToken`` object of ``tok`` (it includes the api_key).

    Parameters
    ----------
    tok : SeedToken
        e.g. the default seed's token, giving ``{"token_id": "tok_1a2b3c4d5e6f7a8b",
        "name": "local-server-default", ...}``.
    """
    return {
        "token_id": tok.token_id, "name": tok.name, "created_at": tok.created_at,
        "expires_at": tok.expires_at, "api_key": tok.api_key,
        "workspace_id": tok.workspace_id, "scope": tok.scope,
    }  # fmt: skip
