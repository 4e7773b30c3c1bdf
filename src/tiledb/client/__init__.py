"""tiledb.client: the TileDB client session API, with secrets kept out of plain files.

Host, workspace, username and TLS options live in TileDB core's ``profiles.json``, tokens
and passwords in a secret backend (the OS keyring, an encrypted file, or a plugin). The
names are those of :mod:`tiledb.client.client` but its ``client`` instance (which would
shadow that module); ``requests``, ``keyring`` and ``cryptography`` load only when needed.
"""

from typing import TYPE_CHECKING, Any

from tiledb.client import client as _seed
from tiledb.client.client import Client as Client
from tiledb.client.client import ClientError as ClientError
from tiledb.client.client import Config as Config
from tiledb.client.client import ConfigurationError as ConfigurationError
from tiledb.client.client import Ctx as Ctx
from tiledb.client.client import LoginError as LoginError
from tiledb.client.client import RetryMode as RetryMode
from tiledb.client.client import build as build
from tiledb.client.client import child_env as child_env
from tiledb.client.client import configure as configure
from tiledb.client.client import default_user as default_user
from tiledb.client.client import get_self_user as get_self_user
from tiledb.client.client import get_user as get_user
from tiledb.client.client import get_user_workspaces as get_user_workspaces
from tiledb.client.client import get_workspace as get_workspace
from tiledb.client.client import get_workspace_id as get_workspace_id
from tiledb.client.client import login as login
from tiledb.client.client import logout as logout

if TYPE_CHECKING:
    from tiledb.client.basics.models import Workspace as Workspace

__version__ = "0.1.0"

__all__ = [name for name in _seed.__all__ if name != "client"]


def __getattr__(name: str) -> Any:
    """Load the seed's lazy names (``Workspace``) on first access (PEP 562)."""
    if name in __all__:
        return getattr(_seed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
