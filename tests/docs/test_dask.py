"""docs/how-to/dask.md, executed: Dask workers get the session token, never the password.

The page's examples run against a server of their own, on a ``LocalCluster`` of worker
processes; then the server's request log must show that every request TileDB core made
on the workers carried the session token that the client's login obtained, and that no
request but that one login carried a password (HTTP Basic). No file written during the
run (sandbox, HOME, the workers' directories) may hold the session token.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.docs.collector import ROOT, blocks
from tests.docs.test_examples import make_sandbox
from tiledb.client.testing import DEFAULT_TOKEN_ID, DEFAULT_USERNAME, ServerProcess

PAGE = ROOT / "docs" / "how-to" / "dask.md"


def test_dask_workers_use_the_session_token_never_the_password(
    tmp_path: Path, secret_service: str
) -> None:
    with ServerProcess() as server:
        sandbox = make_sandbox(tmp_path / "work", server)
        for block in blocks(PAGE):
            sandbox.run(block)
        requests = server.requests

    results = sandbox.namespace["results"]
    uris = sandbox.namespace["uris"]
    assert [uri for uri, _ in results] == uris
    assert all("not readable" in info and "404" in info for _, info in results), results

    # The password went out with configure's check and the client's login only (it looks
    # the workspace up, then makes the session token), from our HTTP client, never from
    # TileDB core.
    basic = [r for r in requests if r.auth and r.auth.scheme == "basic"]
    assert [(r.method, r.route) for r in basic] == [
        ("GET", "/v4/workspaces/acme"),  # configure asks whether the server accepts it
        ("GET", "/v4/workspaces/acme"),
        ("POST", "/v4/tokens"),
    ]
    assert all(r.headers["user-agent"] == "tiledb-client-keyring" for r in basic)

    session_token = sandbox.namespace["session"]["rest.token"]
    core = [r for r in requests if r.route.startswith(("/v1/arrays", "/v2/arrays"))]
    opened = {r.route.split("/", 3)[3].strip("/") for r in core}  # acme/teamspace/array-0
    assert {uri.removeprefix("tiledb://") for uri in uris} <= opened
    for request in core:
        assert request.auth is not None
        assert request.auth.scheme == "token", request
        assert request.auth.ok, request
        assert request.auth.username == DEFAULT_USERNAME
        assert request.auth.token_id not in (None, DEFAULT_TOKEN_ID)  # a session token
    assert len({r.auth.token_id for r in core if r.auth}) == 1

    home = Path(os.environ["HOME"])
    for root in (tmp_path, home):
        for path in root.rglob("*"):
            if path.is_file():
                assert session_token.encode() not in path.read_bytes(), path
