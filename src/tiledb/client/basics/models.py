"""Data returned by the server: users, workspaces, memberships and API tokens.

Frozen dataclasses read as the vendor's models do: unknown fields are ignored, missing
ones are ``None``, ``to_dict()`` uses the wire's keys, roles print as their wire value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tiledb.client.basics.api_token import APIToken, WireModel, parse_timestamp, wire_key

__all__ = [
    "APIToken",
    "User",
    "UserRole",
    "UserSelfWorkspace",
    "Workspace",
    "WorkspaceRole",
    "WorkspaceUser",
    "parse_timestamp",
]


class _WireEnum(str, enum.Enum):
    """A string enum that prints as its wire value, as the vendor's plain strings do."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class WorkspaceRole(_WireEnum):
    """A user's role in a workspace."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class UserRole(_WireEnum):
    """A user's role in the TileDB deployment."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True, repr=False)
class User(WireModel):
    """A user of the TileDB deployment (``GET /v4/users/self``)."""

    id: str | None
    username: str | None
    display_name: str | None = None
    email: str | None = None
    is_valid_email: bool | None = None
    image_id: str | None = None
    role: UserRole | str | None = None
    timezone: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True, repr=False)
class WorkspaceUser(WireModel):
    """A user's membership of a workspace: who, which role, added by whom and when."""

    user_id: str | None
    username: str | None
    display_name: str | None = None
    email: str | None = None
    image_id: str | None = None
    role: WorkspaceRole | str | None = None
    added_by: str | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True, repr=False)
class UserSelfWorkspace(WireModel):
    """A workspace as listed by ``GET /v4/users/self``, with the user's own membership.

    The membership (the JSON field ``"self"``) is ``membership``, also ``_self`` as in the
    vendor's package.
    """

    workspace_id: str
    name: str | None = None
    description: str | None = None
    image_id: str | None = None
    created_by: WorkspaceUser | None = None
    membership: WorkspaceUser | None = field(default=None, metadata=wire_key("self"))
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def _self(self) -> WorkspaceUser | None:
        """The caller's membership (the JSON field ``"self"``), as the vendor names it."""
        return self.membership


@dataclass(frozen=True, repr=False)
class Workspace(WireModel):
    """The relationship between a user and workspace.

    Attributes
    ----------
    workspace_id : str
        The unique id of the workspace, e.g. ``"ws_2b7c9d1e3f4a5b6c"``.
    created_by : WorkspaceUser
        The user and action that created the user-workspace relationship.
    workspace_role : WorkspaceRole
        The user's role in the workspace.
    membership : WorkspaceUser
        The caller's membership (the JSON field ``"self"``); also ``_self``.
    """

    workspace_id: str
    name: str | None = None
    created_by: WorkspaceUser | None = None
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    image_id: str | None = None
    workspace_role: WorkspaceRole | str | None = field(default=None, metadata=wire_key(None))
    membership: WorkspaceUser | None = field(default=None, metadata=wire_key("self"))

    @property
    def _self(self) -> WorkspaceUser | None:
        """The caller's membership (the JSON field ``"self"``), as the vendor names it."""
        return self.membership

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Workspace:
        """Build from a workspace object (``GET /v4/workspaces/{id}`` or a self listing)."""
        return cls.from_listed(UserSelfWorkspace.from_json(data))

    @classmethod
    def from_listed(cls, listed: UserSelfWorkspace) -> Workspace:
        """Build from a workspace of the ``GET /v4/users/self`` listing."""
        return cls(
            workspace_id=listed.workspace_id,
            name=listed.name,
            created_by=listed.created_by,
            description=listed.description,
            created_at=listed.created_at,
            updated_at=listed.updated_at,
            image_id=listed.image_id,
            workspace_role=listed.membership.role if listed.membership else None,
            membership=listed.membership,
        )
