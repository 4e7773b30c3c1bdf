"""The HTTP client: retry modes, pool size, TLS, error mapping, redirects."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tiledb.client.basics.protocol import API_KEY_HEADER, normalize_host
from tiledb.client.basics.retry_modes import RetryMode
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer
from tiledb.client.transport.rest import BasicAuth, RestClient, RestError


@pytest.mark.parametrize(
    ("mode", "status", "retried"),
    [
        ("default", 503, True),
        ("default", 500, False),
        ("default", 502, False),
        ("default", 429, False),
        (RetryMode.FORCEFUL, 400, True),
        ("forceful", 500, True),
        ("forceful", 501, True),
        ("forceful", 502, True),
        ("forceful", 503, True),
        ("forceful", 404, False),
        ("disabled", 503, False),
    ],
)
def test_retry_modes(
    local_server: LocalServer, mode: str | RetryMode, status: int, retried: bool
) -> None:
    local_server.fail_next(status, count=2)
    with RestClient(local_server.url, token=DEFAULT_TOKEN, retry_mode=mode) as rest:
        if retried:
            assert rest.get("/v4/users/self")["user"]["username"] == "ada"
        else:
            with pytest.raises(RestError, match=f"HTTP {status}"):
                rest.get("/v4/users/self")
    statuses = [r.status for r in local_server.requests]
    assert statuses == ([status, status, 200] if retried else [status])


def test_unknown_retry_mode() -> None:
    with pytest.raises(ValueError, match="Unknown retry mode 'sometimes'"):
        RestClient("https://a.example", retry_mode="sometimes")


def test_normalize_host() -> None:
    assert normalize_host("api.example.com/") == "https://api.example.com"
    assert normalize_host(" http://127.0.0.1:8080// ") == "http://127.0.0.1:8080"
    assert normalize_host("HTTPS://Example.com") == "HTTPS://Example.com"


def open_connections_to(port: int) -> int:
    """Established TCP connections of this machine to 127.0.0.1:``port`` (client side)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            count += 1
    return count


@pytest.mark.parametrize(("pool_size", "kept"), [(2, 2), (6, 6)])
def test_pool_size_follows_the_threads(pool_size: int, kept: int) -> None:
    # Six requests at once (the server takes 0.3 s for each): the pool keeps at most
    # pool_size connections open for the next requests, and closes the others as each
    # answer is read, before the call returns: no waiting for it.
    with (
        LocalServer(delay=0.3) as server,
        RestClient(server.url, token=DEFAULT_TOKEN, pool_size=pool_size) as rest,
    ):
        port = int(server.url.rsplit(":", 1)[1])
        with ThreadPoolExecutor(6) as pool:
            users = list(pool.map(lambda _: rest.get("/v4/users/self"), range(6)))
        assert [u["user"]["username"] for u in users] == ["ada"] * 6
        assert open_connections_to(port) == kept


def test_forceful_mode_retries_500(local_server: LocalServer) -> None:
    local_server.fail_next(500, count=2)
    with RestClient(local_server.url, token=DEFAULT_TOKEN, retry_mode="forceful") as rest:
        assert rest.get("/v4/users/self")["user"]["username"] == "ada"
    local_server.fail_next(500, count=1)
    rest = RestClient(local_server.url, token=DEFAULT_TOKEN)
    with rest, pytest.raises(RestError, match="HTTP 500") as caught:
        rest.get("/v4/users/self")
    assert caught.value.status == 500


def test_errors_never_show_credentials(local_server: LocalServer) -> None:
    rest = RestClient(local_server.url, basic=BasicAuth("ada", "wrong-password-xyz"))
    with rest, pytest.raises(RestError) as caught:
        rest.get("/v4/users/self")
    assert caught.value.status == 401
    assert "wrong-password-xyz" not in str(caught.value)
    assert "wrong-password-xyz" not in repr(BasicAuth("ada", "wrong-password-xyz"))
    with RestClient(local_server.url, token="secret-token-value-123") as rest:
        assert "secret-token-value-123" not in repr(rest)


def test_a_refused_token_is_renewed_once_by_the_callable_given_at_construction(
    local_server: LocalServer,
) -> None:
    renewals: list[str] = []

    def renew() -> str:
        renewals.append("renewed")
        return DEFAULT_TOKEN

    with RestClient(local_server.url, token="stale-token", renew=renew) as rest:
        assert rest.get("/v4/users/self")["user"]["username"] == "ada"
        assert rest.get("/v4/users/self")["user"]["username"] == "ada"  # the new token is kept
    assert renewals == ["renewed"]
    assert [r.status for r in local_server.requests] == [401, 200, 200]
    local_server.fail_next(401, count=2, message=f"bad {DEFAULT_TOKEN}")
    rest = RestClient(local_server.url, token="stale-token", renew=renew)
    with rest, pytest.raises(RestError, match="HTTP 401") as caught:
        rest.get("/v4/users/self")  # refused again after the renewal: an error
    assert DEFAULT_TOKEN not in str(caught.value)
    assert renewals == ["renewed"] * 2


@pytest.mark.parametrize(
    ("status", "body"), [(200, b"{}"), (200, b""), (204, b""), (200, b"OK"), (202, b"[]")]
)
def test_a_delete_accepts_every_success_answer(
    local_server: LocalServer, status: int, body: bytes
) -> None:
    # Issue 22, finding 13: a server answering DELETE /v4/tokens/{id} with 200 and {}
    # made logout fail with "JSON without a 'data' member".
    local_server.answer_next(body, status=status)
    with RestClient(local_server.url, token=DEFAULT_TOKEN) as rest:
        assert rest.delete("/v4/tokens/tok_1") is None
    local_server.answer_next(b'{"data": {"revoked": true}}')
    with RestClient(local_server.url, token=DEFAULT_TOKEN) as rest:
        assert rest.delete("/v4/tokens/tok_1") == {"revoked": True}


def test_unreachable_host() -> None:
    rest = RestClient("http://127.0.0.1:9")
    with rest, pytest.raises(RestError, match=r"Cannot reach 127\.0\.0\.1:9") as caught:
        rest.get("/v4/users/self")
    assert caught.value.status is None


class _Redirector(http.server.BaseHTTPRequestHandler):
    target = ""
    seen: list[dict[str, str]] = []  # noqa: RUF012 - written by one test at a time

    def do_GET(self) -> None:
        _Redirector.seen.append(dict(self.headers.items()))
        self.send_response(302)
        self.send_header("Location", f"{self.target}/v4/users/self")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def redirector(local_server: LocalServer) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    # "localhost" is another host for requests than "127.0.0.1": a cross-host redirect.
    _Redirector.target = local_server.url.replace("127.0.0.1", "localhost")
    _Redirector.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cross_host_redirect_drops_the_token(redirector: str, local_server: LocalServer) -> None:
    rest = RestClient(redirector, token=DEFAULT_TOKEN)
    with rest, pytest.raises(RestError, match="HTTP 401"):
        rest.get("/v4/users/self")
    first = {key.lower(): value for key, value in _Redirector.seen[0].items()}
    assert first[API_KEY_HEADER.lower()] == DEFAULT_TOKEN  # sent to the original host
    followed = [r for r in local_server.requests if r.route == "/v4/users/self"]
    assert followed
    assert "x-tiledb-rest-api-key" not in followed[0].headers


def test_clients_share_one_session_class() -> None:
    from tiledb.client.transport.http import TokenSession

    first = RestClient("https://a.example", token=DEFAULT_TOKEN)
    second = RestClient("https://b.example", token=DEFAULT_TOKEN)
    with first, second:
        assert type(first._http) is type(second._http) is TokenSession
