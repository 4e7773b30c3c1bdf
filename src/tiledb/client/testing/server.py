"""HTTP mechanics of the local server: sockets, TLS, threads, recording and the log."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from .app import API_KEY_HEADER, Response, handle
from .faults import Fault, FaultQueue
from .handler import HOST, HTTPServer
from .records import Headers, RecordedRequest
from .seed import Role, Seed, SeedToken, SeedUser, SeedWorkspace, format_time, new_api_key
from .state import ServerState, TokenInfo
from .tls import TlsFiles, generate_tls_files, server_context

__all__ = ["HOST", "LocalServer"]


class LocalServer:
    """A loopback TileDB REST v4 server for tests and offline use.

    Parameters
    ----------
    seed
        Users, workspaces and tokens; default :meth:`Seed.default`.
    tls
        Serve HTTPS with a freshly generated CA (see :attr:`ca_file`).
    port
        Port on 127.0.0.1; 0 picks a free one.
    state_dir
        Directory for the TLS files; default a temporary directory removed by :meth:`stop`.
    ca_file
        Where to write the CA certificate (TLS only); default ``state_dir/ca.pem``.
    token_ttl
        Lifetime of tokens created through ``POST /v4/tokens``.
    max_token_ttl
        The longest lifetime a created token gets (``None``: no limit).
    delay
        Seconds to wait before every response (also settable later as :attr:`delay`).
    log
        Where the one-line-per-request log goes (secrets masked): a text stream, or a
        callable taking each line; ``None`` for silence.
    record_file
        Append every request as one JSON line (secrets masked, bodies left out).

    Notes
    -----
    TileDB-Py calls that hold the GIL while core does HTTP (``tiledb.ArraySchema.load``
    in 0.36) deadlock against a server thread of the same process: use
    :class:`~tiledb.client.testing.process.ServerProcess` for those.
    """

    def __init__(
        self,
        seed: Seed | None = None,
        *,
        tls: bool = False,
        port: int = 0,
        state_dir: str | os.PathLike[str] | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        token_ttl: timedelta = timedelta(days=30),
        max_token_ttl: timedelta | None = None,
        delay: float = 0.0,
        log: TextIO | Callable[[str], object] | None = None,
        record_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.state = ServerState(
            seed if seed is not None else Seed.default(),
            token_ttl=token_ttl,
            max_token_ttl=max_token_ttl,
        )
        self.tls = tls
        self.delay = delay
        self._port, self._state_dir, self._ca_path = port, state_dir, ca_file
        self._log_stream = log
        self._record_path = Path(record_file) if record_file is not None else None
        self._record_stream: TextIO | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self.faults = FaultQueue()
        self._stopped = threading.Event()
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: Path | None = None
        self._stopping = False
        self.tls_files: TlsFiles | None = None

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> LocalServer:
        """Bind, and serve in a background thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        context = None
        try:
            if self.tls:
                folder = self._state_dir
                if folder is None:
                    self._tmpdir = Path(tempfile.mkdtemp(prefix="tiledb-client-testing-"))
                    folder = self._tmpdir
                self.tls_files = generate_tls_files(folder, ca_file=self._ca_path)
                context = server_context(self.tls_files)
            self._stopping = False
            self._stopped.clear()
            self._httpd = HTTPServer(self, self._port, context)
        except BaseException:
            self._cleanup()
            raise
        if self._record_path is not None:
            fd = os.open(self._record_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._record_stream = os.fdopen(fd, "a", encoding="utf-8")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"tiledb-client-testing:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections, and remove temporary files."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping = True
        self._stopped.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._cleanup()

    def _cleanup(self) -> None:
        with self._lock:
            if self._record_stream is not None:
                self._record_stream.close()
                self._record_stream = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8181`` (``https://`` with TLS)."""
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) clients must trust; TLS only."""
        if self.tls_files is None:
            raise RuntimeError("no CA file: the server is not running with tls=True")
        return self.tls_files.ca_file

    # -- requests ------------------------------------------------------------------------
    def log(self, line: str) -> None:
        """Write ``line`` to the request log, if any (callers must not pass secrets)."""
        sink = self._log_stream
        if sink is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if callable(sink):
                sink(line)
            else:
                sink.write(f"[tiledb.client.testing] {line}\n")
                sink.flush()

    def _answer(
        self, method: str, target: str, headers: Headers, body: bytes
    ) -> tuple[Response, Any]:
        fault = self.faults.next(target)
        if fault is None:
            return handle(self.state, method, target, headers, body)
        auth = self.state.authenticate(headers.get(API_KEY_HEADER), headers.get("Authorization"))
        return fault.response(), auth

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)
            if self._record_stream is not None:
                self._record_stream.write(json.dumps(record.to_json()) + "\n")
                self._record_stream.flush()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # -- injected faults (see .faults) -------------------------------------------------
    def fail_next(self, status: int = 503, count: int = 1, message: str = "injected") -> None:
        """Answer the next ``count`` requests with ``status`` (e.g. to test retries)."""
        self.faults.add(Fault(status, f"{message} (HTTP {status})"), count)

    def answer_next(
        self, body: bytes, status: int = 200, count: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next ``count`` requests with a raw ``body`` (e.g. ``b"{not json"``)."""
        self.faults.add(Fault(status, body=body, headers=dict(headers or {})), count)

    def redirect_next(self, location: str, status: int = 302, count: int = 1) -> None:
        """Answer the next ``count`` requests with a redirect to ``location``."""
        self.faults.add(Fault(status, headers={"Location": location}, body=b""), count)

    def silence_next(self, count: int = 1) -> None:
        """Accept the next ``count`` requests and never answer them (until :meth:`stop`)."""
        self.faults.add(Fault(silent=True), count)

    def redirect_all(self, base_url: str | None) -> None:
        """Redirect every request (307) to the same path under ``base_url``; ``None`` stops."""
        self.faults.redirect_base = base_url.rstrip("/") if base_url else None

    def wait_until_stopped(self) -> None:
        """Block until :meth:`stop` (what a silent answer does)."""
        self._stopped.wait()

    # -- data ----------------------------------------------------------------------------
    @property
    def tokens(self) -> list[TokenInfo]:
        """Every token the server knows, with ``revoked`` / ``expired`` / ``active``."""
        return self.state.tokens()

    @property
    def seed(self) -> Seed:
        """The current data as a :class:`Seed` (revoked tokens left out)."""
        return self.state.to_seed()

    def add_user(
        self,
        username: str,
        password: str | None = None,
        *,
        role: Role = "member",
        workspaces: dict[str, Role] | None = None,
        **fields: Any,
    ) -> SeedUser:
        """Add a user, optionally as a member of existing workspaces (name or id → role)."""
        user = self.state.add_user(SeedUser(username, password, role=role, **fields))
        for workspace, ws_role in (workspaces or {}).items():
            self.state.add_member(workspace, username, ws_role)
        return user

    def add_workspace(
        self,
        name: str,
        *,
        members: dict[str, Role] | None = None,
        description: str = "",
        **fields: Any,
    ) -> SeedWorkspace:
        """Add a workspace with ``members`` (username → role; the first owner creates it)."""
        ws = SeedWorkspace(name, description=description, members=dict(members or {}), **fields)
        return self.state.add_workspace(ws)

    def add_token(
        self,
        username: str,
        workspace: str | None = None,
        *,
        api_key: str | None = None,
        expires_at: datetime | str | None = None,
        scope: str = "*",
        name: str = "api-token",
    ) -> TokenInfo:
        """Add an API token for ``username`` in ``workspace`` (name or id).

        Without ``api_key`` a fresh one of the form ``<random>-ws_<id>-<random>`` is made;
        a ``datetime`` in the past for ``expires_at`` gives an expired token.
        """
        ws_id = None
        if workspace is not None:
            found = [w.id for w in self.seed.workspaces if workspace in (w.id, w.name)]
            if not found:
                raise ValueError(f"unknown workspace {workspace!r}")
            ws_id = found[0]
        if isinstance(expires_at, datetime):
            expires_at = format_time(expires_at)
        if api_key is None:
            if ws_id is None:
                raise ValueError("a token without a workspace needs an explicit api_key")
            api_key = new_api_key(ws_id)
        token = SeedToken(api_key, username, ws_id, name=name, scope=scope, expires_at=expires_at)
        self.state.add_token(token)
        return next(t for t in self.tokens if t.token_id == token.token_id)

    def revoke_token(self, token_id: str) -> None:
        """Revoke ``token_id`` (as an administrator would)."""
        self.state.revoke_token(token_id)
