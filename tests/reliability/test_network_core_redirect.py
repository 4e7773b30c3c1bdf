"""Where a redirect sends the token: TileDB core follows it, our REST client does not.

Issue 8, item 11. TileDB core (2.30, ``tiledb/sm/rest/curl.cc``) sets
``CURLOPT_FOLLOWLOCATION=1``, ``CURLOPT_MAXREDIRS=1`` and
``CURLOPT_UNRESTRICTED_AUTH=1`` on every REST request, with no ``rest.*`` option to
turn them off, and sends the token as a custom header, which libcurl repeats to any
host. These tests pin that behaviour down (SECURITY.md describes the risk and what
to do): if a core release stops following redirects, they fail and the document
must change. The servers run in child processes (core keeps the GIL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tiledb
import tiledb.client
from tiledb.client.testing import DEFAULT_TOKEN, DEFAULT_TOKEN_ID, ServerProcess
from tiledb.client.transport.rest import RestClient, RestError

URI = "tiledb://acme/ts/arr"


def token_holders(server: ServerProcess) -> list[str]:
    """Routes of the requests that reached ``server`` with the default API token."""
    return [
        r.route
        for r in server.requests
        if r.auth is not None and r.auth.token_id == DEFAULT_TOKEN_ID
    ]


@pytest.fixture
def elsewhere() -> Iterator[ServerProcess]:
    """Another origin (another host name and port, plain HTTP) that records what it gets."""
    with ServerProcess() as server:
        server.url = server.url.replace("127.0.0.1", "localhost")
        yield server


@pytest.mark.timeout(120)
def test_core_sends_the_token_where_a_redirect_points_even_from_https_to_http(
    elsewhere: ServerProcess, vault: Path
) -> None:
    with ServerProcess(tls=True, args=["--redirect-to", elsewhere.url]) as redirector:
        tiledb.client.configure(
            token=DEFAULT_TOKEN, host=redirector.url, ca_file=str(redirector.ca_file)
        )
        tiledb.client.login()
        with pytest.raises(tiledb.TileDBError, match="404"):
            tiledb.ArraySchema.load(URI, ctx=tiledb.client.Ctx())
        assert token_holders(redirector)  # the real server got it, as it should
    # ... and so did the plain-HTTP host the redirect named: core followed it.
    assert "/v1/arrays/acme/ts/arr" in token_holders(elsewhere)


def test_our_rest_client_drops_the_token_on_a_redirect_to_another_host(
    elsewhere: ServerProcess,
) -> None:
    with ServerProcess(args=["--redirect-to", elsewhere.url]) as redirector:
        rest = RestClient(redirector.url, token=DEFAULT_TOKEN)
        with rest, pytest.raises(RestError, match="HTTP 401"):
            rest.get("/v4/users/self")
        assert token_holders(redirector) == ["/v4/users/self"]
    followed = [r for r in elsewhere.requests if r.route == "/v4/users/self"]
    assert followed and token_holders(elsewhere) == []
    assert "x-tiledb-rest-api-key" not in followed[0].headers
