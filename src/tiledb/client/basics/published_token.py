"""The session token in ``TILEDB_REST_TOKEN``, where every live context of TileDB core reads it.

Every write of ours goes through :func:`publish` and :func:`withdraw`, under one lock
(SECURITY.md, "Renewal under live contexts").
"""

from __future__ import annotations

import os
import threading

__all__ = ["VARIABLE", "is_published", "publish", "withdraw"]

VARIABLE = "TILEDB_REST_TOKEN"

_lock = threading.Lock()
_published: str | None = None
_before: str | None = None  # the user's own value, put back by withdraw()


def publish(token: str) -> None:
    """Make ``token`` the value of ``TILEDB_REST_TOKEN`` for this process."""
    global _published, _before
    if not token:
        raise ValueError("Refusing to publish an empty token.")
    with _lock:
        if _published is None:
            _before = os.environ.get(VARIABLE)
        os.environ[VARIABLE] = token
        _published = token


def withdraw() -> None:
    """Remove the token :func:`publish` wrote; put back what was there before, if anything."""
    global _published, _before
    with _lock:
        if _published is None:
            return
        if os.environ.get(VARIABLE) == _published:  # not replaced by someone else since
            if _before is None:
                os.environ.pop(VARIABLE, None)
            else:
                os.environ[VARIABLE] = _before
        _published = _before = None


def is_published(value: str | None) -> bool:
    """Whether ``value`` is the token this process itself wrote into the environment."""
    return value is not None and value == _published
