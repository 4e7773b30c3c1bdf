"""A loopback TileDB REST v4 server for tests and offline use.

Run ``python -m tiledb.client.testing`` (see ``--help``), or in Python::

    from tiledb.client.testing import LocalServer, DEFAULT_TOKEN

    with LocalServer() as server:          # http://127.0.0.1:<free port>
        ...                                # point a client at server.url
        assert server.requests[0].headers["x-tiledb-rest-api-key"] == DEFAULT_TOKEN

``LocalServer(tls=True)`` serves HTTPS; trust ``server.ca_file``. For TileDB-Py calls
that hold the GIL while core does HTTP, run the server in a child process with
:class:`ServerProcess`. This package imports neither ``requests`` nor ``keyring``.
"""

from __future__ import annotations

from .app import API_KEY_HEADER
from .process import ServerProcess
from .records import Headers, RecordedRequest
from .seed import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    OWNER_PASSWORD,
    OWNER_USERNAME,
    ROLES,
    Role,
    Seed,
    SeedToken,
    SeedUser,
    SeedWorkspace,
)
from .server import LocalServer
from .state import Auth, TokenInfo

__all__ = [
    "LocalServer",
    "ServerProcess",
    "Seed",
    "SeedUser",
    "SeedWorkspace",
    "SeedToken",
    "RecordedRequest",
    "Headers",
    "Auth",
    "TokenInfo",
    "Role",
    "ROLES",
    "API_KEY_HEADER",
    "DEFAULT_USERNAME",
    "DEFAULT_PASSWORD",
    "DEFAULT_WORKSPACE",
    "DEFAULT_WORKSPACE_ID",
    "DEFAULT_TOKEN",
    "DEFAULT_TOKEN_ID",
    "OWNER_USERNAME",
    "OWNER_PASSWORD",
]
