"""REST clients and session tokens over a session's life (issue 8, items 15 and 16).

- ``POST /v4/tokens`` is not idempotent: a retry after an HTTP status could mint two
  session tokens, so it is never retried on one.
- A ``RestClient`` dropped by ``retry_mode()``, ``set_threads()`` or a new session is
  closed; threads asking at once for the session's client share one.
- ``logout()`` reads the TLS settings as ``login()`` does (environment included).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

import tiledb.client
from tiledb.client.client import ClientError, LoginError
from tiledb.client.client import client as api_client
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    LocalServer,
)
from tiledb.client.transport.rest import RestClient


def open_pools(rest: RestClient) -> int:
    """Connection pools a REST client keeps open (0 once it is closed)."""
    adapters = {id(a): a for a in rest._http.adapters.values()}.values()
    return sum(len(adapter.poolmanager.pools) for adapter in adapters)  # type: ignore[attr-defined]


def login_with_token(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", server.url)
    tiledb.client.login()


def test_the_token_request_is_not_retried_on_a_status(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE_ID,
        host=local_server.url,
    )
    local_server.fail_next(503, count=1)
    with pytest.raises((ClientError, LoginError), match="HTTP 503"):
        tiledb.client.login()
    posts = [r for r in local_server.requests if r.method == "POST"]
    assert [r.route for r in posts] == ["/v4/tokens"]
    tiledb.client.login()  # the next login works, with one more request
    assert len([r for r in local_server.requests if r.method == "POST"]) == 2
    minted = [t for t in local_server.tokens if t.name.startswith("login-session")]
    assert len(minted) == 1


def test_idempotent_requests_are_still_retried(local_server: LocalServer) -> None:
    local_server.fail_next(503, count=2)
    with RestClient(local_server.url, token=DEFAULT_TOKEN) as rest:
        assert rest.get("/v4/users/self")["user"]["username"] == DEFAULT_USERNAME
    assert len(local_server.requests) == 3


@pytest.mark.parametrize(
    "drop",
    [
        lambda: api_client.retry_mode("forceful"),
        lambda: api_client.set_threads(3),
        lambda: tiledb.client.login(),  # a new session
    ],
    ids=["retry_mode", "set_threads", "new session"],
)
def test_a_dropped_rest_client_is_closed(
    drop: object, local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_with_token(local_server, monkeypatch)
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    first = api_client.rest_client()
    assert open_pools(first) == 1
    drop()  # type: ignore[operator]
    second = api_client.rest_client()
    assert second is not first
    assert open_pools(first) == 0  # closed
    assert second.get("/v4/users/self")["user"]["username"] == DEFAULT_USERNAME


def test_threads_asking_at_once_share_one_rest_client(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_with_token(local_server, monkeypatch)
    # Switch threads every microsecond (default 5 ms), so that a window between a
    # check and a set under the GIL is hit within a few rounds when it exists.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        _share_rounds()
    finally:
        sys.setswitchinterval(interval)


def _share_rounds() -> None:
    threads_per_round, rounds = 8, 25
    for _ in range(rounds):
        api_client.retry_mode("default")  # drops the client: the next call builds one
        barrier = threading.Barrier(threads_per_round)
        got: list[RestClient] = []

        def ask(barrier: threading.Barrier = barrier, got: list[RestClient] = got) -> None:
            barrier.wait()
            got.append(api_client.rest_client())

        workers = [threading.Thread(target=ask) for _ in range(threads_per_round)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len({id(rest) for rest in got}) == 1


def test_logout_reads_the_tls_settings_as_login_does(
    local_tls_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = local_tls_server
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=server.url,
    )
    # The CA comes from the environment, not the profile: login uses it, so must logout.
    monkeypatch.setenv("TILEDB_SSL_CA_FILE", str(server.ca_file))
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    tiledb.client.logout()
    deletes = [r for r in server.requests if r.method == "DELETE"]
    assert len(deletes) == 1 and deletes[0].status == 204
    assert not [t for t in server.tokens if t.active and t.name.startswith("login-session")]
