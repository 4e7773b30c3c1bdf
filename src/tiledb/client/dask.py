"""Dask workers with a job token of their own: :class:`TileDBSession`, a worker plugin.

How it mints, renews and revokes the token is in docs/how-to/dask.md; no worker ever
holds the password or the profile's own token.
"""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin

if TYPE_CHECKING:
    from distributed import Client

    from tiledb.client.operations.child_env import PreparedChild

__all__ = ["TileDBSession"]

_SESSION_VARIABLES = (
    "TILEDB_REST_TOKEN",
    "TILEDB_REST_SERVER_ADDRESS",
    "TILEDB_REST_WORKSPACE",
    "TILEDB_SSL_VERIFY",
    "TILEDB_SSL_CA_FILE",
    "TILEDB_REST_USERNAME",
    "TILEDB_REST_PASSWORD",
)
_environ_lock = threading.Lock()  # setenv is not thread-safe: one writer at a time
_POLL = 0.5  # seconds between looks at whether the client has closed


class TileDBSession(WorkerPlugin):  # type: ignore[misc]  # distributed is untyped
    """Give every worker of ``client`` a job token; renew it; revoke it at the end.

    Parameters
    ----------
    ttl : timedelta or str, optional
        Lifetime asked for each job token, e.g. ``"1h"`` (default); renewed at about 80 %
        of what the server grants.
    scope : str, optional
        The job token's scope, e.g. ``"array:read"``; default ``"*"``.
    profile_name, profile_dir : str, optional
        Log in with this profile; by default the current session.
    """

    name = "tiledb-client-session"

    def __init__(
        self,
        client: Client,
        *,
        ttl: timedelta | str = "1h",
        scope: str = "*",
        profile_name: str | None = None,
        profile_dir: str | None = None,
    ) -> None:
        from tiledb.client.basics.inputs import parse_duration

        self._client = client
        self._ttl = parse_duration(ttl, what="ttl") if isinstance(ttl, str) else ttl
        self._scope, self._profile = scope, (profile_name, profile_dir)
        self._stop, self._closed = threading.Event(), False
        self._current = self._mint()
        self.environment = self._worker_environment(self._current)
        client.register_plugin(self)
        self._renewer = threading.Thread(target=self._renew_loop, name=self.name, daemon=True)
        self._renewer.start()

    # -- on the workers: only ``environment`` travels ----------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"environment": self.environment}

    def setup(self, worker: Any) -> None:
        """Put the session in the worker's environment."""
        with _environ_lock:
            os.environ.update(self.environment)

    def teardown(self, worker: Any) -> None:
        """Take it out again (the plugin was removed, or the worker closes)."""
        with _environ_lock:
            for name in _SESSION_VARIABLES:
                if os.environ.get(name) == self.environment.get(name):
                    os.environ.pop(name, None)

    # -- on the client -----------------------------------------------------------------
    def _mint(self) -> PreparedChild:
        from tiledb.client.client import _current, client
        from tiledb.client.operations.child_env import prepare_child

        name, directory = self._profile
        session = _current() if name is None and directory is None else None
        return prepare_child(
            session, profile_name=name, profile_dir=directory, factory=client,
            base={}, ttl=self._ttl, scope=self._scope, job="dask",
        )  # fmt: skip

    @staticmethod
    def _worker_environment(prepared: PreparedChild) -> dict[str, str]:
        # A worker elsewhere has no profile: name none, so core loads none.
        env = {k: v for k, v in prepared.environment.items() if k in _SESSION_VARIABLES}
        return {**env, "TILEDB_PROFILE_NAME": "", "TILEDB_PROFILE_DIR": ""}

    def _renew_at(self) -> datetime:
        token = self._current.job_token
        now = datetime.now(timezone.utc)
        expires = token.expires_at if token and token.expires_at else now + self._ttl
        created = token.created_at if token and token.created_at else now
        return created + (expires - created) * 0.8

    def _renew_loop(self) -> None:
        while not self._stop.is_set():
            if self._client.status in ("closing", "closed"):
                self.close()
                return
            if datetime.now(timezone.utc) < self._renew_at():
                self._stop.wait(_POLL)
                continue
            previous = self._current
            try:
                self._current = self._mint()
                self.environment = self._worker_environment(self._current)
                self._client.register_plugin(self)  # replaces the plugin on every worker
            except Exception:  # retried at the next poll; the old token still lives
                self._stop.wait(_POLL)
                continue
            previous.finish()

    def close(self) -> None:
        """Stop renewing, remove the plugin from the workers and revoke the job token."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if threading.current_thread() is not self._renewer:
            self._renewer.join()
        if self._client.status not in ("closing", "closed"):
            with contextlib.suppress(Exception):  # the cluster may be gone; the revoke matters
                self._client.unregister_worker_plugin(self.name)
        self._current.finish()

    def __enter__(self) -> TileDBSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
