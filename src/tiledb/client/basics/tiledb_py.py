"""TileDB-Py as this package sees it: typed ``Any`` (it ships no types), default contexts.

The one private detail of TileDB-Py we rely on, the ``ContextVar`` of its default
context (``tiledb.ctx._ctx_var``), is reached here and nowhere else.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

import tiledb as _tiledb

tiledb_py: Any = _tiledb
"""The ``tiledb`` module of TileDB-Py."""

__all__ = [
    "default_ctx_var",
    "install_default_ctx",
    "retire_session_contexts",
    "set_default_ctx_for_new_threads",
    "tiledb_py",
]

_install_lock = threading.Lock()
_MISSING = object()


class _DefaultForNewThreads:
    """Stands in for TileDB-Py's ``_ctx_var``: a thread's own value, else a process-wide one.

    ``get()``, ``set()`` and ``reset()`` (all TileDB-Py 0.36 calls) go to the original
    ``ContextVar``; only a ``get()`` that would raise ``LookupError`` answers the process-wide
    context, made on first use when given as a function.
    """

    def __init__(self, var: contextvars.ContextVar[Any]) -> None:
        self.var = var
        self._fallback: Any = None
        self._make: Callable[[], Any] | None = None
        self._lock = threading.Lock()
        self._installed: list[Any] = []  # contexts a session put into some thread
        self._retired: dict[int, Any] = {}  # ... of sessions since replaced or logged out

    def replace_fallback(self, ctx: Any, make: Callable[[], Any] | None) -> None:
        with self._lock:
            self._fallback, self._make = ctx, make

    def _current_fallback(self) -> Any:
        with self._lock:
            if self._fallback is None and self._make is not None:
                self._fallback, self._make = self._make(), None
            return self._fallback

    def install(self, ctx: Any) -> None:
        """Make ``ctx`` this thread's default, remembered as a session's."""
        self.var.set(ctx)
        with self._lock:
            self._installed.append(ctx)

    def retire(self) -> None:
        """Stop a session's contexts being the default of any thread, whichever set them."""
        with self._lock:
            self._retired.update((id(ctx), ctx) for ctx in self._installed)
            self._installed.clear()

    def get(self, *default: Any) -> Any:
        try:
            value = self.var.get()
        except LookupError:
            value = _MISSING
        if value is not _MISSING and self._retired.get(id(value)) is not value:
            return value
        fallback = self._current_fallback()
        if fallback is not None:
            return fallback
        if default:
            return default[0]
        raise LookupError(self.var)

    def set(self, value: Any) -> contextvars.Token[Any]:
        return self.var.set(value)

    def reset(self, token: contextvars.Token[Any]) -> None:
        self.var.reset(token)


def _holder() -> Any:
    return getattr(getattr(tiledb_py, "ctx", None), "_ctx_var", None)


def _unsupported() -> RuntimeError:
    version = getattr(tiledb_py, "__version__", "unknown")
    return RuntimeError(
        f"TileDB-Py {version} does not keep its default context in tiledb.ctx._ctx_var;"
        " tiledb-client-keyring cannot update it. Please report this."
    )


def default_ctx_var() -> contextvars.ContextVar[Any]:
    """Return the ``ContextVar`` of TileDB-Py's default context; RuntimeError if it has none."""
    holder = _holder()
    if isinstance(holder, _DefaultForNewThreads):
        return holder.var
    if isinstance(holder, contextvars.ContextVar):
        return holder
    raise _unsupported()


def set_default_ctx_for_new_threads(
    ctx: Any = None, *, make: Callable[[], Any] | None = None
) -> None:
    """Make ``ctx`` (or what ``make`` makes, once) the default context of threads without one.

    A thread started after ``login()`` would otherwise build one without the session's
    credentials; threads that set their own default context keep it.
    """
    if ctx is None and make is None and not isinstance(_holder(), _DefaultForNewThreads):
        return
    _stand_in().replace_fallback(ctx, make)


def _stand_in() -> _DefaultForNewThreads:
    with _install_lock:
        holder = _holder()
        if not isinstance(holder, _DefaultForNewThreads):
            holder = _DefaultForNewThreads(default_ctx_var())
            tiledb_py.ctx._ctx_var = holder
        return holder


def install_default_ctx(ctx: Any) -> None:
    """Make ``ctx`` the calling thread's default context, as a session's."""
    _stand_in().install(ctx)


def retire_session_contexts() -> None:
    """Stop every context a session installed being any thread's default (logout, new login)."""
    holder = _holder()
    if isinstance(holder, _DefaultForNewThreads):
        holder.retire()
