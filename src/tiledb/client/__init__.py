"""tiledb.client: the TileDB client session API, with secrets kept out of plain files.

Profile metadata (host, workspace, username, TLS options) lives in TileDB core's
``profiles.json``; tokens and passwords live in a secret backend (the OS keyring,
an encrypted file, or a plugin). See :func:`configure` and :func:`login`.

Importing this package is cheap: ``requests``, ``keyring`` and ``cryptography``
load only on the paths that need them, and so do most of its own modules.
"""

from typing import TYPE_CHECKING, Any

from tiledb.client.client import (
    Client,
    ClientError,
    Config,
    ConfigurationError,
    Ctx,
    LoginError,
    RetryMode,
    build,
    default_user,
    get_self_user,
    get_user,
    get_user_workspaces,
    get_workspace,
    get_workspace_id,
    login,
    logout,
)

if TYPE_CHECKING:
    from tiledb.client.configuration import configure
    from tiledb.client.models import Workspace

__version__ = "0.1.0"

__all__ = [
    "Client",
    "ClientError",
    "ConfigurationError",
    "LoginError",
    "RetryMode",
    "Workspace",
    "Config",
    "Ctx",
    "build",
    "configure",
    "default_user",
    "get_self_user",
    "get_user",
    "get_user_workspaces",
    "get_workspace",
    "get_workspace_id",
    "login",
    "logout",
]


def __getattr__(name: str) -> Any:
    """Load ``Workspace`` and ``configure`` on first access (PEP 562)."""
    if name in ("Workspace", "configure"):
        from tiledb.client import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
