"""The environment of a child process: the session's credentials as TileDB core reads them.

Programs that do not build their TileDB context through ``tiledb.client`` (a
subprocess, TileDB-R, the TileDB CLI, Spark or Dask workers) read their REST
settings from ``TILEDB_*`` environment variables: TileDB core maps a variable
``TILEDB_<KEY>`` (the config key upper-cased, dots as underscores) onto the config
parameter ``<key>``. :func:`session_environment` gives those variables for a
session; ``tiledb-client exec`` and :func:`tiledb.client.child_env` use it.

What a child gets (checked against TileDB core 2.30 through TileDB-Py 0.36):

========================== =================================================
``TILEDB_REST_TOKEN``      the API token, or the session token a password
                           login made; never the password
``TILEDB_REST_SERVER_ADDRESS``  the host
``TILEDB_REST_WORKSPACE``  the workspace, when the session has one
``TILEDB_SSL_VERIFY``      ``true`` or ``false``
``TILEDB_SSL_CA_FILE``     the CA bundle, when the session has one
``TILEDB_REST_USERNAME``,  empty: core then takes no password from a
``TILEDB_REST_PASSWORD``   profile, and an inherited password is blanked
``TILEDB_CLIENT_PASSPHRASE``,  empty: the vault's passphrase (or its file) never
``..._PASSPHRASE_FILE``    reaches a child
``TILEDB_PROFILE_NAME``,   the session's profile (core loads its host,
``TILEDB_PROFILE_DIR``     workspace and TLS options, never a secret: the
                           variables above win over a profile); empty when
                           the session has no profile, so core loads none
========================== =================================================

Nothing here writes ``os.environ``: the caller gets a new mapping.
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

__all__ = ["PreparedChild", "child_env", "core_variable", "prepare_child", "session_environment"]

_SECRET_VARIABLES = (
    "TILEDB_REST_PASSWORD",
    "TILEDB_CLIENT_PASSPHRASE",  # it opens the vault: every stored secret, passwords too
    "TILEDB_CLIENT_PASSPHRASE_FILE",
)
"""Inherited variables a child must not see: blanked whatever the parent holds."""


def core_variable(key: str) -> str:
    """Return the environment variable TileDB core reads for a config ``key``.

    Examples
    --------
    >>> core_variable("rest.server_address"), core_variable("ssl.ca_file")
    ('TILEDB_REST_SERVER_ADDRESS', 'TILEDB_SSL_CA_FILE')
    >>> core_variable("profile_name")
    'TILEDB_PROFILE_NAME'
    """
    return "TILEDB_" + key.upper().replace(".", "_")


def session_environment(session: Session) -> dict[str, str]:
    """Return the ``TILEDB_*`` variables that carry ``session`` to TileDB core.

    These are the session's config parameters
    (:func:`~tiledb.client.session.tiledb_config.tiledb_params`) as environment
    variables, plus ``TILEDB_SSL_VERIFY`` always, so that a child never loses
    the session's TLS choice to an inherited variable or a profile.

    Returns
    -------
    dict
        e.g. ``{"TILEDB_REST_TOKEN": "...", "TILEDB_REST_SERVER_ADDRESS":
        "https://api.tiledb.com", "TILEDB_REST_WORKSPACE": "acme",
        "TILEDB_SSL_VERIFY": "true", ...}``.
    """
    params = dict(tiledb_params(session))
    params["rest.token"] = session.token  # a password session's is only published in-process
    params.setdefault("ssl.verify", "true" if session.verify_ssl else "false")
    environment = {core_variable(key): value for key, value in params.items()}
    for name in _SECRET_VARIABLES:
        environment[name] = ""
    return environment


def child_env(
    session: Session | None = None,
    *,
    profile_name: str | None = None,
    profile_dir: str | None = None,
    factory: RestFactory,
    base: Mapping[str, str] | None = None,
    ttl: timedelta | None = None,
    scope: str = "*",
    job: str = "child",
) -> dict[str, str]:
    """Return a complete environment for a child process: ``base`` plus the session.

    Parameters
    ----------
    session : Session, optional
        The session to pass on. Without it, one is established from
        ``profile_name``/``profile_dir`` exactly as ``login()`` does (a password
        becomes a session token, reused from its cache), without making it current.
    profile_name, profile_dir : str, optional
        The profile, when no ``session`` is given.
    factory : RestFactory
        Makes the REST client that exchanges a password for a session token.
    base : mapping, optional
        The environment to extend; default a copy of ``os.environ`` (which is
        never changed).
    ttl, scope, job : optional
        With ``ttl``, the child gets a job token of its own instead of the session's:
        named after ``job``, narrowed to ``scope``, expiring after ``ttl``
        (:mod:`tiledb.client.operations.job_tokens`).

    Returns
    -------
    dict
        ``base`` with the variables of :func:`session_environment` set.

    Raises
    ------
    LoginError
        When the profile or its secret cannot be loaded, or the server refuses
        the credentials.
    ClientError
        When the server cannot be reached.
    """
    return prepare_child(
        session, profile_name=profile_name, profile_dir=profile_dir, factory=factory,
        base=base, ttl=ttl, scope=scope, job=job,
    ).environment  # fmt: skip


class PreparedChild(NamedTuple):
    """A child's environment, its job token (``ttl`` given) and what revokes that token."""

    environment: dict[str, str]
    job_token: APIToken | None
    finish: Callable[[], str | None]  # revokes; returns why it could not, or None


def prepare_child(
    session: Session | None,
    *,
    profile_name: str | None,
    profile_dir: str | None,
    factory: RestFactory,
    base: Mapping[str, str] | None = None,
    ttl: timedelta | None = None,
    scope: str = "*",
    job: str = "child",
) -> PreparedChild:
    """:func:`child_env`, with the job token and what to call when the child has ended."""
    if session is None:
        session = login_session(profile_name, profile_dir, factory)
    environment = dict(os.environ if base is None else base)
    environment.update(session_environment(session))
    if ttl is None:
        return PreparedChild(environment, None, lambda: None)
    from tiledb.client.operations.job_tokens import mint_job_token, revoke_job_token

    rest = factory.new_rest(
        session.host, token=session.token, verify_ssl=session.verify_ssl, ca_file=session.ca_file
    )
    token = mint_job_token(rest, job=job, ttl=ttl, scope=scope, workspace_id=session.workspace_id)
    environment["TILEDB_REST_TOKEN"] = token.api_key
    return PreparedChild(environment, token, lambda: revoke_job_token(rest, token))
