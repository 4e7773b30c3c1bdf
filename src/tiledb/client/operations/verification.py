"""Check credentials against the server before they are stored (``configure --verify``).

A token: ``GET /v4/users/self``, then ``GET /v4/workspaces/{ws}``; a username and
password: that workspace call with HTTP Basic auth, as ``login()`` makes it (no token made).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tiledb.client.basics.models import User, Workspace
from tiledb.client.basics.protocol import quote_segment, workspace_from_token
from tiledb.client.errors import ConfigurationError, LoginError
from tiledb.client.transport.rest import BasicAuth, RestClient, RestError

__all__ = ["VerifiedCredentials", "verify_credentials"]


@dataclass(frozen=True)
class VerifiedCredentials:
    """What the server said about accepted credentials (``role``: the user's in the workspace)."""

    host: str
    username: str | None
    workspace: str | None
    workspace_id: str | None
    role: str | None


def _role_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def verify_credentials(
    host: str,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    workspace: str | None = None,
    verify_ssl: bool = True,
    ca_file: str | None = None,
    deadline: float | None = None,
) -> VerifiedCredentials:
    """Ask the server whether it accepts a token, or a username and password.

    ``workspace`` (name or id) is required with a password; with a token it defaults to the one
    the token names; ``deadline`` bounds each request (seconds). Raises LoginError when the
    server refuses the credentials or knows no such workspace, ConfigurationError when the
    arguments form no credential, ClientError when the server cannot be reached.
    """
    if token:
        workspace = workspace or workspace_from_token(token)
        rest = RestClient(
            host, token=token, verify_ssl=verify_ssl, ca_file=ca_file, deadline=deadline
        )
        what = "the token"
    elif username and password:
        if not workspace:
            raise ConfigurationError("A workspace is needed to verify a username and password.")
        basic = BasicAuth(username, password)
        rest = RestClient(
            host, basic=basic, verify_ssl=verify_ssl, ca_file=ca_file, deadline=deadline
        )
        what = f"the username {username!r} and its password"
    else:
        raise ConfigurationError("Nothing to verify: give a token, or a username and password.")
    with rest:
        try:
            user = None
            if token:
                data = rest.get("/v4/users/self")
                if isinstance(data, Mapping) and isinstance(data.get("user"), Mapping):
                    user = User.from_json(data["user"])
            found = None
            if workspace:
                found = Workspace.from_json(
                    rest.get(f"/v4/workspaces/{quote_segment(workspace)}") or {}
                )
        except RestError as exc:
            if exc.status in (401, 403):
                raise LoginError(
                    f"The server at {rest.host} refused {what} (HTTP {exc.status})."
                ) from None
            if exc.status == 404:
                raise LoginError(
                    f"The server at {rest.host} knows no workspace {workspace!r} for {what}"
                    " (HTTP 404)."
                ) from None
            raise
    return VerifiedCredentials(
        host=rest.host,
        username=(user.username if user is not None else None) or username,
        workspace=found.name if found is not None else None,
        workspace_id=found.workspace_id if found is not None else None,
        role=_role_text(found.workspace_role) if found is not None else None,
    )
