"""Run the local server in a child process (``python -m tiledb.client.testing``).

Needed for TileDB-Py calls that keep the GIL while TileDB core does HTTP: a server
thread in the same process could never answer them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from .records import RecordedRequest
from .seed import Seed

__all__ = ["ServerProcess"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the directory holding tiledb/client/


class ServerProcess:
    """The local server in a child process; the seed is passed on stdin, never on argv.

    Parameters
    ----------
    seed
        Users, workspaces and tokens; default :meth:`Seed.default`.
    tls
        Serve HTTPS; the CA certificate is :attr:`ca_file`.
    port
        Port on 127.0.0.1; 0 picks a free one.
    args
        Extra command-line options (e.g. ``["--delay", "0.1"]``).
    startup_timeout
        Seconds to wait for the server to listen.
    env
        Environment of the child; default this process's.

    Notes
    -----
    :attr:`requests` reads back the ``--record`` file: headers are masked and bodies
    left out, but :attr:`RecordedRequest.auth` tells which user and token were used.
    """

    def __init__(
        self,
        seed: Seed | None = None,
        *,
        tls: bool = False,
        port: int = 0,
        args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.seed = seed if seed is not None else Seed.default()
        self.tls, self.port, self.args = tls, port, list(args)
        self.startup_timeout = startup_timeout
        self.env = dict(os.environ if env is None else env)
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self.url = ""
        self._ca_file: Path | None = None

    def _path(self, name: str) -> Path:
        if self._dir is None:
            raise RuntimeError("the server process is not running")
        return self._dir / name

    def start(self) -> ServerProcess:
        """Start the child and wait until it listens; returns ``self``."""
        self._dir = Path(tempfile.mkdtemp(prefix="tiledb-client-testing-"))
        command = [sys.executable, "-m", "tiledb.client.testing", "--port", str(self.port)]
        command += ["--seed", "-", "--record", str(self._path("requests.jsonl"))]
        command += ["--url-file", str(self._path("url.txt"))]
        if self.tls:
            command += ["--tls", "--state-dir", str(self._path("tls"))]
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        with self._path("stderr.log").open("wb") as log:
            self._proc = subprocess.Popen(  # noqa: S603 -- our own module, no shell
                [*command, *self.args],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )
        assert self._proc.stdin is not None  # noqa: S101 -- stdin=PIPE
        self._proc.stdin.write(json.dumps(self.seed.to_dict()).encode("utf-8"))
        self._proc.stdin.close()
        deadline = time.monotonic() + self.startup_timeout
        url_file = self._path("url.txt")
        while not url_file.exists():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                log_text = self.log_text()
                self.stop()
                raise RuntimeError(f"the local server did not start:\n{log_text}")
            time.sleep(0.02)
        lines = url_file.read_text(encoding="utf-8").splitlines()
        self.url = lines[0]
        self._ca_file = Path(lines[1]) if self.tls else None
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        """Send SIGTERM (terminate on Windows), wait, clean up; returns the exit code."""
        proc, self._proc = self._proc, None
        code = None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM) if os.name != "nt" else proc.terminate()
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        return code

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The child's process id."""
        if self._proc is None:
            raise RuntimeError("the server process is not running")
        return self._proc.pid

    @property
    def ca_file(self) -> Path:
        """The CA certificate (PEM) of a TLS server."""
        if self._ca_file is None:
            raise RuntimeError("no CA file: the server process is not running with tls=True")
        return self._ca_file

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests recorded so far (masked headers, no bodies), oldest first."""
        path = self._path("requests.jsonl")
        if not path.exists():
            return []
        text = path.read_text(encoding="utf-8")
        complete = text[: text.rfind("\n") + 1]  # a line being written is left for later
        return [RecordedRequest.from_json(json.loads(line)) for line in complete.splitlines()]

    def log_text(self) -> str:
        """Return the child's standard error so far (the request log, secrets masked)."""
        path = self._path("stderr.log")
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
