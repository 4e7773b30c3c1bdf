"""What TileDB-Py's live contexts see of a session: default contexts, ``TILEDB_REST_TOKEN``.

TileDB-Py is typed ``Any`` (it ships no types). The one private detail of it we rely on,
the ``ContextVar`` of its default context (``tiledb.ctx._ctx_var``), is reached here and
nowhere else. A password session's token is published in ``TILEDB_REST_TOKEN``, where every
live context reads it: every write of ours goes through :func:`publish` and
:func:`withdraw`, under one lock (SECURITY.md, "Renewal under live contexts").
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
from typing import Any

import tiledb as _tiledb

tiledb_py: Any = _tiledb
"""The ``tiledb`` module of TileDB-Py."""

__all__ = [
    "PUBLISHED_VARIABLE",
    "default_ctx_var",
    "install_default_ctx",
    "is_published",
    "publish",
    "retire_session_contexts",
    "set_default_ctx_for_new_threads",
    "tiledb_py",
    "withdraw",
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


PUBLISHED_VARIABLE = "TILEDB_REST_TOKEN"
_publish_lock = threading.Lock()
_published: str | None = None
_before: str | None = None  # the user's own value, put back by withdraw()


def publish(token: str) -> None:
    """Make ``token`` the value of ``TILEDB_REST_TOKEN`` for this process."""
    global _published, _before
    if not token:
        raise ValueError("Refusing to publish an empty token.")
    with _publish_lock:
        if _published is None:
            _before = os.environ.get(PUBLISHED_VARIABLE)
        os.environ[PUBLISHED_VARIABLE] = token
        _published = token


def withdraw() -> None:
    """Remove the token :func:`publish` wrote; put back what was there before, if anything."""
    global _published, _before
    with _publish_lock:
        if _published is None:
            return
        if os.environ.get(PUBLISHED_VARIABLE) == _published:  # not replaced by someone else since
            if _before is None:
                os.environ.pop(PUBLISHED_VARIABLE, None)
            else:
                os.environ[PUBLISHED_VARIABLE] = _before
        _published = _before = None


def is_published(value: str | None) -> bool:
    """Whether ``value`` is the token this process itself wrote into the environment."""
    return value is not None and value == _published
