"""Property-based tests (hypothesis) of what comes from outside: arguments, hosts, answers.

For any input, only the documented errors (``ConfigurationError`` and its subclasses,
``RestError``, the CLI's ``CliError``), no hang, and no secret in a message:

- ``configure()`` arguments: tokens, passwords, usernames, workspaces, hosts, profile
  names, as text with whitespace, control characters, lone surrogates, huge values;
- host strings: what ``normalize_host`` accepts is an http(s) URL with a valid port,
  no user information, no whitespace or control characters;
- bytes on ``--token-stdin``: cleaned or refused, never a raw decoding error;
- server answers: any status, body, ``Retry-After``, ``Location`` or
  ``Content-Encoding`` from the bundled server ends in data or a ``RestError``
  within the call's deadline.

Bounded: fixed example counts (``derandomize``, so CI runs the same cases), no
example database written. SECURITY.md reports the figures of a run.
"""

from __future__ import annotations

import io
import string
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import Figures
from tiledb.client.basics.inputs import MAX_SECRET_LENGTH
from tiledb.client.basics.protocol import normalize_host
from tiledb.client.cli.common import CliError, read_secret
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.configure import configure
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer
from tiledb.client.transport.rest import RestClient, RestError

from .inputs_support import closed_port

BOUNDED = settings(
    derandomize=True,
    database=None,
    deadline=None,  # wall time varies on a shared machine; the calls have their own limits
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SECRET_MARK = "Zq9Secret"
"""Every generated secret contains this, so a leak is found whatever was cut off."""

_weird_chars = st.sampled_from(
    ["\x00", "\n", "\r", "\t", " ", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\ud800", "é", "☃"]
)
_weird_text = st.lists(
    st.one_of(_weird_chars, st.characters(codec="utf-8"), st.text(string.printable, max_size=5)),
    max_size=12,
).map("".join)


def _secrets() -> st.SearchStrategy[str]:
    """Secrets: plausible ones, wrapped in whitespace, with junk inside, or far too long."""
    plausible = st.text(string.ascii_letters + string.digits + "-_", min_size=0, max_size=40)
    return st.one_of(
        plausible.map(lambda s: SECRET_MARK + s),
        st.tuples(_weird_text, plausible, _weird_text).map(
            lambda t: t[0] + SECRET_MARK + t[1] + t[2]
        ),
        st.integers(MAX_SECRET_LENGTH - 20, MAX_SECRET_LENGTH + 20).map(
            lambda n: SECRET_MARK + "x" * max(n - len(SECRET_MARK), 0)
        ),
    )


_hosts = st.one_of(
    st.sampled_from(
        [
            "api.example.com",
            "https://api.example.com/",
            "http://127.0.0.1:8181",
            "localhost:1",
            "ftp://x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://u:p@h",
            "h:99999",
            "https://[::1]:443",
            "https://[zz]",
            "http://h:0",
            "https://h/p?q#f",
            "",
            "   ",
        ]
    ),
    _weird_text,
    st.text(max_size=40),
    st.builds(
        lambda user, rest: f"https://{user}{SECRET_MARK}@{rest}",
        st.text(string.ascii_letters + ":", max_size=8),
        st.sampled_from(["h.example", "h.example:99", "", "@x", "h x"]),
    ),
)


_OUTCOMES: Counter[str] = Counter()


def _note(outcome: str) -> None:
    """Count an example's outcome (for the figures) and tell hypothesis' statistics."""
    event(outcome)
    _OUTCOMES[outcome] += 1


@pytest.fixture(autouse=True)
def _figure(request: pytest.FixtureRequest, figures: Figures) -> Iterator[None]:
    """Record each property test's cases, outcomes and wall time as a reliability figure."""
    _OUTCOMES.clear()
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    outcomes = ", ".join(f"{count} {outcome}" for outcome, count in _OUTCOMES.most_common())
    figures.record(
        f"inputs: {request.node.name}",
        f"{sum(_OUTCOMES.values())} cases in {seconds:.1f} s ({outcomes}); 0 other exceptions",
    )


@pytest.fixture
def store_dir(vault: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


class _NoServer:
    def new_rest(self, *args: object, **kwargs: object) -> RestClient:
        raise AssertionError("configure() of a new profile talks to no server")


@settings(BOUNDED, max_examples=400)
@given(
    token=st.one_of(st.none(), _secrets()),
    username=st.one_of(st.none(), _weird_text, st.just("ada")),
    password=st.one_of(st.none(), _secrets()),
    workspace=st.one_of(st.just("acme"), st.just("ws_2b7c9d1e3f4a5b6c"), st.none(), _weird_text),
    host=st.one_of(st.just("api.example.com"), st.just("http://127.0.0.1:8181"), _hosts),
    profile_name=st.one_of(st.none(), st.just(""), st.just("version"), _weird_text),
)
def test_configure_arguments(
    store_dir: Path,
    token: str | None,
    username: str | None,
    password: str | None,
    workspace: str | None,
    host: str,
    profile_name: str | None,
) -> None:
    with tempfile.TemporaryDirectory(dir=store_dir) as directory:
        try:
            configure(
                token, username, password, workspace, host, None, None, profile_name,
                directory, overwrite=True, factory=_NoServer(),  # type: ignore[arg-type]
            )  # fmt: skip
        except ConfigurationError as exc:
            assert SECRET_MARK not in str(exc)
            assert SECRET_MARK not in repr(exc)
            _note("refused with ConfigurationError")
            return
        _note("stored")
        # Stored: the profile file holds no secret, and the secret was cleaned.
        text = (Path(directory) / "profiles.json").read_text(encoding="utf-8")
        assert SECRET_MARK not in text
        profiles = ProfileStore(directory).read()
        assert len(profiles) == 1
        stored = next(iter(profiles.values()))
        assert urlsplit(stored["rest.server_address"]).scheme.lower() in ("http", "https")


@settings(BOUNDED, max_examples=1500)
@given(host=_hosts)
def test_host_strings(host: str) -> None:
    try:
        url = normalize_host(host)
    except ConfigurationError as exc:
        assert SECRET_MARK not in str(exc)  # user information is never shown
        _note("refused")
        return
    _note("accepted")
    parts = urlsplit(url)
    assert parts.scheme.lower() in ("http", "https")
    assert parts.hostname
    assert "@" not in parts.netloc
    assert parts.port is None or 1 <= parts.port <= 65535
    assert not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url)
    assert not parts.query and not parts.fragment
    RestClient(url).close()  # the transport takes what the check lets through


@settings(BOUNDED, max_examples=500)
@given(
    data=st.one_of(
        st.binary(max_size=64), _secrets().map(lambda s: s.encode("utf-8", "surrogatepass"))
    )
)
def test_token_stdin_bytes(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    try:
        token = read_secret("token", from_stdin=True, flag="--token-stdin")
    except CliError as exc:
        assert SECRET_MARK not in str(exc)
        assert "--token-stdin" in str(exc)
        _note("refused")
        return
    _note("accepted")
    assert token == token.strip()
    assert token.isascii() and token.isprintable() and " " not in token
    assert 0 < len(token) <= MAX_SECRET_LENGTH


# -- server answers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


_LOCATIONS = st.sampled_from(
    [
        "/v4/users/self",
        "/elsewhere",
        "",
        "http://[",
        "::::",
        "http://127.0.0.1:{closed}/x",
        "{self}/v4/users/self",
    ]
)
_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"{}",
            b"null",
            b"[]",
            b'{"data": null}',
            b'{"data": {"user": 1}}',
            b'{"message": "tdb-token ' + DEFAULT_TOKEN.encode() + b'"}',
            b"[" * 5000,
            b'{"errorCode": 500, "message": "\\u001b[2Jboom"}',
            b"\xff\xfe",
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=10,
    ).map(lambda value: repr(value).encode()),
)


@settings(BOUNDED, max_examples=300)
@given(
    status=st.integers(200, 599),
    body=_BODIES,
    retry_after=st.one_of(
        st.none(),
        st.sampled_from(["0", "1", "3600", "-1", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]),
    ),
    location=st.one_of(st.none(), _LOCATIONS),
    encoding=st.sampled_from([None, "gzip", "deflate", "br", "zstd", "identity", "bogus"]),
    count=st.integers(1, 3),
)
def test_server_answers(
    fuzz_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: bytes,
    retry_after: str | None,
    location: str | None,
    encoding: str | None,
    count: int,
) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_REQUEST_DEADLINE", "2")
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if location is not None:
        headers["Location"] = location.format(closed=closed_port(), self=fuzz_server.url)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    fuzz_server.faults.clear()
    fuzz_server.answer_next(body, status=status, count=count, headers=headers)
    started = time.perf_counter()
    with RestClient(fuzz_server.url, token=DEFAULT_TOKEN) as rest:
        try:
            rest.get("/v4/users/self")
            _note("data")
        except RestError as exc:
            assert DEFAULT_TOKEN not in str(exc)
            assert "\x1b" not in str(exc)
            _note("RestError")
    assert time.perf_counter() - started < 6.0
    fuzz_server.faults.clear()
