"""The client side of the unlock agent: where its socket is, the wire, one call per request.

The wire: over ``AF_UNIX``/``SOCK_STREAM``, one request per connection, each message a
4-byte big-endian length and that many bytes of UTF-8 JSON (SECURITY.md, "The unlock
agent"). Light on purpose: a login through the agent imports only :mod:`socket` here.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from typing import Any

from tiledb.client.errors import SecretBackendError

__all__ = ["CALL_TIMEOUT", "MAX_MESSAGE", "agent_dir", "call", "read_message", "socket_path"]

CALL_TIMEOUT = 3.0
"""Seconds one call to the agent may take in all (connect, send, answer)."""
MAX_MESSAGE = 1 << 20
"""The longest message either side accepts (bytes)."""
SOCKET_NAME = "agent.sock"
UNLOCK_HINT = "Run `tiledb-client unlock` (or give the passphrase another way)."
_PEERCRED = struct.Struct("3i")  # pid, uid, gid of SO_PEERCRED


def agent_dir() -> str:
    """The agent's private directory: ``$XDG_RUNTIME_DIR/tiledb-client``, else under /tmp.

    e.g. ``/run/user/1000/tiledb-client``, or ``/tmp/tiledb-client-1000``.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and runtime.startswith("/"):  # strings, not pathlib: this is the login path
        return f"{runtime.rstrip('/')}/tiledb-client"
    return f"/tmp/tiledb-client-{os.getuid()}"  # noqa: S108 - 0700, its owner checked


def socket_path() -> str:
    """The agent's socket, e.g. ``/run/user/1000/tiledb-client/agent.sock``."""
    return f"{agent_dir()}/{SOCKET_NAME}"


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a connected unix socket (``SO_PEERCRED``)."""
    return int(_PEERCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1])


def send_message(sock: socket.socket, document: dict[str, Any]) -> None:
    """Send one length-prefixed JSON message."""
    data = json.dumps(document).encode("utf-8")
    sock.sendall(len(data).to_bytes(4, "big") + data)


def read_message(sock: socket.socket, deadline: float) -> dict[str, Any]:
    """Read one message; ValueError (TypeError) when it is malformed, too long or late."""
    header = _read_exactly(sock, 4, deadline)
    size = int.from_bytes(header, "big")
    if size > MAX_MESSAGE:
        raise ValueError("message too long")
    document = json.loads(_read_exactly(sock, size, deadline).decode("utf-8"))
    if not isinstance(document, dict):
        raise TypeError("not a JSON object")
    return document


def _read_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    chunks, left = [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ValueError("too late")
        sock.settimeout(remaining)
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ValueError("connection closed early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def call(request: dict[str, Any], *, timeout: float = CALL_TIMEOUT) -> dict[str, Any] | None:
    """Send ``request`` to the agent and return its answer; ``None`` when no agent runs.

    No socket, or one nobody listens on (a dead agent's), is no agent. Raises
    SecretBackendError when the agent refuses, answers an error, or does not answer in time.
    """
    path = socket_path()
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        if peer_uid(sock) != os.getuid():  # never hand a secret to another user's agent
            raise SecretBackendError(f"The unlock agent socket {path} belongs to another user.")
        send_message(sock, request)
        answer = read_message(sock, deadline)
    except (OSError, ValueError, TypeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or "timeout"
        raise SecretBackendError(
            f"The unlock agent at {path} did not answer ({why}).", hint=UNLOCK_HINT
        ) from None
    finally:
        sock.close()
    if "error" in answer:
        raise SecretBackendError(str(answer["error"]), hint=answer.get("hint"))
    return answer
