"""Check credentials against the server before they are stored (``configure --verify``).

A token: ``GET /v4/users/self``, then ``GET /v4/workspaces/{ws}``; a username and
password: that workspace call with HTTP Basic auth, as ``login()`` makes it (no token made).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tiledb.client.basics.models import User, Workspace
from tiledb.client.basics.protocol import quote_segment, workspace_from_token
from tiledb.client.basics.tls import Tls
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
    basic = None
    if token:
        workspace = workspace or workspace_from_token(token)
        what = "the token"
    elif username and password:
        if not workspace:
            raise ConfigurationError("A workspace is needed to verify a username and password.")
        basic = BasicAuth(username, password)
        what = f"the username {username!r} and its password"
    else:
        raise ConfigurationError("Nothing to verify: give a token, or a username and password.")
    rest = RestClient(
        host,
        token=token or None,
        basic=basic,
        tls=Tls(verify_ssl, ca_file),
        deadline=deadline,
    )
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
                problem = f"refused {what} (HTTP {exc.status})"
            elif exc.status == 404:
                problem = f"knows no workspace {workspace!r} for {what} (HTTP 404)"
            else:
                raise
            raise LoginError(f"The server at {rest.host} {problem}.") from None
    role = found.workspace_role if found is not None else None
    return VerifiedCredentials(
        host=rest.host,
        username=(user.username if user is not None else None) or username,
        workspace=found.name if found is not None else None,
        workspace_id=found.workspace_id if found is not None else None,
        role=None if role is None else str(getattr(role, "value", role)),
    )
