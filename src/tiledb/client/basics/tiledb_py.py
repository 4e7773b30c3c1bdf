"""TileDB-Py as this package sees it.

TileDB-Py ships no type information, and for mypy the name ``tiledb`` is our own
``src/tiledb`` namespace. Modules that call TileDB-Py import it from here, typed
as ``Any``, so the rest of the package stays strictly typed.

The one private detail of TileDB-Py we rely on, the ``ContextVar`` holding its
default context (``tiledb.ctx._ctx_var``), is reached here and nowhere else:
:func:`default_ctx_var` returns it, and :func:`set_default_ctx_for_new_threads`
puts a stand-in in its place that answers for threads which have no default
context of their own.
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

    TileDB-Py (0.36) calls only ``get()``, ``set()`` and ``reset()`` on its
    ``_ctx_var``, looked up as a module global at each call; all three go to the
    original ``ContextVar``, so values and tokens set before or after the stand-in
    came keep working. Only a ``get()`` that would raise ``LookupError`` (a
    thread or ``contextvars`` context that never set a default context) answers
    the process-wide context instead, when there is one. That context may be given
    as a function that makes it: it is then made once, on the first such ``get()``
    (a session that never uses TileDB-Py's default context never pays for it).
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
        """A session's contexts stop being the default of any thread, whichever set them."""
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
    """Return the ``ContextVar`` in which TileDB-Py keeps its default context.

    TileDB-Py (0.36) stores the context made by ``tiledb.default_ctx()`` in the
    private ``tiledb.ctx._ctx_var``. Replacing its value is the only way to change
    the credentials of the default context without a new process.

    Raises
    ------
    RuntimeError
        When this TileDB-Py keeps its default context elsewhere (a test guards it).
    """
    holder = _holder()
    if isinstance(holder, _DefaultForNewThreads):
        return holder.var
    if isinstance(holder, contextvars.ContextVar):
        return holder
    raise _unsupported()


def set_default_ctx_for_new_threads(
    ctx: Any = None, *, make: Callable[[], Any] | None = None
) -> None:
    """Make ``ctx`` the default context of every thread that has none of its own.

    A thread started after ``login()`` begins with an empty ``contextvars``
    context, where TileDB-Py would build a default context from TileDB core's
    profile and environment, without the session's credentials. With this, its
    ``tiledb.default_ctx()`` (so a plain ``tiledb.open()``) is ``ctx`` instead.
    Threads that set their own default context (``tiledb.default_ctx(config)``,
    ``tiledb.scope_ctx()``, or a TileDB call made before ``login()``) keep it.
    Neither ``ctx`` nor ``make`` removes the process-wide default.

    Parameters
    ----------
    ctx : tiledb.Ctx, optional
        The context.
    make : callable, optional
        Instead of ``ctx``: makes the context, once, when a thread first needs it.

    Raises
    ------
    RuntimeError
        When this TileDB-Py keeps its default context elsewhere.
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
    """Make ``ctx`` the calling thread's default context, as a session's (see below)."""
    _stand_in().install(ctx)


def retire_session_contexts() -> None:
    """Stop every context a session installed from being any thread's default.

    ``logout()`` or a new login in one thread must not leave the old credentials in
    the default context of another: a thread whose own default is such a context gets
    the current session's instead, or a fresh one from TileDB-Py.
    """
    holder = _holder()
    if isinstance(holder, _DefaultForNewThreads):
        holder.retire()
