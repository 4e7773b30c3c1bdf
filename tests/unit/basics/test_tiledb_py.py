"""The one private detail of TileDB-Py we rely on: where its default context lives."""

from __future__ import annotations

import contextvars

import pytest

import tiledb
from tiledb.client.basics import tiledb_py


def test_default_ctx_var_is_tiledb_pys_context_variable() -> None:
    holder = tiledb_py.default_ctx_var()
    assert isinstance(holder, contextvars.ContextVar)
    # It is the variable tiledb.default_ctx() fills: a context set there is seen here.
    ctx = tiledb.Ctx({"sm.tile_cache_size": "12345"})
    token = holder.set(ctx)
    try:
        assert tiledb.default_ctx() is ctx
    finally:
        holder.reset(token)


def test_default_ctx_var_fails_loudly_when_tiledb_py_moves_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(tiledb.ctx, "_ctx_var")
    with pytest.raises(RuntimeError, match=r"tiledb\.ctx\._ctx_var"):
        tiledb_py.default_ctx_var()
