"""The session API against the bundled server, with real secret backends."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from pathlib import Path

import pytest
from tests.backends import CHEAP_POLICY
from tests.faults import run_with_file_size_limit

import tiledb
import tiledb.client
from tiledb.client.basics.models import User, UserSelfWorkspace, WorkspaceRole
from tiledb.client.client import ClientError, ConfigurationError, LoginError, Workspace
from tiledb.client.secrets import encrypted_file, registry
from tiledb.client.session import current as session_module
from tiledb.client.session.session import Session
from tiledb.client.session.settings import PlaintextSecretWarning
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    LocalServer,
)


def token_requests(server: LocalServer, method: str = "POST") -> list[str]:
    return [
        r.path for r in server.requests if r.route.startswith("/v4/tokens") and r.method == method
    ]


def all_text_under(root: Path) -> str:
    chunks = []
    for path in root.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


def configure_ada(server: LocalServer) -> None:
    """Store the default user's username and password profile."""
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=server.url,
    )


# -- token profiles ---------------------------------------------------------------


def test_token_profile_round_trip(
    local_server: LocalServer, secret_backend: str, hermetic_env: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    profile = ProfileStore().get("default")
    assert profile is not None
    assert profile["client.secret_backend"] == secret_backend
    assert profile["rest.workspace"] == DEFAULT_WORKSPACE_ID  # named by the token
    assert "rest.token" not in profile
    tiledb.client.login()
    user = tiledb.client.get_user()
    assert isinstance(user, User)
    assert user.username == DEFAULT_USERNAME
    assert tiledb.client.default_user() == user
    assert tiledb.client.get_workspace_id() == DEFAULT_WORKSPACE_ID
    workspace = tiledb.client.get_workspace()
    assert isinstance(workspace, Workspace)
    assert workspace.name == DEFAULT_WORKSPACE
    assert workspace.workspace_role == WorkspaceRole.ADMIN
    user_again, listed = tiledb.client.get_self_user()
    assert user_again == user
    assert all(isinstance(item, UserSelfWorkspace) for item in listed)
    assert [w.name for w in tiledb.client.get_user_workspaces()] == [DEFAULT_WORKSPACE]
    config = tiledb.client.Config()
    assert config["rest.server_address"] == local_server.url
    assert config["rest.token"] == DEFAULT_TOKEN
    assert config["rest.workspace"] == DEFAULT_WORKSPACE_ID
    assert isinstance(tiledb.client.Ctx(), tiledb.Ctx)
    # No secret in any file under HOME (profiles, vault metadata, keyring files).
    assert DEFAULT_TOKEN not in all_text_under(hermetic_env)


def test_results_are_cached_per_session(local_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url, workspace="acme")
    tiledb.client.login()
    for _ in range(3):
        tiledb.client.get_user()
        tiledb.client.get_workspace()
    routes = [r.route for r in local_server.requests]
    assert routes.count("/v4/users/self") == 1
    assert routes.count("/v4/workspaces/acme") == 1
    tiledb.client.login()  # a new session fetches again
    tiledb.client.get_user()
    assert [r.route for r in local_server.requests].count("/v4/users/self") == 2


def test_first_use_without_login_loads_the_default_profile(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    assert session_module.peek() is None
    assert tiledb.client.get_user().username == DEFAULT_USERNAME


def test_env_token_without_any_profile_file(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch, hermetic_env: Path
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", local_server.url)
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert not (hermetic_env / ".tiledb").exists()
    config = tiledb.client.Config()
    assert config["rest.token"] == DEFAULT_TOKEN
    assert isinstance(tiledb.client.Ctx(), tiledb.Ctx)


def test_legacy_plaintext_profile_logs_in_with_a_warning(local_server: LocalServer) -> None:
    profile = tiledb.Profile("legacy")
    profile["rest.server_address"] = local_server.url
    profile["rest.token"] = DEFAULT_TOKEN
    profile["rest.workspace"] = DEFAULT_WORKSPACE
    profile.save()
    with pytest.warns(PlaintextSecretWarning, match="tiledb-client migrate --profile legacy"):
        tiledb.client.login(profile_name="legacy")
    assert tiledb.client.get_user().username == DEFAULT_USERNAME


# -- password profiles ---------------------------------------------------------------


def test_password_login_sends_the_password_only_to_make_a_session_token(
    local_server: LocalServer,
    secret_backend: str,
    hermetic_env: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=local_server.url,
    )
    profile = ProfileStore().get("default")
    assert profile is not None
    assert profile["rest.username"] == DEFAULT_USERNAME
    assert "rest.password" not in profile
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    basic = [r for r in local_server.requests if r.auth and r.auth.scheme == "basic"]
    # A workspace given by name: its id is resolved first (password sent twice).
    assert [r.route for r in basic] == ["/v4/workspaces/acme", "/v4/tokens"]
    token_auth = [r for r in local_server.requests if r.auth and r.auth.scheme == "token"]
    assert [r.route for r in token_auth] == ["/v4/users/self"]
    config = tiledb.client.Config()
    session_token = config["rest.token"]
    assert session_token and session_token != DEFAULT_PASSWORD
    assert config.get("rest.password", False) in (None, "")
    assert DEFAULT_PASSWORD not in str(dict(config.items()))
    active = [t for t in local_server.tokens if t.active and t.name.startswith("login-session-")]
    assert len(active) == 1
    # The password never reaches a repr, a log or a file.
    current = session_module.peek()
    assert DEFAULT_PASSWORD not in repr(current)
    assert session_token not in repr(current)
    assert DEFAULT_PASSWORD not in caplog.text
    assert session_token not in caplog.text
    files = all_text_under(hermetic_env)
    assert DEFAULT_PASSWORD not in files
    assert session_token not in files


def test_the_password_is_sent_once_when_the_workspace_id_is_known(
    local_server: LocalServer, vault: Path
) -> None:
    def basic_routes() -> list[str]:
        return [r.route for r in local_server.requests if r.auth and r.auth.scheme == "basic"]

    # Configured by id: one request carries the password.
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE_ID,
        host=local_server.url,
        profile_name="by-id",
    )
    tiledb.client.login(profile_name="by-id")
    assert basic_routes() == ["/v4/tokens"]
    # Configured by name: the first login resolves the id (twice); once the session
    # token recorded the id, a new token needs the password once.
    local_server.clear_requests()
    configure_ada(local_server)
    tiledb.client.login()
    assert basic_routes() == ["/v4/workspaces/acme", "/v4/tokens"]
    for token in local_server.tokens:
        if token.name.startswith("login-session"):
            local_server.revoke_token(token.token_id)
    local_server.clear_requests()
    tiledb.client.login()  # trusts the cached token: no request
    assert tiledb.client.get_user().username == DEFAULT_USERNAME  # 401, then a new token
    assert basic_routes() == ["/v4/tokens"]


def test_session_token_is_reused_then_revoked_by_logout(
    local_server: LocalServer, secret_backend: str
) -> None:
    configure_ada(local_server)
    tiledb.client.login()
    first = tiledb.client.Config()["rest.token"]
    tiledb.client.login()
    assert tiledb.client.Config()["rest.token"] == first
    assert len(token_requests(local_server)) == 1
    tiledb.client.logout()
    assert len(token_requests(local_server, "DELETE")) == 1
    assert not [t for t in local_server.tokens if t.active and t.name.startswith("login-session")]
    assert session_module.peek() is None
    tiledb.client.login()
    assert tiledb.client.Config()["rest.token"] != first
    assert len(token_requests(local_server)) == 2


def test_overwrite_revokes_the_old_session_token(local_server: LocalServer, vault: Path) -> None:
    configure_ada(local_server)
    tiledb.client.login()
    assert [t.active for t in local_server.tokens if t.name.startswith("login-session")] == [True]
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url, overwrite=True)
    assert [t.active for t in local_server.tokens if t.name.startswith("login-session")] == [False]
    assert session_module.peek() is None  # the replaced credentials' session ended
    tiledb.client.login()
    assert tiledb.client.Config()["rest.token"] == DEFAULT_TOKEN


def test_revoked_cached_token_is_replaced(local_server: LocalServer, vault: Path) -> None:
    configure_ada(local_server)
    tiledb.client.login()
    first = tiledb.client.Config()["rest.token"]
    for token in local_server.tokens:
        if token.name.startswith("login-session"):
            local_server.revoke_token(token.token_id)
    tiledb.client.login()  # trusts the cached token: the server is not asked
    assert tiledb.client.Config()["rest.token"] == first
    assert len(token_requests(local_server)) == 1
    assert tiledb.client.get_user().username == DEFAULT_USERNAME  # refused once, renewed
    assert len(token_requests(local_server)) == 2
    renewed = tiledb.client.Config()["rest.token"]
    assert renewed != first
    assert tiledb.default_ctx().config()["rest.token"] == renewed  # core gets it too
    tiledb.client.logout()
    assert [t.active for t in local_server.tokens if t.name.startswith("login-session")] == [
        False,
        False,
    ]


class ReadRecordingVault(encrypted_file.EncryptedFileBackend):
    """The real encrypted-file backend, recording which entries are read."""

    def __init__(self) -> None:
        super().__init__(kdf_policy=CHEAP_POLICY)
        self.reads: list[str] = []

    def get(self, key: str) -> str | None:
        self.reads.append(key.split(":")[0])
        return super().get(key)


def test_cached_session_token_login_makes_no_request_and_reads_no_password(
    local_server: LocalServer, vault: Path
) -> None:
    recording = ReadRecordingVault()
    registry.use_backend(recording)
    configure_ada(local_server)
    recording.reads.clear()
    tiledb.client.login()
    assert recording.reads == ["session", "password"]  # nothing cached yet: mint
    local_server.clear_requests()
    recording.reads.clear()
    tiledb.client.login()
    assert local_server.requests == []
    assert recording.reads == ["session"]
    tiledb.client.get_self_user()
    tiledb.client.get_self_user()
    assert [r.route for r in local_server.requests] == ["/v4/users/self"]


def test_wrong_password_is_a_login_error_without_the_password(
    local_server: LocalServer, vault: Path
) -> None:
    wrong = "not-the-password-1234"
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=wrong, workspace="acme", host=local_server.url
    )
    with pytest.raises(LoginError, match="refused the username 'ada'") as caught:
        tiledb.client.login()
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)


# -- failures ---------------------------------------------------------------------------


def test_unreachable_host_is_a_client_error_naming_it(vault: Path) -> None:
    tiledb.client.configure(
        username="ada", password="pw", workspace="acme", host="http://127.0.0.1:9"
    )
    with pytest.raises(ClientError, match=r"127\.0\.0\.1:9"):
        tiledb.client.login()


def test_unreachable_host_error_ends_with_the_setting_sources(vault: Path) -> None:
    """As docs/api.md says of every error a request for the session meets."""
    tiledb.client.configure(
        username="ada", password="pw", workspace="acme", host="http://127.0.0.1:9"
    )
    with pytest.raises(ClientError) as password_login:
        tiledb.client.login()
    tiledb.client.configure(
        token=DEFAULT_TOKEN, host="http://127.0.0.1:9", profile_name="token", overwrite=True
    )
    tiledb.client.login(profile_name="token")  # a token login makes no request
    with pytest.raises(ClientError) as token_call:
        tiledb.client.get_user()
    for error, name in ((password_login.value, "default"), (token_call.value, "token")):
        assert f"host from profile {name!r}" in error.problem
        assert error.problem.endswith("]")  # the sources, then the hint
        assert error.hint == "Check the profile's host setting and your network."


def test_missing_profile_is_a_login_error() -> None:
    with pytest.raises(LoginError, match="profile 'nope'"):
        tiledb.client.login(profile_name="nope")


def test_failed_login_keeps_the_previous_session(local_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    tiledb.client.login()
    before = session_module.peek()
    with pytest.raises(LoginError):
        tiledb.client.login(profile_name="missing")
    assert session_module.peek() is before
    assert tiledb.client.Config()["rest.token"] == DEFAULT_TOKEN


def test_server_errors_outside_login_are_client_errors(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url, workspace="lab")
    tiledb.client.login()
    with pytest.raises(ClientError, match="workspace 'lab'"):
        tiledb.client.get_workspace()
    local_server.revoke_token(next(t.token_id for t in local_server.tokens))
    with pytest.raises(ClientError, match="refused"):
        tiledb.client.get_user()


def test_retries_follow_the_retry_mode(local_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    tiledb.client.login()
    local_server.fail_next(503, count=2)
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    tiledb.client.login()
    tiledb.client.client.client.retry_mode("disabled")
    local_server.fail_next(503, count=1)
    with pytest.raises(ClientError, match="503"):
        tiledb.client.get_user()


# -- configure ---------------------------------------------------------------------------


def test_configure_validation(vault: Path) -> None:
    with pytest.raises(ConfigurationError, match="Host is required"):
        tiledb.client.configure(token="t", workspace="w")
    with pytest.raises(ConfigurationError, match="token OR both username and password"):
        tiledb.client.configure(host="h", workspace="w")
    with pytest.raises(ConfigurationError, match="Both username and password"):
        tiledb.client.configure(host="h", workspace="w", username="ada")
    with pytest.raises(ConfigurationError, match="Workspace is required"):
        tiledb.client.configure(host="h", token="plain-token")
    with pytest.warns(UserWarning, match="'app.example.com' starts with 'app.'"):
        tiledb.client.configure(host="app.example.com/", token="t", workspace="w")
    stored = ProfileStore().get("default")
    assert stored is not None
    assert stored["rest.server_address"] == "https://app.example.com"
    with pytest.raises(ConfigurationError, match="already exists"):
        tiledb.client.configure(host="h", token="t", workspace="w")


def test_configure_token_wins_over_password(vault: Path, local_tls_server: LocalServer) -> None:
    tiledb.client.configure(
        host="h.example",
        token="t-ws_1-x",
        username="ada",
        password="pw",
        verify_ssl=False,
        ca_file=str(local_tls_server.ca_file),
        profile_name="both",
    )
    profile = ProfileStore().get("both")
    assert profile is not None
    assert profile["client.auth"] == "token"
    assert "rest.username" not in profile
    assert profile["rest.workspace"] == "ws_1"
    assert profile["ssl.verify"] == "false"
    assert profile["ssl.ca_file"] == str(local_tls_server.ca_file)


def test_overwrite_replaces_the_secret_and_leaves_no_orphan(vault: Path) -> None:
    from tiledb.client.secrets.registry import get_backend

    tiledb.client.configure(host="h", token="first-token", workspace="w")
    old_id = ProfileStore().get("default")["client.secret_id"]  # type: ignore[index]
    tiledb.client.configure(host="h", token="second-token", workspace="w", overwrite=True)
    new_id = ProfileStore().get("default")["client.secret_id"]  # type: ignore[index]
    backend = get_backend("encrypted-file")
    assert old_id != new_id
    assert backend.get(f"token: {old_id}") is None
    assert backend.get(f"token: {new_id}") == "second-token"


def test_failed_profile_write_rolls_back_the_secret(vault: Path) -> None:
    from tiledb.client.secrets.registry import get_backend

    tiledb.client.configure(host="h", token="kept-token", workspace="w")
    with ProfileStore().edit() as profiles:  # a large profile beside it: the file is big
        profiles["notes"] = {"x.note": "n" * 40_000}
    before = ProfileStore().path.read_bytes()
    # The disk fills up (files may not grow past 16 KiB): the vault, still small, takes the
    # new secret; the profile file cannot be rewritten.
    result = run_with_file_size_limit(
        """
        import tiledb.client
        from tiledb.client.errors import ConfigurationError
        try:
            tiledb.client.configure(host="h", token="rolled-back", workspace="w", overwrite=True)
        except ConfigurationError as exc:
            report(error=str(exc))
        """,
        limit=16 * 1024,
    )
    assert str(ProfileStore().path) in result["error"]
    assert "rolled-back" not in result["error"]
    assert ProfileStore().path.read_bytes() == before
    profile = ProfileStore().get("default")
    assert profile is not None
    backend = get_backend("encrypted-file")
    assert backend.get(f"token: {profile['client.secret_id']}") == "kept-token"
    entries = json.loads(vault.read_text())["entries"]
    assert list(entries) == [f"token: {profile['client.secret_id']}"]  # the new one removed


def test_failed_secret_write_leaves_no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "encrypted-file")  # no passphrase set
    with pytest.raises(ConfigurationError, match="TILEDB_CLIENT_PASSPHRASE"):
        tiledb.client.configure(host="h", token="t", workspace="w")
    assert ProfileStore().get("default") is None


def test_no_backend_available_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(ConfigurationError, match="TILEDB_CLIENT_PASSPHRASE"):
        tiledb.client.configure(host="h", token="t", workspace="w")


# -- Config / Ctx and TileDB core ---------------------------------------------------------


def test_config_rejects_restricted_keys(local_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    for key in ("rest.server_address", "rest.username", "rest.password"):
        with pytest.raises(ValueError, match=key):
            tiledb.client.Config({key: "x"})
    config = tiledb.client.Config({"sm.tile_cache_size": "1234"})
    assert config["sm.tile_cache_size"] == "1234"


def test_login_updates_the_default_context(local_server: LocalServer, vault: Path) -> None:
    tiledb.default_ctx({"sm.tile_cache_size": "4321"})
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    tiledb.client.login()
    config = tiledb.default_ctx().config()
    assert config["rest.token"] == DEFAULT_TOKEN
    assert config["rest.server_address"] == local_server.url
    assert config["sm.tile_cache_size"] == "4321"  # other parameters are kept


def test_tls_options_map_to_core(local_tls_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(
        token=DEFAULT_TOKEN, host=local_tls_server.url, ca_file=str(local_tls_server.ca_file)
    )
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert tiledb.client.Config()["ssl.ca_file"] == str(local_tls_server.ca_file)
    tiledb.client.configure(
        token=DEFAULT_TOKEN, host=local_tls_server.url, verify_ssl=False, profile_name="noverify"
    )
    tiledb.client.login(profile_name="noverify")
    assert tiledb.client.Config()["ssl.verify"] == "false"
    assert tiledb.client.get_user().username == DEFAULT_USERNAME


def test_tls_without_the_ca_fails_clearly(local_tls_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_tls_server.url)
    tiledb.client.login()
    with pytest.raises(ClientError, match=r"TLS verification failed.*ca_file"):
        tiledb.client.get_user()


# -- concurrency -----------------------------------------------------------------------


def test_concurrent_logins_and_calls(local_server: LocalServer, vault: Path) -> None:
    # Two profiles of two users on two hosts (the server answers on 127.0.0.1 and on
    # localhost): a session mixed up with the other one shows as the wrong user.
    local_server.add_user("bob", "bobs-password", role="member")
    local_server.add_workspace("bobs-lab", members={"bob": "owner"})
    bob_token = local_server.add_token("bob", "bobs-lab").api_key
    hosts = {"one": local_server.url, "two": local_server.url.replace("127.0.0.1", "localhost")}
    users = {"one": DEFAULT_USERNAME, "two": "bob"}
    tokens = {"one": DEFAULT_TOKEN, "two": bob_token}
    for name in ("one", "two"):
        tiledb.client.configure(token=tokens[name], host=hosts[name], profile_name=name)
    errors: list[BaseException] = []
    sessions: dict[int, Session] = {}

    def work(name: str) -> None:
        try:
            for _ in range(5):
                tiledb.client.login(profile_name=name)
                seen = session_module.peek()
                assert seen is not None
                sessions[id(seen)] = seen
                # Another thread may log in meanwhile: whichever session is current,
                # its user and host must be those of its own profile.
                assert tiledb.client.get_user().username in users.values()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("one", "two", "one", "two")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert {s.profile_name for s in sessions.values()} == {"one", "two"}
    for seen in sessions.values():
        name = seen.profile_name
        assert (seen.host, seen.token) == (hosts[name], tokens[name])
        if seen.cache.self_user is not None:  # what it cached is its own user's
            assert seen.cache.self_user[0].username == users[name]
    final = session_module.peek()
    assert final is not None
    assert tiledb.client.get_user().username == users[final.profile_name]
    assert tiledb.client.Config()["rest.token"] == tokens[final.profile_name]
    assert tiledb.client.Config()["rest.server_address"] == hosts[final.profile_name]
    by_host = {r.headers.get("host", "").split(":")[0] for r in local_server.requests}
    assert by_host >= {"127.0.0.1", "localhost"}


def test_threads_on_a_fresh_session_share_one_rest_client(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", local_server.url)
    tiledb.client.login()
    barrier = threading.Barrier(16)
    seen: list[int] = []

    def work() -> None:
        barrier.wait()
        seen.append(tiledb.client.build(id))

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 16
    assert len(set(seen)) == 1  # one REST client, so one connection pool


def test_env_token_beside_a_profile_whose_backend_cannot_answer(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The profile's secret lives in the OS keyring, which cannot be reached here (no
    # D-Bus). TILEDB_REST_TOKEN replaces that secret, so it need not be read at all.
    ProfileStore().save(
        "default",
        {
            "rest.server_address": local_server.url,
            "rest.workspace": DEFAULT_WORKSPACE,
            "client.auth": "token",
            "client.secret_backend": "keyring",
            "client.secret_id": "default @ elsewhere [00000000]",
        },
    )
    monkeypatch.setenv("TILEDB_REST_TOKEN", DEFAULT_TOKEN)
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert tiledb.client.Config()["rest.token"] == DEFAULT_TOKEN


@pytest.mark.parametrize("kind", ["token", "password"])
def test_a_keyring_profile_without_dbus_is_one_login_error(
    kind: str,
    local_server: LocalServer,
    secret_service: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 20, finding 3: a password profile raised BackendUnavailableError, after a warning."""
    credential = (
        {"token": DEFAULT_TOKEN}
        if kind == "token"
        else {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
    )
    tiledb.client.configure(
        host=local_server.url, workspace="acme", secret_backend="keyring", **credential
    )
    registry.forget_backends()
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    with caplog.at_level(logging.WARNING), pytest.raises(LoginError) as raised:
        tiledb.client.login()
    assert "DBUS_SESSION_BUS_ADDRESS" in str(raised.value)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
