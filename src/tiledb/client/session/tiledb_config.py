"""TileDB core configuration built from a session: ``Config``, ``Ctx``, default context.

The credentials reach core as ``rest.*`` and ``ssl.*`` parameters, never a password;
after ``login()`` a plain ``tiledb.open("tiledb://...")`` is authenticated.
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
    """Return ``cfg_dict`` as a ``tiledb.Config`` with the session ``params`` set."""
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

    All but :data:`SESSION_KEYS` of the previous default context are kept; empty ``params``
    remove the session's credentials. The context is this thread's, and the default of
    threads without one of their own (those started later included).
    """
    holder = default_ctx_var()
    try:
        previous = holder.get()
    except LookupError:
        previous = None
    retire_session_contexts()  # in every thread, not only this one
    if previous is None:
        # Nothing of this thread's own to keep: the session's is made when first used (a
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

    Core loads a profile into every config and refuses a context when it is missing, so the
    session names its own profile or none (both empty). ``rest.username`` and
    ``rest.password`` are empty so that core takes no password from a profile. A password's
    session token is left out: core reads ``TILEDB_REST_TOKEN``, where renewals land.
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
    if not session.tls.verify:
        params["ssl.verify"] = "false"
    if session.tls.ca_file:
        params["ssl.ca_file"] = session.tls.ca_file
    return params
