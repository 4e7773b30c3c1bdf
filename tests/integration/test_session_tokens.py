"""Session tokens of password profiles: when a cached one is reused, and logout.

Against the bundled server and the encrypted-file backend, in-process (so that
mutation testing sees these tests reach ``session.session_tokens``).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import tiledb
import tiledb.client
from tiledb.client.basics.errors import ClientError
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.session import current as session_module
from tiledb.client.session.session_tokens import EXPIRY_MARGIN
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)


def minted(server: LocalServer) -> list[str]:
    return [t.token_id for t in server.tokens if t.name.startswith("login-session-")]


def active(server: LocalServer) -> list[str]:
    return [t.token_id for t in server.tokens if t.name.startswith("login-session-") and t.active]


def deletes(server: LocalServer) -> list[str]:
    return [r.route for r in server.requests if r.method == "DELETE"]


def session_key() -> str:
    profile = ProfileStore().get("default")
    assert profile is not None
    return secret_entry_key(profile["client.secret_id"], "session")


def cached_record() -> dict[str, Any] | None:
    raw = get_backend("encrypted-file").get(session_key())
    return None if raw is None else dict(json.loads(raw))


def rewrite_record(**changes: Any) -> None:
    record = cached_record()
    assert record is not None
    record.update(changes)
    get_backend("encrypted-file").set(session_key(), json.dumps(record))


@pytest.fixture
def ada(local_server: LocalServer, vault: Path) -> LocalServer:
    """A password profile for the default user, logged in once (a cached session token)."""
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_server.url,
    )
    tiledb.client.login()
    assert len(minted(local_server)) == 1
    return local_server


def in_minutes(minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()


# -- when the cached token is reused --------------------------------------------------


def test_the_cached_record_names_host_user_and_expiry(ada: LocalServer) -> None:
    record = cached_record()
    assert record is not None
    current = session_module.peek()
    assert current is not None
    assert record["token_id"] == current.session_token_id == minted(ada)[0]
    assert record["api_key"] == current.token
    assert (record["host"], record["username"]) == (ada.url, DEFAULT_USERNAME)
    expires = datetime.fromisoformat(record["expires_at"])
    assert expires > datetime.now(timezone.utc) + timedelta(days=29)  # the server's 30 days


@pytest.mark.parametrize(
    ("expires_in_minutes", "reused"),
    [(None, True), (60, True), (5.5, True), (4.5, False), (-1, False)],
    ids=["no-expiry", "in-an-hour", "just-outside-margin", "within-margin", "expired"],
)
def test_expiry_margin(ada: LocalServer, expires_in_minutes: float | None, reused: bool) -> None:
    assert timedelta(minutes=4.5) < EXPIRY_MARGIN < timedelta(minutes=5.5)
    expires = None if expires_in_minutes is None else in_minutes(expires_in_minutes)
    rewrite_record(expires_at=expires)
    first = minted(ada)[0]
    tiledb.client.login()
    current = session_module.peek()
    assert current is not None
    if reused:
        assert minted(ada) == [first]
        assert current.session_token_id == first
    else:
        assert len(minted(ada)) == 2
        assert current.session_token_id == minted(ada)[1]
        record = cached_record()
        assert record is not None
        assert record["token_id"] == minted(ada)[1]  # the new one is cached instead


@pytest.mark.parametrize(
    "changes",
    [
        {"host": "http://127.0.0.1:9"},
        {"username": "someone-else"},
        {"token_id": ""},
        {"api_key": ""},
    ],
    ids=["other-host", "other-user", "no-token-id", "no-api-key"],
)
def test_a_record_for_another_account_is_not_reused(
    ada: LocalServer, changes: dict[str, str]
) -> None:
    rewrite_record(**changes)
    tiledb.client.login()
    assert len(minted(ada)) == 2
    current = session_module.peek()
    assert current is not None
    assert current.session_token_id == minted(ada)[1]
    assert not [r for r in ada.requests if r.route == "/v4/users/self" and r.status == 401]


def test_a_damaged_record_is_replaced(ada: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    get_backend("encrypted-file").set(session_key(), "{not json")
    with caplog.at_level(logging.WARNING, logger="tiledb.client"):
        tiledb.client.login()
    assert "not valid JSON" in caplog.text
    assert len(minted(ada)) == 2
    assert cached_record() is not None


def test_reuse_is_checked_with_the_server_once(ada: LocalServer) -> None:
    ada.clear_requests()
    tiledb.client.login()
    routes = [(r.method, r.route, r.auth.scheme if r.auth else None) for r in ada.requests]
    assert routes == [("GET", "/v4/users/self", "token")]
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert len(ada.requests) == 1  # the check's answer is the session's user


def test_a_server_error_while_checking_is_not_a_new_token(ada: LocalServer) -> None:
    tiledb.client.client.client.retry_mode("disabled")
    ada.fail_next(500, count=1)
    with pytest.raises(ClientError, match="500"):
        tiledb.client.login()
    assert len(minted(ada)) == 1
    assert cached_record() is not None  # kept: the server did not refuse it


def test_a_password_from_the_environment_caches_nothing(
    local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_login(local_server, monkeypatch)
    tiledb.client.login()
    tiledb.client.login()
    assert len(minted(local_server)) == 2  # no cache: each login makes one
    assert not vault.exists()


# -- logout ----------------------------------------------------------------------------


def env_login(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", server.url)
    monkeypatch.setenv("TILEDB_REST_USERNAME", DEFAULT_USERNAME)
    monkeypatch.setenv("TILEDB_REST_PASSWORD", DEFAULT_PASSWORD)
    monkeypatch.setenv("TILEDB_REST_WORKSPACE", DEFAULT_WORKSPACE)


def test_logout_revokes_a_session_token_made_from_an_environment_password(
    local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_login(local_server, monkeypatch)
    tiledb.client.login()
    current = session_module.peek()
    assert current is not None
    assert current.session_token_id == minted(local_server)[0]
    tiledb.client.logout()
    assert deletes(local_server) == [f"/v4/tokens/{current.session_token_id}"]
    assert active(local_server) == []
    assert session_module.peek() is None
    tiledb.client.logout()  # nothing left to revoke
    assert len(deletes(local_server)) == 1


def test_logout_while_the_server_is_unreachable_keeps_the_token(
    ada: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_id = minted(ada)[0]
    port = int(ada.url.rsplit(":", 1)[1])
    seed = ada.seed
    ada.stop()
    with pytest.raises(ClientError, match=str(port)):
        tiledb.client.logout()
    record = cached_record()
    assert record is not None
    assert record["token_id"] == token_id  # kept, so that a later logout can revoke it
    assert session_module.peek() is not None  # the session did not end either
    with LocalServer(seed, port=port) as again:
        assert token_id in active(again)
        tiledb.client.logout()
        assert token_id not in active(again)
        assert deletes(again) == [f"/v4/tokens/{token_id}"]
    assert cached_record() is None
    assert session_module.peek() is None


def test_logout_clears_the_default_context(local_server: LocalServer, vault: Path) -> None:
    tiledb.default_ctx({"sm.tile_cache_size": "4321"})
    tiledb.client.configure(token="t-ws_0123456789abcdef-x", host=local_server.url)
    tiledb.client.login()
    assert tiledb.default_ctx().config()["rest.token"] == "t-ws_0123456789abcdef-x"
    tiledb.client.logout()
    config = tiledb.default_ctx().config()
    assert config.get("rest.token", False) in (None, "")
    # (rest.server_address may still be the host: core reads it from profiles.json itself.)
    assert config["sm.tile_cache_size"] == "4321"  # the rest of the context is kept
    assert deletes(local_server) == []  # an API token is never revoked
