"""The unlock agent: one process per user that holds unlocked vault keys for a while.

Started by ``tiledb-client unlock`` as ``python -m tiledb.client.secrets.agent_server``,
detached; it answers requests of its own uid only, and exits when locked, when its last
key expires, or on SIGTERM (SECURITY.md, "The unlock agent").
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import ctypes.util
import hmac
import os
import resource
import select
import signal
import socket
import socketserver
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tiledb.client.errors import SecretBackendError
from tiledb.client.secrets import encrypted_file, unlock_agent
from tiledb.client.secrets._vault import PRODUCTION_POLICY, KdfPolicy, Vault

__all__ = ["Agent", "harden", "main", "private_directory"]

START_GRACE_SECONDS = 10.0
"""How long a new agent waits for its first ``unlock`` before it exits."""
_MCL_CURRENT, _MCL_FUTURE, _PR_SET_DUMPABLE = 1, 2, 4


def harden() -> bool:
    """No core dumps, no ptrace by others; lock memory. Return whether memory is locked."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return False
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    return bool(libc.mlockall(_MCL_CURRENT | _MCL_FUTURE) == 0)


def private_directory(path: str) -> str | None:
    """Make ``path`` a 0700 directory of ours; return why it is unsafe, or ``None``."""
    with contextlib.suppress(FileExistsError):
        Path(path).mkdir(mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a directory (a symbolic link?)"
    if info.st_uid != os.getuid():
        return f"{path} belongs to uid {info.st_uid}, not to this user"
    if info.st_mode & 0o077:
        return f"{path} is open to others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


class Agent:
    """The keys held, by vault path, each with its expiry (``None``: none); thread-safe."""

    def __init__(self, *, memory_locked: bool, policy: KdfPolicy = PRODUCTION_POLICY) -> None:
        self.memory_locked, self.policy = memory_locked, policy
        self.keys: dict[str, tuple[bytearray, float | None]] = {}
        self.lock = threading.Lock()
        self.started = time.time()
        self.ever_unlocked = False
        self.exiting = False  # decided under the lock, so no key is taken after it

    def alive(self) -> bool:
        """Forget expired keys; whether anything is held (or the start grace still runs).

        Once it says no, the agent is exiting: it takes no key any more.
        """
        now = time.time()
        with self.lock:
            for path, (key, expires) in list(self.keys.items()):
                if expires is not None and expires <= now:
                    key[:] = bytes(len(key))
                    del self.keys[path]
            self.exiting = self.exiting or not (
                self.keys or (not self.ever_unlocked and now - self.started < START_GRACE_SECONDS)
            )
            return not self.exiting

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one request (``status``, ``unlock``, ``lock``, ``get``, ``set``, ``delete``)."""
        op, vault = request.get("op"), str(request.get("vault", ""))
        if op == "status":
            self.alive()
            with self.lock:
                listed = [{"vault": p, "expires": e} for p, (_, e) in sorted(self.keys.items())]
            return {"pid": os.getpid(), "memory_locked": self.memory_locked, "unlocked": listed}
        if op == "lock":
            with self.lock:
                for held, _ in self.keys.values():
                    held[:] = bytes(len(held))
                self.keys.clear()
                self.ever_unlocked = True
            return {"locked": True}
        if op == "unlock":
            given = bytearray(base64.b64decode(str(request["key"])))
            self._check(self._read(vault), bytes(given))
            ttl = float(request.get("ttl") or 0)
            expires = time.time() + ttl if ttl > 0 else None
            with self.lock:
                if self.exiting:
                    given[:] = bytes(len(given))
                    raise SecretBackendError(
                        "The unlock agent was exiting and did not take the key.",
                        hint="Run `tiledb-client unlock` again.",
                    )
                self.keys[vault] = (given, expires)
                self.ever_unlocked = True
            return {"vault": vault, "expires": expires}
        with self.lock:
            entry = self.keys.get(vault)
            key = bytes(entry[0]) if entry else b""
        if not key or op not in ("get", "set", "delete"):
            return {"held": False}
        name = str(request["name"])
        if op == "get":
            found = self._read(vault)
            self._check(found, key)
            return {"held": True, "secret": found.decrypt(key, name)}
        with encrypted_file._locked(Path(vault)):  # as the backend writes: lock, then replace
            found = self._read(vault)
            self._check(found, key)
            if op == "delete":
                changed = found.entries.pop(name, None) is not None
            else:
                found.encrypt(key, name, str(request["secret"]))
                changed = True
            if changed:
                encrypted_file._write_vault(found, key)
        return {"held": True, "changed": changed}

    def _read(self, vault: str) -> Vault:
        found = encrypted_file._read_vault(Path(vault), self.policy)
        if found is None:
            raise SecretBackendError(f"The secrets vault {vault} no longer exists.")
        return found

    @staticmethod
    def _check(vault: Vault, key: bytes) -> None:
        if not hmac.compare_digest(vault.verifier_for(key), vault.verifier) or not (
            hmac.compare_digest(vault.mac_for(key), vault.mac)
        ):
            raise SecretBackendError(
                f"The secrets vault {vault.path} does not match the key the unlock agent holds"
                " (it was re-created or changed since it was unlocked); nothing was written.",
                hint="Run `tiledb-client lock`, then `tiledb-client unlock` again.",
            )


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        try:
            uid = unlock_agent.peer_uid(sock)
            # Read the request first, even a refused one: closing on unread data resets the
            # connection, and the client would see a broken pipe instead of the refusal.
            request = unlock_agent.read_message(sock, time.monotonic() + 5.0)
            if uid != os.getuid():
                answer: dict[str, Any] = {
                    "error": f"The unlock agent refused a client of uid {uid}: it answers"
                    f" uid {os.getuid()} only."
                }
            else:
                try:
                    answer = self.server.agent.answer(request)
                except SecretBackendError as exc:
                    answer = {"error": exc.problem, "hint": exc.hint}
                except (KeyError, TypeError, ValueError) as exc:
                    answer = {"error": f"malformed request ({type(exc).__name__})"}
            unlock_agent.send_message(sock, answer)
        except (OSError, ValueError, TypeError):
            return


class _Server(socketserver.ThreadingUnixStreamServer):
    # Not daemon threads: server_close() waits for every answer being written (each has
    # a read deadline), so the agent never exits on a connection it accepted.
    daemon_threads = False

    def __init__(self, path: str, agent: Agent) -> None:
        self.agent = agent
        super().__init__(path, _Handler)


def _claim_socket(path: str) -> bool:
    """Remove a dead agent's socket; return False when a live agent answers on it."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
    except FileNotFoundError:
        return True
    except (ConnectionRefusedError, TimeoutError):
        Path(path).unlink()
        return True
    finally:
        probe.close()
    return False


def main() -> int:
    """Run the agent until it is locked, its keys expire, or SIGTERM; 0, or 1 if it cannot."""
    memory_locked = harden()
    directory = unlock_agent.agent_dir()
    if private_directory(directory) is not None:
        return 1
    path = unlock_agent.socket_path()
    if not _claim_socket(path):
        return 0  # another agent serves this user
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    old_umask = os.umask(0o177)
    try:
        server = _Server(path, Agent(memory_locked=memory_locked))
    except OSError:
        return 0  # another agent bound it meanwhile
    finally:
        os.umask(old_umask)
    server.timeout = 0.25
    try:
        while server.agent.alive():
            server.handle_request()
    finally:
        with contextlib.suppress(OSError):
            Path(path).unlink()  # no new clients; forget the keys, then answer those queued
        with server.agent.lock:
            server.agent.exiting = True  # also on SIGTERM
        server.agent.answer({"op": "lock"})
        server.timeout = 0.05
        while select.select([server], [], [], server.timeout)[0]:
            server.handle_request()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
