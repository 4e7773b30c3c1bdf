"""``tiledb.client.child_env()`` (the Python twin of ``exec``) and the child runner of ``exec``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import tiledb.client
from tiledb.client.cli.exec_command import run_child
from tiledb.client.session import current as session_module
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    ServerProcess,
)

CORE_CHILD = """
import tiledb
try:
    tiledb.ArraySchema.load("tiledb://acme/ts/arr")
except tiledb.TileDBError as exc:
    print("404" if "404" in str(exc) else "core error: " + str(exc)[:300])
"""


def array_requests(server: ServerProcess) -> list:  # type: ignore[type-arg]
    return [r for r in server.requests if r.route.startswith(("/v1/arrays/", "/v2/arrays/"))]


def run_core_child(env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", CORE_CHILD],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout.strip()


def test_child_env_after_a_password_login(local_server_process: ServerProcess, vault: Path) -> None:
    server = local_server_process
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, workspace="acme", host=server.url
    )
    before = dict(os.environ)
    tiledb.client.login()
    env = tiledb.client.child_env()
    current = session_module.peek()
    assert current is not None
    # child_env() writes nothing; the login published its session token for core (SECURITY.md)
    assert dict(os.environ) == {**before, "TILEDB_REST_TOKEN": current.token}
    assert current is not None and current.session_token_id
    assert env["TILEDB_REST_TOKEN"] == current.token
    assert env["TILEDB_REST_PASSWORD"] == ""
    assert DEFAULT_PASSWORD not in repr(env)
    assert env["HOME"] == os.environ["HOME"]  # the rest is inherited
    assert run_core_child(env) == "404"
    sent = array_requests(server)
    assert [(r.auth.scheme, r.auth.token_id) for r in sent if r.auth] == [
        ("token", current.session_token_id)
    ]
    assert DEFAULT_PASSWORD not in server.log_text()


def test_child_env_of_another_profile_leaves_the_session(
    local_server_process: ServerProcess, vault: Path
) -> None:
    server = local_server_process
    tiledb.client.configure(token=DEFAULT_TOKEN, host=server.url)
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace="acme",
        host=server.url,
        profile_name="pw",
    )
    tiledb.client.login()
    current = session_module.peek()
    env = tiledb.client.child_env("pw", base={"PATH": os.environ.get("PATH", "")})
    assert session_module.peek() is current  # not made current
    assert env["TILEDB_PROFILE_NAME"] == "pw"
    assert env["TILEDB_REST_TOKEN"] not in ("", DEFAULT_TOKEN)
    assert set(env) >= {"PATH", "TILEDB_REST_SERVER_ADDRESS", "TILEDB_REST_WORKSPACE"}
    assert "HOME" not in env  # base replaces os.environ
    assert tiledb.client.child_env()["TILEDB_REST_TOKEN"] == DEFAULT_TOKEN


def test_child_env_without_login_uses_the_default_profile(
    local_server_process: ServerProcess, vault: Path
) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    env = tiledb.client.child_env()
    assert env["TILEDB_REST_TOKEN"] == DEFAULT_TOKEN
    assert run_core_child(env) == "404"
    sent = array_requests(local_server_process)
    assert [r.auth.token_id for r in sent if r.auth] == [DEFAULT_TOKEN_ID]


def test_children_never_get_a_passphrase(
    local_server_process: ServerProcess, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 18: the vault's passphrase (or the file holding it) opens every stored secret.
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    monkeypatch.setenv("TILEDB_CLIENT_PASSPHRASE_FILE", str(vault.parent / "passphrase"))
    env = tiledb.client.child_env()
    assert env["TILEDB_CLIENT_PASSPHRASE"] == ""
    assert env["TILEDB_CLIENT_PASSPHRASE_FILE"] == ""
    seen = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(os.environ.items()))"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "test vault passphrase" not in seen and str(vault.parent / "passphrase") not in seen


WAITING_CHILD = """
import pathlib, signal, sys, time
def stop(number, frame):
    sys.exit(40 + number)
for name in ("SIGINT", "SIGTERM", "SIGHUP"):
    signal.signal(getattr(signal, name), stop)
pathlib.Path(sys.argv[1]).write_text("ready")
time.sleep(20)
sys.exit(3)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_run_child_forwards_signals_and_returns_the_status(name: str, tmp_path: Path) -> None:
    """The runner used where a process cannot be replaced (Windows), tried here on POSIX."""
    number = getattr(signal, name)
    ready = tmp_path / "ready"

    def signal_us_when_ready() -> None:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), number)

    # Should run_child not catch the signal, this handler keeps pytest alive (and the
    # child then ends with 3, failing the test).
    safety = signal.signal(number, lambda *_: None)
    try:
        sender = threading.Thread(target=signal_us_when_ready)
        sender.start()
        status = run_child([sys.executable, "-c", WAITING_CHILD, str(ready)], dict(os.environ))
        sender.join()
        assert status == 40 + number
        assert signal.getsignal(number) is not None
        assert signal.getsignal(number).__name__ == "<lambda>"  # type: ignore[union-attr]
    finally:
        signal.signal(number, safety)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_run_child_status_of_a_signal_death() -> None:
    script = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    assert run_child([sys.executable, "-c", script], dict(os.environ)) == 128 + 9


def test_child_env_without_tls_verification(
    local_tls_server_process: ServerProcess, vault: Path
) -> None:
    """verify_ssl=False reaches core in the child as TILEDB_SSL_VERIFY=false."""
    server = local_tls_server_process
    tiledb.client.configure(token=DEFAULT_TOKEN, host=server.url, verify_ssl=False)
    env = tiledb.client.child_env()
    assert env["TILEDB_SSL_VERIFY"] == "false"
    assert "TILEDB_SSL_CA_FILE" not in env
    assert run_core_child(env) == "404"
    assert [r.auth.token_id for r in array_requests(server) if r.auth] == [DEFAULT_TOKEN_ID]
    env["TILEDB_SSL_VERIFY"] = "true"  # the same child, verifying: core refuses the server
    assert run_core_child(env) != "404"
