"""The vendor's ``tiledb.client.workspaces`` (3.0), answered from the current session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiledb.client import client as _seed
from tiledb.client.basics.protocol import quote_segment
from tiledb.client.errors import ClientError

if TYPE_CHECKING:
    from tiledb.client.basics.models import Workspace

__all__ = ["WorkspacesError", "get_workspace"]


class WorkspacesError(ClientError):
    """Raised when a workspace can not be retrieved (a :class:`ClientError`)."""


def get_workspace(name_or_id: str | None = None) -> Workspace:
    """Get the representation of a workspace by its name or id (default: the session's).

    Raises
    ------
    WorkspacesError
        If the retrieval request fails.
    """
    from tiledb.client.basics.models import Workspace

    try:
        if not name_or_id:
            return _seed.get_workspace()
        data = _seed.client.rest_client().get(f"/v4/workspaces/{quote_segment(name_or_id)}")
        return Workspace.from_json(data)
    except WorkspacesError:
        raise
    except ClientError as exc:
        raise WorkspacesError(
            f"The workspace retrieval request failed: {exc.problem}", hint=exc.hint
        ) from exc
