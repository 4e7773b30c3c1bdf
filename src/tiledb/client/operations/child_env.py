"""The environment of a child process: the session's credentials as TileDB core reads them.

TileDB core reads ``TILEDB_<KEY>`` as its config parameter ``<key>``, so a child that
does not use ``tiledb.client`` gets the session from these variables; what each holds is
in docs/how-to/child-processes.md. Nothing here writes ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from tiledb.client.session.login import login_session
from tiledb.client.session.session import Session
from tiledb.client.session.tiledb_config import tiledb_params
from tiledb.client.transport.rest import RestFactory

if TYPE_CHECKING:
    from datetime import timedelta

    from tiledb.client.basics.api_token import APIToken

__all__ = ["PreparedChild", "prepare_child"]

_SECRET_VARIABLES = (
    "TILEDB_REST_PASSWORD",
    "TILEDB_CLIENT_PASSPHRASE",  # it opens the vault: every stored secret, passwords too
    "TILEDB_CLIENT_PASSPHRASE_FILE",
)
"""Inherited variables a child must not see: blanked whatever the parent holds."""


class PreparedChild(NamedTuple):
    """A child's environment, its job token (``ttl`` given) and what revokes that token."""

    environment: dict[str, str]
    job_token: APIToken | None
    finish: Callable[[], str | None]  # revokes; returns why it could not, or None


def prepare_child(
    session: Session | None,
    *,
    profile_name: str | None = None,
    profile_dir: str | None = None,
    factory: RestFactory,
    base: Mapping[str, str] | None = None,
    ttl: timedelta | None = None,
    scope: str = "*",
    job: str = "child",
) -> PreparedChild:
    """A child's complete environment: ``base`` (default ``os.environ``) plus the session.

    Without ``session`` one is established from the profile as ``login()`` does, not made
    current. With ``ttl`` the child gets a job token of its own, named after ``job`` and
    narrowed to ``scope``; ``finish`` revokes it once the child has ended. Raises LoginError
    or ClientError as ``login()`` does.
    """
    if session is None:
        session = login_session(profile_name, profile_dir, factory)
    params = dict(tiledb_params(session))
    params["rest.token"] = session.token  # a password session's is only published in-process
    # always TILEDB_SSL_VERIFY: no inherited variable or profile overrides the session's choice
    params.setdefault("ssl.verify", "true" if session.tls.verify else "false")
    environment = dict(os.environ if base is None else base)
    environment.update({"TILEDB_" + k.upper().replace(".", "_"): v for k, v in params.items()})
    environment.update(dict.fromkeys(_SECRET_VARIABLES, ""))
    if ttl is None:
        return PreparedChild(environment, None, lambda: None)
    from tiledb.client.operations.server_tokens import mint_job_token, revoke_token

    rest = session.rest(factory)
    token = mint_job_token(rest, job=job, ttl=ttl, scope=scope, workspace_id=session.workspace_id)
    environment["TILEDB_REST_TOKEN"] = token.api_key
    return PreparedChild(environment, token, lambda: revoke_token(rest, token))
