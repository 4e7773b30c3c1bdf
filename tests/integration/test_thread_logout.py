"""Issue 22, finding 7: ``logout()`` in a worker thread reaches every thread's default context."""

from __future__ import annotations

import threading
from pathlib import Path

import tiledb
import tiledb.client
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer


def _token_of_default_ctx() -> str:
    try:
        return str(tiledb.default_ctx().config()["rest.token"])
    except (KeyError, tiledb.TileDBError):
        return ""


def test_logout_in_a_worker_thread_clears_the_main_threads_default(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    tiledb.default_ctx()  # the main thread has a default context of its own before login
    tiledb.client.login()
    assert _token_of_default_ctx() == DEFAULT_TOKEN
    worker = threading.Thread(target=tiledb.client.logout)
    worker.start()
    worker.join(30)
    assert _token_of_default_ctx() != DEFAULT_TOKEN  # before: the API token stayed here
    seen: list[str] = []
    other = threading.Thread(target=lambda: seen.append(_token_of_default_ctx()))
    other.start()
    other.join(30)
    assert seen != [DEFAULT_TOKEN]


def test_a_second_login_in_a_worker_thread_replaces_the_main_threads_credentials(
    local_server: LocalServer, vault: Path
) -> None:
    other = local_server.add_token("ada", "acme")
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    tiledb.client.configure(token=other.api_key, host=local_server.url, profile_name="b")
    tiledb.default_ctx()
    tiledb.client.login()
    worker = threading.Thread(target=lambda: tiledb.client.login(profile_name="b"))
    worker.start()
    worker.join(30)
    assert _token_of_default_ctx() == other.api_key
