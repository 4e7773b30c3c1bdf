"""TileDB-Py as this package sees it.

TileDB-Py ships no type information, and for mypy the name ``tiledb`` is our own
``src/tiledb`` namespace. Modules that call TileDB-Py import it from here, typed
as ``Any``, so the rest of the package stays strictly typed.

The one private detail of TileDB-Py we rely on, the ``ContextVar`` holding its
default context, is reached through :func:`default_ctx_var` and nowhere else.
"""

from __future__ import annotations

import contextvars
from typing import Any

import tiledb as _tiledb

tiledb_py: Any = _tiledb
"""The ``tiledb`` module of TileDB-Py."""

__all__ = ["default_ctx_var", "tiledb_py"]


def default_ctx_var() -> contextvars.ContextVar[Any]:
    """Return the ``ContextVar`` in which TileDB-Py keeps its default context.

    TileDB-Py (0.36) stores the context made by ``tiledb.default_ctx()`` in the
    private ``tiledb.ctx._ctx_var``. Replacing its value is the only way to change
    the credentials of the default context without a new process.

    Raises
    ------
    RuntimeError
        When this TileDB-Py keeps its default context elsewhere (a test guards it).
    """
    holder = getattr(getattr(tiledb_py, "ctx", None), "_ctx_var", None)
    if isinstance(holder, contextvars.ContextVar):
        return holder
    version = getattr(tiledb_py, "__version__", "unknown")
    raise RuntimeError(
        f"TileDB-Py {version} does not keep its default context in tiledb.ctx._ctx_var;"
        " tiledb-client-keyring cannot update it. Please report this."
    )
