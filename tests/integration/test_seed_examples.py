"""Every example of the reference API page runs as written against the bundled server.

The examples are copied verbatim from the reference page (``seed/client-api.md``).
They name the host ``myhost.com``; ``TILEDB_REST_SERVER_ADDRESS`` points the session
at the bundled server instead (the environment wins over the profile's host, as
documented), so the code itself is unchanged. The server knows the examples'
user, password, workspace and tokens.
"""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import pytest

import tiledb
import tiledb.client
from tiledb.client.basics.retry_modes import RetryMode
from tiledb.client.client import ClientError
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import LocalServer

PROFILE_NAME = "production"

CONFIGURE_EXAMPLES = {
    "username-password": """
        tiledb.client.configure(
            username="myuser",
            password="mypass",
            workspace="myworkspace",
            host="myhost.com"
        )
    """,
    "api-token": """
        tiledb.client.configure(
            token="my-api-token",
            workspace="myworkspace",
            host="myhost.com"
        )
    """,
    "named-profile": """
        tiledb.client.configure(
            token="my-token",
            workspace="myworkspace",
            host="myhost.com",
            profile_name="production"
        )
    """,
    "overwrite": """
        tiledb.client.configure(
            token="my-token",
            workspace="myworkspace",
            host="myhost.com",
            overwrite=True
        )
    """,
}

LOGIN_EXAMPLES = {
    "module-docstring": "tiledb.client.login(profile_name=PROFILE_NAME)",
    "default-profile": "tiledb.client.login()",
    "named-profile": 'tiledb.client.login(profile_name="production")',
}


@pytest.fixture
def example_server(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch, vault: Path
) -> LocalServer:
    local_server.add_user("myuser", "mypass", role="member")
    local_server.add_workspace("myworkspace", members={"myuser": "owner"})
    for api_key in ("my-api-token", "my-token"):
        local_server.add_token("myuser", "myworkspace", api_key=api_key)
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", local_server.url)
    return local_server


def run_example(code: str) -> None:
    exec(textwrap.dedent(code), {"tiledb": tiledb, "PROFILE_NAME": PROFILE_NAME})  # noqa: S102


@pytest.mark.parametrize("name", list(CONFIGURE_EXAMPLES))
def test_configure_example(name: str, example_server: LocalServer) -> None:
    run_example(CONFIGURE_EXAMPLES[name])
    profile_name = "production" if name == "named-profile" else "default"
    profile = ProfileStore().get(profile_name)
    assert profile is not None
    assert profile["rest.server_address"] == "https://myhost.com"
    assert profile["rest.workspace"] == "myworkspace"
    assert "rest.token" not in profile
    assert "rest.password" not in profile
    tiledb.client.login(profile_name=profile_name)
    assert tiledb.client.get_user().username == "myuser"
    assert tiledb.client.get_workspace().name == "myworkspace"


def test_overwrite_example_replaces_an_existing_profile(example_server: LocalServer) -> None:
    run_example(CONFIGURE_EXAMPLES["username-password"])
    run_example(CONFIGURE_EXAMPLES["overwrite"])
    profile = ProfileStore().get("default")
    assert profile is not None
    assert profile["client.auth"] == "token"


@pytest.mark.parametrize("name", list(LOGIN_EXAMPLES))
def test_login_example(name: str, example_server: LocalServer) -> None:
    run_example(CONFIGURE_EXAMPLES["username-password"])
    run_example(CONFIGURE_EXAMPLES["named-profile"])
    run_example(LOGIN_EXAMPLES[name])
    assert tiledb.client.get_user().username == "myuser"
    assert tiledb.client.default_user().username == "myuser"
    _user, workspaces = tiledb.client.get_self_user()
    assert [w.name for w in workspaces] == ["myworkspace"]
    assert [w.workspace_role for w in tiledb.client.get_user_workspaces()] == ["owner"]
    assert tiledb.client.get_workspace_id().startswith("ws_")
    assert tiledb.client.Config()["rest.server_address"] == example_server.url
    assert isinstance(tiledb.client.Ctx(), tiledb.Ctx)
    assert tiledb.client.build(lambda rest: rest.get("/v4/users/self"))["user"]["username"] == (
        "myuser"
    )


def whoami(client: tiledb.client.Client) -> str:
    return str(client.build(lambda rest: rest.get("/v4/users/self"))["user"]["username"])


def test_client_class_example(example_server: LocalServer) -> None:
    run_example(CONFIGURE_EXAMPLES["api-token"])
    tiledb.client.login()
    client = tiledb.client.Client(pool_threads=2, retry_mode="forceful")
    example_server.fail_next(500, count=1)  # forceful retries a 500
    assert whoami(client) == "myuser"
    client.retry_mode("disabled")
    assert client.mode == RetryMode.DISABLED
    example_server.fail_next(503, count=1)  # disabled: not even a 503 is retried
    with pytest.raises(ClientError, match="503"):
        whoami(client)
    assert whoami(client) == "myuser"
    client.set_threads(4)
    assert client.pool_size == 4
    assert whoami(client) == "myuser"


@pytest.mark.parametrize("threads", [1, 3])
def test_set_threads_sizes_the_pool_of_submit(threads: int) -> None:
    client = tiledb.client.Client(pool_threads=8)
    client.submit(lambda: None).result(timeout=10)  # a pool of 8 exists
    client.set_threads(threads)  # replaced by one of `threads`
    running = threading.Barrier(threads + 1, timeout=2)
    futures = [client.submit(running.wait) for _ in range(threads + 1)]
    with pytest.raises(threading.BrokenBarrierError):  # one thread too many are waited for
        futures[0].result(timeout=10)
    running.reset()
    together = threading.Barrier(threads, timeout=5)
    results = [client.submit(together.wait) for _ in range(threads)]
    assert sorted(f.result(timeout=10) for f in results) == list(range(threads))
    names = {client.submit(lambda: threading.current_thread().name).result(timeout=10)}
    assert all(name.startswith("tiledb-client-") for name in names)
    client.set_threads(None)


def test_login_threads_sets_the_module_client(example_server: LocalServer) -> None:
    run_example(CONFIGURE_EXAMPLES["api-token"])
    tiledb.client.login(threads=3)
    assert tiledb.client.client.client.pool_size == 3
    together = threading.Barrier(3, timeout=5)
    done = [tiledb.client.client.client.submit(together.wait) for _ in range(3)]
    assert sorted(f.result(timeout=10) for f in done) == [0, 1, 2]
    assert tiledb.client.get_user().username == "myuser"
    with pytest.raises(ValueError, match="at least 1"):
        tiledb.client.login(threads=0)
