"""Session tokens of password profiles: when a cached one is reused, and logout.

Against the bundled server and the encrypted-file backend, in-process (so that
mutation testing sees these tests reach ``session.session_tokens``).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import tiledb
import tiledb.client
from tiledb.client.errors import ClientError, ConfigurationError, LoginError
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
    left = expires - datetime.now(timezone.utc)  # asked for: the default session lifetime
    assert timedelta(hours=9, minutes=59) < left <= timedelta(hours=10), left


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


def test_a_reused_token_costs_no_request(ada: LocalServer) -> None:
    ada.clear_requests()
    tiledb.client.login()
    assert ada.requests == []  # trusted until near its expiry
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert [(r.route, r.auth.token_id if r.auth else None) for r in ada.requests] == [
        ("/v4/users/self", minted(ada)[0])
    ]


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


# -- the details that decide reuse, minting and revoking --------------------------------


def test_obtain_says_whether_it_reused(ada: LocalServer) -> None:
    from tiledb.client.session.session_tokens import obtain_session_token
    from tiledb.client.session.settings import resolve

    settings = resolve()
    reused = obtain_session_token(settings, tiledb.client.client.client)
    assert reused.reused is True
    assert reused.token.token_id == minted(ada)[0]
    rewrite_record(expires_at=in_minutes(1))
    fresh = obtain_session_token(settings, tiledb.client.client.client)
    assert fresh.reused is False
    assert fresh.token.token_id == minted(ada)[1]
    forced = obtain_session_token(settings, tiledb.client.client.client, reuse=False)
    assert forced.reused is False
    assert forced.token.token_id == minted(ada)[2]


def test_the_reuse_is_logged_without_the_token(
    ada: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    current = session_module.peek()
    assert current is not None
    with caplog.at_level(logging.DEBUG, logger="tiledb.client"):
        tiledb.client.login()
    messages = [r.getMessage() for r in caplog.records]
    assert f"reusing session token {minted(ada)[0]}" in messages
    assert current.token not in caplog.text


def test_a_refused_cached_token_is_replaced_on_first_use(ada: LocalServer) -> None:
    ada.revoke_token(minted(ada)[0])  # the cache does not know yet
    tiledb.client.login()
    assert len(minted(ada)) == 1
    assert tiledb.client.get_user().username == DEFAULT_USERNAME  # 401, renewed, retried
    assert len(minted(ada)) == 2
    record = cached_record()
    assert record is not None
    assert record["token_id"] == minted(ada)[1]


def test_the_cached_record(ada: LocalServer) -> None:
    record = cached_record()
    assert record is not None
    (token,) = [t for t in ada.tokens if t.token_id == record["token_id"]]
    assert record["workspace_id"] == token.workspace_id
    assert record["workspace_id"].startswith("ws_")
    assert set(record) == {
        "token_id",
        "api_key",
        "workspace_id",
        "expires_at",
        "host",
        "username",
        "workspace",
    }


def test_a_workspace_id_needs_no_lookup(
    local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiledb.client.testing import DEFAULT_WORKSPACE_ID

    env_login(local_server, monkeypatch)
    monkeypatch.setenv("TILEDB_REST_WORKSPACE", DEFAULT_WORKSPACE_ID)
    tiledb.client.login()
    assert not [r for r in local_server.requests if r.route.startswith("/v4/workspaces/")]
    (token,) = [t for t in local_server.tokens if t.name.startswith("login-session-")]
    assert token.workspace_id == DEFAULT_WORKSPACE_ID


def test_a_password_without_a_workspace_is_a_login_error(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiledb.client.errors import LoginError

    env_login(local_server, monkeypatch)
    monkeypatch.delenv("TILEDB_REST_WORKSPACE")
    with pytest.raises(LoginError) as caught:
        tiledb.client.login()
    assert (
        "The workspace is unknown: a session token is made for one workspace. Configure the"
        " profile's workspace or set TILEDB_REST_WORKSPACE. [host from"
        " TILEDB_REST_SERVER_ADDRESS;"
    ) in str(caught.value)
    assert minted(local_server) == []


@pytest.mark.parametrize("answer", [b'{"data": {"name": "acme"}}', b'{"data": null}'])
def test_a_workspace_lookup_without_an_id_is_refused_before_the_token_request(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch, answer: bytes
) -> None:
    """Issue 21: the token request went out with ``"workspace_id": ""`` (the password a
    second time, for a request the server refuses); now the login stops at the lookup."""
    from tiledb.client.errors import LoginError

    env_login(local_server, monkeypatch)
    local_server.answer_next(answer)
    with pytest.raises(LoginError) as caught:
        tiledb.client.login()
    assert str(caught.value).startswith(
        f"The server at {local_server.url} answered the lookup of workspace 'acme' without"
        " its workspace_id, so no session token can be asked for it. [host from"
        " TILEDB_REST_SERVER_ADDRESS;"
    )
    assert [(r.method, r.route) for r in local_server.requests] == [
        ("GET", f"/v4/workspaces/{DEFAULT_WORKSPACE}")
    ]


def hours_left(server: LocalServer) -> float:
    """How long the one session token minted on ``server`` lives from now, in hours."""
    (token,) = [t for t in server.tokens if t.name.startswith("login-session-")]
    assert token.expires_at is not None
    expires = datetime.fromisoformat(token.expires_at.replace("Z", "+00:00"))
    return (expires - datetime.now(timezone.utc)) / timedelta(hours=1)


def configure_password_profile(server: LocalServer, lifetime: str | None) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE, host=server.url,
    )  # fmt: skip
    if lifetime is not None:
        with ProfileStore().edit() as profiles:
            profiles["default"]["client.session_lifetime"] = lifetime


@pytest.mark.parametrize(
    ("environment", "profile", "hours"),
    [("2h", "30m", 2.0), (None, "30m", 0.5), (None, None, 10.0)],
    ids=["environment-first", "then-the-profile", "else-10h"],
)
def test_the_lifetime_a_session_token_is_asked_for(
    local_server: LocalServer,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: str | None,
    profile: str | None,
    hours: float,
) -> None:
    configure_password_profile(local_server, profile)
    if environment is not None:
        monkeypatch.setenv("TILEDB_CLIENT_SESSION_LIFETIME", environment)
    tiledb.client.login()
    assert hours_left(local_server) == pytest.approx(hours, abs=0.05)


@pytest.mark.parametrize(
    ("environment", "profile", "named"),
    [("soon", None, "TILEDB_CLIENT_SESSION_LIFETIME"), (None, "soon", "client.session_lifetime")],
)
def test_a_lifetime_that_is_no_duration_is_refused_by_its_name(
    local_server: LocalServer,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: str | None,
    profile: str | None,
    named: str,
) -> None:
    configure_password_profile(local_server, profile)
    if environment is not None:
        monkeypatch.setenv("TILEDB_CLIENT_SESSION_LIFETIME", environment)
    with pytest.raises(LoginError) as caught:  # login() raises LoginError (issue 20, finding 3)
        tiledb.client.login()
    assert isinstance(caught.value.__cause__, ConfigurationError)
    assert str(caught.value.__cause__).startswith(f"{named} 'soon' is not a duration.")
    assert minted(local_server) == []


@pytest.fixture
def clock_nine_hours_ahead_of_utc() -> Iterator[None]:
    """The local time zone is UTC+9 (POSIX ``TZ``, no tz database needed)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "JST-9"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.usefixtures("clock_nine_hours_ahead_of_utc")
def test_the_expiry_asked_for_is_in_utc_whatever_the_local_time_zone(
    local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_login(local_server, monkeypatch)
    tiledb.client.login()
    assert hours_left(local_server) == pytest.approx(10.0, abs=0.05)  # not 19 h


def test_a_renewal_leaves_the_replaced_token_to_its_caller_and_a_login_revokes_it(
    ada: LocalServer,
) -> None:
    from tiledb.client.session.login import renewed_session
    from tiledb.client.session.session_tokens import obtain_session_token

    factory = tiledb.client.client.client
    current = session_module.peek()
    assert current is not None
    first = current.session_token_id
    replacement, obtained = renewed_session(current.settings, factory)
    assert obtained.replaced is not None
    assert obtained.replaced.token_id == first
    assert first in active(ada)  # requests in flight may still send it: revoked later
    second = replacement.session_token_id
    assert second not in (None, first)
    again = obtain_session_token(current.settings, factory, reuse=False)
    assert (again.replaced, again.reused) == (None, False)  # revoked here, nothing left
    assert first in active(ada)  # the renewal's caller revokes that one, not this call
    assert second not in active(ada)
    assert again.token.token_id in active(ada)


@pytest.mark.parametrize(
    "change",
    [{"host": "https://elsewhere.example"}, {"api_key": ""}, {"token_id": ""}],
    ids=["another-host", "no-key", "no-id"],
)
def test_a_cached_token_is_revoked_only_on_its_host_and_with_its_id_and_key(
    ada: LocalServer, change: dict[str, str]
) -> None:
    """A token recorded for another host is never sent here, not even to revoke it."""
    (first,) = minted(ada)
    rewrite_record(**change)
    tiledb.client.login()  # a new token: the record is not reusable
    assert len(minted(ada)) == 2
    assert deletes(ada) == []
    assert first in active(ada)


def test_logout_of_an_already_revoked_token(ada: LocalServer) -> None:
    from tiledb.client.operations.profile_secrets import logout

    ada.revoke_token(minted(ada)[0])
    result = logout(tiledb.client.client.client)
    assert result.revoked is False  # the server said 401: nothing left to revoke
    assert result.forgot_cached is True
    assert result.ended_session is True
    assert cached_record() is None


def test_profile_delete_ends_the_session_of_that_profile_only(ada: LocalServer) -> None:
    from tiledb.client.operations.profile_admin import delete_profile

    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=ada.url,
        profile_name="other",
    )
    current = session_module.peek()
    assert current is not None
    delete_profile("other", factory=tiledb.client.client.client)
    assert session_module.peek() is current  # another profile's session stays
    (token,) = minted(ada)
    assert delete_profile("default", factory=tiledb.client.client.client).revoked is True
    assert session_module.peek() is None
    assert token not in active(ada)


def test_logout_of_a_record_without_a_token_id(ada: LocalServer) -> None:
    from tiledb.client.operations.profile_secrets import logout

    rewrite_record(token_id="")
    session_module.install(None, update_default_ctx=False)  # not the current session
    result = logout(tiledb.client.client.client)
    assert result.revoked is False
    assert deletes(ada) == []
    assert cached_record() is None


def test_session_tokens_over_tls_without_verification(
    local_tls_server: LocalServer, vault: Path
) -> None:
    # The profile turns verification off (a self-signed server): checking, minting and
    # revoking must all honour it.
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_tls_server.url,
        verify_ssl=False,
    )
    with pytest.warns(Warning):  # urllib3: an unverified HTTPS request
        tiledb.client.login()
        tiledb.client.login()  # the check of the cached token
        tiledb.client.logout()
    assert len(minted(local_tls_server)) == 1
    assert active(local_tls_server) == []
    assert deletes(local_tls_server) == [f"/v4/tokens/{minted(local_tls_server)[0]}"]


def test_session_tokens_over_tls_with_the_ca_file(
    local_tls_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_tls_server.url,
        ca_file=str(local_tls_server.ca_file),
    )
    tiledb.client.login()
    tiledb.client.login()
    tiledb.client.logout()
    assert len(minted(local_tls_server)) == 1
    assert active(local_tls_server) == []


def test_a_session_token_that_cannot_be_cached_still_logs_in(
    local_server: LocalServer, vault: Path
) -> None:
    from tests.faults import run_with_file_size_limit

    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_server.url,
    )
    before = vault.read_bytes()
    # The disk is full: the vault cannot grow by the session token's record.
    result = run_with_file_size_limit(
        """
        import io, logging
        import tiledb.client
        log = io.StringIO()
        logging.basicConfig(stream=log, level=logging.WARNING, format="%(message)s")
        tiledb.client.login()
        report(user=tiledb.client.get_user().username, log=log.getvalue())
        """,
        limit=len(before) + 64,
    )
    assert result["user"] == DEFAULT_USERNAME
    assert result["log"].startswith(
        "the session token could not be cached, the next login makes a new one: Cannot write"
        f" the secrets vault {vault}"
    )
    assert vault.read_bytes() == before
    assert len(minted(local_server)) == 1
    tiledb.client.login()  # nothing cached: a new token
    assert len(minted(local_server)) == 2


def test_an_unreadable_cached_token_is_replaced(
    local_server: LocalServer, secret_service: str, caplog: pytest.LogCaptureFixture
) -> None:
    import secretstorage

    from tiledb.client.secrets.keyring_backend import SERVICE

    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_server.url,
        secret_backend="keyring",
    )
    profile = ProfileStore().get("default")
    assert profile is not None
    key = secret_entry_key(profile["client.secret_id"], "session")
    # A record that is not UTF-8 (written by another tool): reading it is an error.
    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.create_item("damaged", {"service": SERVICE, "username": key}, b"\xff\xfe")
    with caplog.at_level(logging.WARNING, logger="tiledb.client"):
        tiledb.client.login()
    (message,) = [r.getMessage() for r in caplog.records if "cached session" in r.getMessage()]
    assert message.startswith("cannot read the cached session token: ")
    assert "UnicodeDecodeError" in message
    assert len(minted(local_server)) == 1
    assert get_backend("keyring").get(key) is not None  # replaced by the new token's record


def test_a_reused_token_is_used_and_revoked_with_the_profiles_tls_settings(
    local_tls_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_tls_server.url,
        ca_file=str(local_tls_server.ca_file),
    )
    tiledb.client.login()
    with ProfileStore().edit() as profiles:  # the CA is gone: the server cannot be trusted
        del profiles["default"]["ssl.ca_file"]
    tiledb.client.login()  # the cached token, no request
    with pytest.raises(ClientError, match="TLS verification failed"):
        tiledb.client.get_user()
    with pytest.raises(ClientError, match="TLS verification failed"):
        tiledb.client.logout(profile_name="default")  # nor is it revoked blindly
    assert cached_record() is not None
    assert len(active(local_tls_server)) == 1


def test_a_replaced_token_is_revoked_with_the_profiles_tls_settings(
    local_tls_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, workspace=DEFAULT_WORKSPACE,
        host=local_tls_server.url, ca_file=str(local_tls_server.ca_file),
    )  # fmt: skip
    tiledb.client.login()
    (first,) = minted(local_tls_server)
    rewrite_record(expires_at=in_minutes(1))  # near its expiry: the next login replaces it
    tiledb.client.login()
    assert len(minted(local_tls_server)) == 2
    assert first not in active(local_tls_server)  # revoked over TLS, trusting the profile's CA


def test_logout_reports_what_it_did(ada: LocalServer) -> None:
    from tiledb.client.operations.profile_secrets import logout

    result = logout(tiledb.client.client.client)
    assert (result.profile_name, result.revoked, result.forgot_cached, result.ended_session) == (
        "default",
        True,
        True,
        True,
    )
    again = logout(tiledb.client.client.client)
    assert (again.revoked, again.forgot_cached, again.ended_session) == (False, False, False)


def test_a_forbidden_revoke_is_not_an_error(ada: LocalServer) -> None:
    from tiledb.client.operations.profile_secrets import logout

    ada.fail_next(403, count=1)
    result = logout(tiledb.client.client.client)
    assert result.revoked is False
    assert result.forgot_cached is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TILEDB_REST_PASSWORD": "not-the-password-1"}, "refused the username 'ada' and its"),
        ({"TILEDB_REST_WORKSPACE": "nowhere"}, "knows no workspace 'nowhere' for 'ada' (HTTP 404)"),
    ],
)
def test_minting_refused(
    local_server: LocalServer,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, str],
    message: str,
) -> None:
    from tiledb.client.errors import LoginError

    env_login(local_server, monkeypatch)
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(LoginError) as caught:
        tiledb.client.login()
    assert message in str(caught.value)
    assert f"The server at {local_server.url} " in str(caught.value)
    assert "not-the-password-1" not in str(caught.value)
    assert minted(local_server) == []


def test_a_minted_token_is_for_everything_and_logged_by_id(
    local_server: LocalServer,
    vault: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env_login(local_server, monkeypatch)
    with caplog.at_level(logging.DEBUG, logger="tiledb.client"):
        tiledb.client.login()
    (token,) = [t for t in local_server.tokens if t.name.startswith("login-session-")]
    assert token.scope == "*"
    assert f"created session token {token.token_id} for {DEFAULT_USERNAME}" in [
        r.getMessage() for r in caplog.records
    ]
    current = session_module.peek()
    assert current is not None
    assert current.token not in caplog.text


def test_a_damaged_record_is_logged_exactly(
    ada: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    get_backend("encrypted-file").set(session_key(), "[1, 2")
    with caplog.at_level(logging.WARNING, logger="tiledb.client"):
        tiledb.client.login()
    assert "ignoring a cached session token that is not valid JSON" in [
        r.getMessage() for r in caplog.records
    ]


@pytest.mark.parametrize(
    ("profile", "slot"),
    [
        (
            {
                "client.secret_backend": "encrypted-file",
                "client.secret_id": "x",
                "client.auth": "password",
            },
            True,
        ),
        (
            {
                "client.secret_backend": "encrypted-file",
                "client.secret_id": "x",
                "client.auth": "token",
            },
            False,
        ),
        ({"client.secret_backend": "encrypted-file", "client.secret_id": "x"}, False),
        ({"client.secret_backend": "encrypted-file", "client.auth": "password"}, False),
        ({"client.secret_id": "x", "client.auth": "password"}, False),
        ({"rest.password": "plain", "rest.username": "ada"}, False),
    ],
    ids=["password", "token", "no-auth", "no-id", "no-backend", "plaintext"],
)
def test_which_profiles_cache_a_session_token(
    vault: Path, profile: dict[str, str], slot: bool
) -> None:
    from tiledb.client.session.session_tokens import cache_slot_of_profile
    from tiledb.client.storage.profile_keys import view

    found = cache_slot_of_profile(view(profile))
    if slot:
        assert found is not None
        backend, key = found
        assert backend is get_backend("encrypted-file")
        assert key == secret_entry_key("x", "session")
    else:
        assert found is None


class _OddTokenServer:
    """A server that answers POST /v4/tokens with ``{"data": body}``, the rest as it should."""

    def __init__(self, body: bytes) -> None:
        import http.server
        import threading

        answer = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._send(b'{"data": {"workspace_id": "ws_0123456789abcdef", "name": "acme"}}')

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self._send(b'{"data": ' + answer + b"}")

            def _send(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"id": "t1"}', b"null"])
def test_a_server_that_returns_no_session_token(
    monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    from tiledb.client.errors import LoginError

    server = _OddTokenServer(body)
    try:
        monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", server.url)
        monkeypatch.setenv("TILEDB_REST_USERNAME", DEFAULT_USERNAME)
        monkeypatch.setenv("TILEDB_REST_PASSWORD", DEFAULT_PASSWORD)
        monkeypatch.setenv("TILEDB_REST_WORKSPACE", DEFAULT_WORKSPACE)
        with pytest.raises(LoginError) as caught:
            tiledb.client.login()
        assert f"The server at {server.url} returned no session token." in str(caught.value)
    finally:
        server.close()


def test_what_a_mint_asks_for(
    local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiledb.client.testing import DEFAULT_WORKSPACE_ID

    env_login(local_server, monkeypatch)
    tiledb.client.login()
    (post,) = [r for r in local_server.requests if r.method == "POST"]
    body = json.loads(post.body)
    assert body["scope"] == "*"
    assert body["workspace_id"] == DEFAULT_WORKSPACE_ID
    assert body["name"].startswith("login-session-")
    assert set(body) == {"name", "scope", "workspace_id", "expires_at"}
    asked = datetime.fromisoformat(body["expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(hours=9, minutes=59) < asked <= timedelta(hours=10)  # the default lifetime


def test_minting_verifies_the_server(local_tls_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(  # TLS verification on, and no CA that trusts this server
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_tls_server.url,
    )
    with pytest.raises(ClientError, match="TLS verification failed"):
        tiledb.client.login()
    assert minted(local_tls_server) == []


def test_a_revoke_of_an_unknown_token_is_not_an_error(ada: LocalServer) -> None:
    from tiledb.client.operations.profile_secrets import logout

    ada.fail_next(404, count=1)
    result = logout(tiledb.client.client.client)
    assert result.revoked is False
    assert result.forgot_cached is True


def test_an_environment_password_leaves_the_profiles_cache_alone(
    ada: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cached_record()
    monkeypatch.setenv("TILEDB_REST_PASSWORD", DEFAULT_PASSWORD)  # shadows the stored one
    tiledb.client.login()
    current = session_module.peek()
    assert current is not None
    assert current.session_token_id == minted(ada)[1]  # its own token, not the cached one
    assert cached_record() == before


def test_a_token_without_an_expiry_is_cached(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _OddTokenServer(b'{"token_id": "t1", "api_key": "k-ws_0123456789abcdef-x"}')
    try:
        tiledb.client.configure(
            username=DEFAULT_USERNAME,
            password=DEFAULT_PASSWORD,
            workspace=DEFAULT_WORKSPACE,
            host=server.url,
        )
        tiledb.client.login()
        record = cached_record()
        assert record is not None
        assert (record["token_id"], record["expires_at"]) == ("t1", None)
    finally:
        server.close()


@pytest.mark.parametrize(("workspace", "looked_up"), [(DEFAULT_WORKSPACE, False), ("other", True)])
def test_a_new_token_reuses_the_workspace_id_of_the_old_one(
    ada: LocalServer, workspace: str, looked_up: bool
) -> None:
    rewrite_record(expires_at=in_minutes(1), workspace=workspace)  # expired soon: replaced
    ada.clear_requests()
    tiledb.client.login()
    assert len(minted(ada)) == 2
    lookups = [r for r in ada.requests if r.route.startswith("/v4/workspaces/")]
    assert bool(lookups) is looked_up
