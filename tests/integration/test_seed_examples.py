"""Every example of the reference API page runs as written against the bundled server.

The examples are copied verbatim from the reference page (``seed/client-api.md``).
They name the host ``myhost.com``; ``TILEDB_REST_SERVER_ADDRESS`` points the session
at the bundled server instead (the environment wins over the profile's host, as
documented), so the code itself is unchanged. The server knows the examples'
user, password, workspace and tokens.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import tiledb
import tiledb.client
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


def test_client_class_example(example_server: LocalServer) -> None:
    run_example(CONFIGURE_EXAMPLES["api-token"])
    tiledb.client.login()
    client = tiledb.client.Client(pool_threads=2, retry_mode="forceful")
    client.retry_mode("disabled")
    client.set_threads(4)
    assert client.pool_size == 4
    assert client.build(lambda rest: rest.get("/v4/users/self"))["user"]["username"] == "myuser"
