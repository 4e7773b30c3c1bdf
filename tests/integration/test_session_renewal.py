"""A password session renews itself under live contexts (issue 17).

Against the bundled server in a process of its own whose tokens live 3 seconds at most:
one login, then 15 seconds of reads through a ``Ctx()`` made at the start, through
TileDB-Py's default context and from new threads, with no ``login()`` again.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import tiledb
import tiledb.client
from tiledb.client.basics import tiledb_py
from tiledb.client.session import current
from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_USERNAME, ServerProcess

ARRAY = "tiledb://acme/ts/arr"


def _read(ctx: object | None = None) -> str:
    try:
        tiledb.ArraySchema.load(ARRAY, ctx=ctx)
    except tiledb.TileDBError as exc:  # the server holds no arrays: 404 once authenticated
        return "404" if "404" in str(exc) else str(exc)[:200]
    return "read"


def _in_new_thread() -> str:
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(_read()))
    thread.start()
    thread.join(30)
    return seen[0] if seen else "thread did not finish"


@pytest.mark.timeout(120)
def test_contexts_read_over_five_token_lifetimes(vault: Path) -> None:
    with ServerProcess(args=["--max-token-ttl", "3"]) as server:
        tiledb.client.configure(
            username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, workspace="acme",
            host=server.url,
        )  # fmt: skip
        tiledb.client.login()
        ctx = tiledb.client.Ctx()
        try:
            seen, end = [], time.monotonic() + 15
            while time.monotonic() < end:
                seen += [_read(ctx), _read(), _in_new_thread()]
                time.sleep(0.2)
        finally:
            tiledb.client.logout()
        sent = [r for r in server.requests if r.route.startswith(("/v1/arrays", "/v2/arrays"))]

    assert set(seen) == {"404"}, sorted(set(seen))
    ids = [r.auth.token_id for r in sent if r.auth]
    assert len(ids) == len(sent) and all(r.auth.ok for r in sent if r.auth)
    assert len(set(ids)) >= 4, ids  # renewed: at least four session tokens served the reads
    assert current.peek() is None
    assert "TILEDB_REST_TOKEN" not in os.environ  # logout withdrew the published token


def test_the_published_token_is_not_taken_for_the_users_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "users-own-token")
    tiledb_py.publish("session-token")
    try:
        assert os.environ["TILEDB_REST_TOKEN"] == "session-token"
        assert tiledb_py.is_published("session-token")
        assert not tiledb_py.is_published("users-own-token")
    finally:
        tiledb_py.withdraw()
    assert os.environ["TILEDB_REST_TOKEN"] == "users-own-token"  # put back
