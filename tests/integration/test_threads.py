"""Threads started after ``login()``: a plain ``tiledb.open()`` there sends the session's token.

TileDB-Py keeps its default context in a ``ContextVar``, which a new thread starts
without; ``login()`` makes the session's context the default of every thread that
has none of its own. The server runs in a child process (core holds the GIL).
"""

from __future__ import annotations

import contextvars
import inspect
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import tiledb
import tiledb.client
from tiledb.client.basics import tiledb_py
from tiledb.client.session import current as session_module
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    ServerProcess,
)

URI = "tiledb://acme/ts/arr"


def in_new_thread(work: Callable[[], Any]) -> str:
    """Run ``work`` in a new thread; return what TileDB said (the test server has no arrays)."""
    said: list[str] = []

    def run() -> None:
        try:
            work()
            said.append("no error")
        except tiledb.TileDBError as exc:
            said.append(str(exc))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return said[0]


def load() -> Any:
    return tiledb.ArraySchema.load(URI)


def token_ids(server: ServerProcess) -> list[str | None]:
    return [
        r.auth.token_id if r.auth else None
        for r in server.requests
        if r.route.startswith(("/v1/arrays/", "/v2/arrays/"))
    ]


def test_plain_open_in_a_thread_started_after_login(
    local_server_process: ServerProcess, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    tiledb.client.login()
    assert "404" in in_new_thread(load)
    with ThreadPoolExecutor(2) as pool, pytest.raises(tiledb.TileDBError, match="404"):
        pool.submit(load).result(60)
    assert token_ids(local_server_process) == [DEFAULT_TOKEN_ID] * 2


def test_the_documented_ways_work_in_a_new_thread(
    local_server_process: ServerProcess, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    tiledb.client.login()
    assert "404" in in_new_thread(lambda: tiledb.ArraySchema.load(URI, ctx=tiledb.client.Ctx()))

    def scoped() -> None:
        with tiledb.scope_ctx(tiledb.client.Ctx({"sm.tile_cache_size": "1000"})):
            load()

    assert "404" in in_new_thread(scoped)
    context = contextvars.copy_context()
    assert "404" in in_new_thread(lambda: context.run(load))
    assert token_ids(local_server_process) == [DEFAULT_TOKEN_ID] * 3


def test_threads_follow_a_second_login_and_logout(
    local_server_process: ServerProcess, vault: Path
) -> None:
    server = local_server_process
    tiledb.client.configure(token=DEFAULT_TOKEN, host=server.url)
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace="acme",
        host=server.url,
        profile_name="pw",
    )
    tiledb.client.login()
    assert "404" in in_new_thread(load)
    tiledb.client.login(profile_name="pw")
    current = session_module.peek()
    assert current is not None and current.session_token_id
    assert "404" in in_new_thread(load)
    assert token_ids(server) == [DEFAULT_TOKEN_ID, current.session_token_id]
    tiledb.client.logout()
    assert "Missing TileDB authentication" in in_new_thread(load)
    assert len(token_ids(server)) == 2


def test_a_thread_with_its_own_default_context_keeps_it(
    local_server_process: ServerProcess, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    inside = threading.Event()
    leave = threading.Event()
    seen: list[Any] = []

    def own_scope() -> None:
        with tiledb.scope_ctx({"sm.tile_cache_size": "4321"}) as ctx:
            inside.set()
            leave.wait(30)
            seen.append(tiledb.default_ctx() is ctx)
        seen.append("left the scope")  # its reset token is still TileDB-Py's variable's

    thread = threading.Thread(target=own_scope)
    thread.start()
    assert inside.wait(30)
    tiledb.client.login()  # while the other thread is inside its scope
    leave.set()
    thread.join(30)
    assert seen == [True, "left the scope"]


def test_tiledb_py_uses_its_context_variable_only_as_we_stand_in_for_it() -> None:
    """The stand-in answers get/set/reset: a TileDB-Py that does more must fail here."""
    source = inspect.getsource(tiledb.ctx)
    used = set(re.findall(r"\b_ctx_var\.(\w+)", source))
    assert used and used <= {"get", "set", "reset"}
    assert isinstance(tiledb_py.default_ctx_var(), contextvars.ContextVar)


def test_no_session_leaves_new_threads_as_tiledb_py_makes_them() -> None:
    ctx = tiledb.Ctx({"sm.tile_cache_size": "777"})
    tiledb_py.set_default_ctx_for_new_threads(ctx)
    try:
        assert in_new_thread(lambda: tiledb.default_ctx() is ctx or 1 / 0) == "no error"
    finally:
        tiledb_py.set_default_ctx_for_new_threads(None)
    made: list[Any] = []
    in_new_thread(lambda: made.append(tiledb.default_ctx()))
    assert made and made[0] is not ctx


def test_login_makes_no_default_context_until_one_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A script that only calls tiledb.client.Ctx() pays for one context, not two."""
    made: list[object] = []
    real_ctx = tiledb.Ctx

    class CountingCtx(real_ctx):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(tiledb, "Ctx", CountingCtx)
    monkeypatch.setenv("TILEDB_REST_TOKEN", "tok-ws_lazy1-x")
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", "http://127.0.0.1:9")
    tiledb.client.login()
    assert made == []
    tiledb.client.Ctx()
    assert len(made) == 1
    default = tiledb.default_ctx()  # made now, with the session's token
    assert len(made) == 2
    assert default.config()["rest.token"] == "tok-ws_lazy1-x"
    assert tiledb.default_ctx() is default
