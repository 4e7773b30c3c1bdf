"""End to end: after login(), TileDB core sends the session's token to the server.

TileDB-Py keeps the GIL during ``ArraySchema.load``, so the server runs in a child
process (``ServerProcess``) here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tiledb
import tiledb.client
from tiledb.client.client import ClientError
from tiledb.client.session import current as session_module
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    ServerProcess,
)

URI = "tiledb://acme/ts/arr"


def array_requests(server: ServerProcess) -> list:  # type: ignore[type-arg]
    return [r for r in server.requests if r.route.startswith(("/v1/arrays/", "/v2/arrays/"))]


def test_core_sends_the_token_after_login(local_server_process: ServerProcess, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    tiledb.client.login()
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.ArraySchema.load(URI)  # the default context, as login() left it
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.ArraySchema.load(URI, ctx=tiledb.client.Ctx())
    sent = array_requests(local_server_process)
    assert [r.route for r in sent] == ["/v1/arrays/acme/ts/arr"] * 2
    for record in sent:
        # The child process records which token authenticated, never the token itself.
        assert "x-tiledb-rest-api-key" in record.headers
        assert record.headers.raw_name("x-tiledb-rest-api-key") == "X-TILEDB-REST-API-Key"
        assert record.auth is not None
        assert record.auth.token_id == DEFAULT_TOKEN_ID


def test_core_gets_the_session_token_never_the_password(
    local_server_process: ServerProcess, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace="acme",
        host=local_server_process.url,
    )
    tiledb.client.login()
    current = session_module.peek()
    assert current is not None
    assert current.session_token_id
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.ArraySchema.load(URI)
    records = local_server_process.requests
    basic = [r.route for r in records if r.auth and r.auth.scheme == "basic"]
    # Basic auth only at login: the workspace id lookup (by name), then the token request.
    assert basic == ["/v4/workspaces/acme", "/v4/tokens"]
    sent = array_requests(local_server_process)
    assert sent
    for record in sent:
        assert record.auth is not None
        assert (record.auth.scheme, record.auth.token_id) == ("token", current.session_token_id)
        assert "authorization" not in record.headers
    assert DEFAULT_PASSWORD not in local_server_process.log_text()


def test_core_over_https_with_the_ca_file(
    local_tls_server_process: ServerProcess, vault: Path
) -> None:
    server = local_tls_server_process
    tiledb.client.configure(token=DEFAULT_TOKEN, host=server.url, ca_file=str(server.ca_file))
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    with pytest.raises(tiledb.TileDBError, match="404"):
        tiledb.ArraySchema.load(URI)
    sent = array_requests(server)
    assert [r.auth.token_id for r in sent if r.auth] == [DEFAULT_TOKEN_ID]


def test_https_without_the_ca_file_fails_clearly(
    local_tls_server_process: ServerProcess, vault: Path
) -> None:
    server = local_tls_server_process
    tiledb.client.configure(token=DEFAULT_TOKEN, host=server.url)
    tiledb.client.login()
    with pytest.raises(ClientError, match=r"TLS verification failed for 127\.0\.0\.1.*ca_file"):
        tiledb.client.get_user()
    with pytest.raises(tiledb.TileDBError):
        tiledb.ArraySchema.load(URI)
    assert array_requests(server) == []
