"""TileDB core configuration built from a session: ``Config``, ``Ctx``, default context.

The session's credentials reach TileDB core as config parameters:
``rest.server_address``, ``rest.token`` (never a password), ``rest.workspace`` and
the TLS options ``ssl.verify`` / ``ssl.ca_file``. :func:`update_default_ctx`
swaps them into TileDB-Py's default context so that a plain
``tiledb.open("tiledb://...")`` is authenticated after ``login()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tiledb.client.basics.logs import get_logger
from tiledb.client.basics.tiledb_py import (
    default_ctx_var,
    install_default_ctx,
    retire_session_contexts,
    set_default_ctx_for_new_threads,
)
from tiledb.client.basics.tiledb_py import tiledb_py as tiledb

if TYPE_CHECKING:
    from tiledb.client.session.session import Session

__all__ = [
    "RESTRICTED_KEYS",
    "SESSION_KEYS",
    "build_config",
    "tiledb_params",
    "update_default_ctx",
]

logger = get_logger(__name__)

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
    """Put the session ``params`` into TileDB-Py's default context, for every thread.

    Parameters kept from the previous default context are all but
    :data:`SESSION_KEYS`. With no default context yet in this thread, the
    session's is made when first used. Empty ``params`` remove the session's
    credentials.

    Notes
    -----
    TileDB-Py keeps its default context in a ``contextvars.ContextVar``: the new
    context is set in this thread (and in code run from it with
    ``contextvars.copy_context()``), and becomes the default of threads that have
    none of their own, such as threads started later
    (:func:`~tiledb.client.basics.tiledb_py.set_default_ctx_for_new_threads`).
    Nothing is written to a file; a password session's token is published in
    ``TILEDB_REST_TOKEN`` by :mod:`tiledb.client.session.current`, not here.
    """
    holder = default_ctx_var()
    try:
        previous = holder.get()
    except LookupError:
        previous = None
    retire_session_contexts()  # in every thread, not only this one
    if previous is None:
        # Nothing of this thread's own to keep: this thread, like every thread without a
        # default context of its own, gets the session's, made when first used (a
        # script that only calls tiledb.client.Ctx() never pays for a second context).
        if not params:
            set_default_ctx_for_new_threads(None)
            return
        session_params = dict(params)
        set_default_ctx_for_new_threads(make=lambda: tiledb.Ctx(build_config(session_params, None)))
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
    ctx = tiledb.Ctx(config)
    install_default_ctx(ctx)
    set_default_ctx_for_new_threads(ctx if params else None)


def tiledb_params(session: Session) -> dict[str, str]:
    """The TileDB core config parameters that carry a session's credentials.

    TileDB core loads a profile into every config: the one named by
    ``TILEDB_PROFILE_NAME``/``TILEDB_PROFILE_DIR``, and it refuses to make a context
    when that profile does not exist. So the session names its own profile
    (``profile_name``/``profile_dir``), or none at all (both empty) when it has no
    profile. ``rest.username`` and ``rest.password`` are set empty on purpose: the
    token is the credential, and core must not take a password from a profile.

    A session token made from a password is left out: TileDB core then reads
    ``TILEDB_REST_TOKEN``, where the session publishes it, on every request, so a
    renewed token reaches every context already made.
    """
    settings = session.settings
    has_profile = settings.profile is not None
    params = {
        "profile_name": settings.profile_name if has_profile else "",
        "profile_dir": os.path.dirname(settings.profile_path) if has_profile else "",  # noqa: PTH120
        "rest.server_address": session.host,
        "rest.username": "",
        "rest.password": "",
    }
    if not session.session_token_id:  # a session token is read from TILEDB_REST_TOKEN
        params["rest.token"] = session.token
    if session.workspace:
        params["rest.workspace"] = session.workspace
    if not session.verify_ssl:
        params["ssl.verify"] = "false"
    if session.ca_file:
        params["ssl.ca_file"] = session.ca_file
    return params
