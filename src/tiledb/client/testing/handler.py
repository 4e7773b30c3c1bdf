"""Sockets, TLS handshakes and the per-connection request handler of the local server."""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from .app import Response, error_body
from .records import Headers, RecordedRequest

__all__ = ["HOST", "MAX_BODY", "HTTPServer", "Owner"]

HOST = "127.0.0.1"
MAX_BODY = 64 * 1024 * 1024
_HANDSHAKE_TIMEOUT = 10.0


class Owner(Protocol):
    """What the handler needs of the server it serves (:class:`~.server.LocalServer`)."""

    delay: float
    _stopping: bool

    def log(self, line: str) -> None:
        """Write one line to the server's log."""

    def wait_until_stopped(self) -> None:
        """Block until the server stops."""

    def _answer(
        self, method: str, target: str, headers: Headers, body: bytes
    ) -> tuple[Response, Any]:
        """Answer a request; return the response and who was authenticated."""

    def _record(self, record: RecordedRequest) -> None:
        """Keep a request in the server's log of requests."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tiledb-client-testing/0.1"
    sys_version = ""
    timeout = 60.0
    disable_nagle_algorithm = True  # headers and body are written separately
    server: HTTPServer
    served = 0

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence the default access log: :class:`LocalServer` writes its own."""

    def log_error(self, format: str, *args: Any) -> None:
        """Log protocol errors without echoing the request line (it may hold secrets)."""
        code = args[0] if args and isinstance(args[0], int) else "?"
        self.server.owner.log(f"{self.client_address[0]} protocol error (HTTP {code})")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass  # trailers
                    return b"".join(chunks)
                if sum(map(len, chunks)) + size > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(16)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("invalid Content-Length")
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        owner = self.server.owner
        self.served += 1
        started = time.perf_counter()
        headers = Headers(self.headers.items())
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            response, auth, body = Response(400, error_body(400, str(exc))), None, b""
        else:
            response, auth = owner._answer(self.command, self.path, headers, body)
        record = RecordedRequest(self.command, self.path, headers, body, auth, response.status)
        owner._record(record)
        if response.silent:  # an injected hang: hold the connection, never answer
            owner.log(f"{self.client_address[0]} {record.describe()} (silent: no answer)")
            owner.wait_until_stopped()
            self.close_connection = True
            return
        if owner.delay > 0:
            time.sleep(owner.delay)
        payload = response.body()
        elapsed = (time.perf_counter() - started) * 1000
        # log before answering, so the line is out before the client sees the response
        owner.log(f"{self.client_address[0]} {record.describe()} {elapsed:.1f}ms")
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", "application/json")
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815


class HTTPServer(ThreadingHTTPServer):
    """A threading HTTP(S) server on 127.0.0.1 that serves one :class:`Owner`."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops bursts of connections

    def __init__(self, owner: Owner, port: int, context: ssl.SSLContext | None) -> None:
        self.owner = owner
        self.context = context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Run the TLS handshake (in the connection's thread), then serve the connection."""
        conn: socket.socket = request
        if self.context is not None:
            request.settimeout(_HANDSHAKE_TIMEOUT)
            try:
                conn = self.context.wrap_socket(request, server_side=True)
            except (OSError, ValueError) as exc:
                self.owner.log(f"{client_address[0]} TLS handshake failed: {exc}")
                return
        with self.connections_lock:
            self.connections.add(conn)
        handler: _Handler | None = None
        try:
            handler = _Handler(conn, client_address, self)
        finally:
            with self.connections_lock:
                self.connections.discard(conn)
            if conn is not request:
                conn.close()
                if handler is not None and not handler.served:
                    self.owner.log(
                        f"{client_address[0]} closed a TLS connection without a request "
                        "(does the client trust the CA file?)"
                    )

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a one-line note instead of a traceback (clients may drop connections)."""
        if not self.owner._stopping:
            exc = sys.exc_info()[1]
            self.owner.log(f"{client_address[0]} connection error: {type(exc).__name__}: {exc}")

    def close_connections(self) -> None:
        """Shut down the connections still open (keep-alive clients)."""
        with self.connections_lock:
            connections = list(self.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
