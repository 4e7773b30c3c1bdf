"""TileDB core configuration built from a session: ``Config``, ``Ctx``, default context.

The session's credentials reach TileDB core as config parameters:
``rest.server_address``, ``rest.token`` (never a password), ``rest.workspace`` and
the TLS options ``ssl.verify`` / ``ssl.ca_file``. :func:`update_default_ctx`
swaps them into TileDB-Py's default context so that a plain
``tiledb.open("tiledb://...")`` is authenticated after ``login()``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tiledb.client._tiledb_py import tiledb_py as tiledb

__all__ = ["RESTRICTED_KEYS", "SESSION_KEYS", "build_config", "update_default_ctx"]

logger = logging.getLogger(__name__)

RESTRICTED_KEYS = ("rest.server_address", "rest.username", "rest.password")
"""Keys a caller may not pass to ``Config``: the session decides them."""

SESSION_KEYS = (
    "profile_name",
    "profile_dir",
    "rest.server_address",
    "rest.token",
    "rest.username",
    "rest.password",
    "rest.workspace",
    "ssl.verify",
    "ssl.ca_file",
)
"""Every key a session sets; replaced as a whole when the session changes."""


def build_config(params: Mapping[str, str], cfg_dict: Mapping[str, Any] | None) -> Any:
    """Return a ``tiledb.Config`` of ``cfg_dict`` with the session ``params`` set.

    Raises
    ------
    ValueError
        When ``cfg_dict`` holds one of :data:`RESTRICTED_KEYS`.
    """
    user = dict(cfg_dict or {})
    for key in RESTRICTED_KEYS:
        if key in user:
            raise ValueError(f"Unexpected config parameter '{key}' to tiledb.client.Config")
    config = tiledb.Config(user)
    for key, value in params.items():
        # The caller's own TLS choices win over the profile's.
        if key.startswith("ssl.") and key in user:
            continue
        config[key] = value
    return config


def update_default_ctx(params: Mapping[str, str]) -> None:
    """Put the session ``params`` into TileDB-Py's default context.

    Parameters kept from the previous default context are all but
    :data:`SESSION_KEYS`. With no default context yet, one is created with the
    session's parameters. Empty ``params`` remove the session's credentials.

    Notes
    -----
    TileDB-Py keeps its default context in a ``contextvars.ContextVar``: the new
    context applies to this thread and to code run from it with
    ``contextvars.copy_context()``. Threads started elsewhere build their own
    default context from TileDB core's profile; pass ``ctx=tiledb.client.Ctx()``
    there.
    """
    holder = getattr(tiledb.ctx, "_ctx_var", None)
    try:
        previous = holder.get() if holder is not None else None
    except LookupError:
        previous = None
    if previous is None:
        if not params:
            return
        tiledb.default_ctx(build_config(params, None))
        return
    config = previous.config()
    for key in SESSION_KEYS:
        if key not in params:
            try:
                del config[key]
            except (KeyError, tiledb.TileDBError):
                logger.debug("default context had no %s to remove", key)
    for key, value in params.items():
        config[key] = value
    if holder is None:  # pragma: no cover - guards a future TileDB-Py layout change
        logger.warning("cannot update TileDB-Py's default context: unknown TileDB-Py layout")
        return
    holder.set(tiledb.Ctx(config))
