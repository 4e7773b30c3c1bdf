"""``tiledb-client exec``: a child process gets the session through TileDB core's variables.

The server runs in a child process (``ServerProcess``): TileDB core holds the GIL
while it talks HTTP. The child of ``exec`` is a plain Python with TileDB-Py that
never imports ``tiledb.client``: only the environment carries the session.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    ServerProcess,
)

from .conftest import Cli, child_env

URI = "tiledb://acme/ts/arr"

CORE_CHILD = f"""
import json, os, sys
import tiledb
with open(sys.argv[1], "w") as handle:
    json.dump({{"environ": dict(os.environ), "argv": sys.argv}}, handle)
try:
    tiledb.ArraySchema.load({URI!r})
except tiledb.TileDBError as exc:
    print("404" if "404" in str(exc) else "core error: " + str(exc)[:300])
"""


def array_requests(server: ServerProcess) -> list:  # type: ignore[type-arg]
    return [r for r in server.requests if r.route.startswith(("/v1/arrays/", "/v2/arrays/"))]


def run_core_child(cli: Cli, tmp_path: Path, *options: str) -> dict:  # type: ignore[type-arg]
    seen = tmp_path / "child.json"
    result = cli("exec", *options, "--", sys.executable, "-c", CORE_CHILD, str(seen))
    assert result.stdout.strip() == "404", str(result)
    return json.loads(seen.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_exec_child_sends_the_api_token(
    cli: Cli, local_server_process: ServerProcess, vault: Path, tmp_path: Path
) -> None:
    server = local_server_process
    cli("configure", "--host", server.url, "--token-stdin", input=DEFAULT_TOKEN + "\n")
    seen = run_core_child(cli, tmp_path)
    sent = array_requests(server)
    assert [r.route for r in sent] == ["/v1/arrays/acme/ts/arr"]
    assert [(r.auth.scheme, r.auth.token_id) for r in sent if r.auth] == [
        ("token", DEFAULT_TOKEN_ID)
    ]
    environ = seen["environ"]
    assert environ["TILEDB_REST_TOKEN"] == DEFAULT_TOKEN
    assert environ["TILEDB_REST_SERVER_ADDRESS"] == server.url
    assert environ["TILEDB_REST_WORKSPACE"] == "ws_2b7c9d1e3f4a5b6c"  # named by the token
    assert environ["TILEDB_SSL_VERIFY"] == "true"
    assert environ["TILEDB_PROFILE_NAME"] == "default"
    assert Path(environ["TILEDB_PROFILE_DIR"]) == Path.home() / ".tiledb"
    assert (environ["TILEDB_REST_USERNAME"], environ["TILEDB_REST_PASSWORD"]) == ("", "")
    assert not any(DEFAULT_TOKEN in word for word in seen["argv"])


def test_exec_with_a_password_profile_sends_a_session_token_never_the_password(
    cli: Cli, local_server_process: ServerProcess, vault: Path, tmp_path: Path
) -> None:
    server = local_server_process
    cli(
        "configure",
        "--host",
        server.url,
        "--username",
        DEFAULT_USERNAME,
        "--workspace",
        "acme",
        "--password-stdin",
        input=DEFAULT_PASSWORD + "\n",
    )
    seen = run_core_child(cli, tmp_path)
    again = run_core_child(cli, tmp_path)  # the cached session token is reused
    sent = array_requests(server)
    assert len(sent) == 2
    token_ids = {r.auth.token_id for r in sent if r.auth and r.auth.scheme == "token"}
    assert len(token_ids) == 1
    assert token_ids != {DEFAULT_TOKEN_ID}
    for record in sent:
        assert "authorization" not in record.headers
    minted = [r for r in server.requests if r.route == "/v4/tokens"]
    assert len(minted) == 1
    for child in (seen, again):
        assert DEFAULT_PASSWORD not in json.dumps(child)
        assert child["environ"]["TILEDB_REST_TOKEN"]
        assert child["environ"]["TILEDB_REST_PASSWORD"] == ""
    assert seen["environ"]["TILEDB_REST_TOKEN"] == again["environ"]["TILEDB_REST_TOKEN"]
    assert DEFAULT_PASSWORD not in server.log_text()


def test_exec_blanks_an_inherited_password(
    cli: Cli, local_server_process: ServerProcess, tmp_path: Path
) -> None:
    server = local_server_process
    seen = tmp_path / "child.json"
    cli(
        "exec",
        "--",
        sys.executable,
        "-c",
        CORE_CHILD,
        str(seen),
        env={
            "TILEDB_REST_SERVER_ADDRESS": server.url,
            "TILEDB_REST_USERNAME": DEFAULT_USERNAME,
            "TILEDB_REST_PASSWORD": DEFAULT_PASSWORD,
            "TILEDB_REST_WORKSPACE": "acme",
        },
    )
    environ = json.loads(seen.read_text(encoding="utf-8"))["environ"]
    assert DEFAULT_PASSWORD not in json.dumps(environ)
    assert environ["TILEDB_REST_PASSWORD"] == ""
    assert (environ["TILEDB_PROFILE_NAME"], environ["TILEDB_PROFILE_DIR"]) == ("", "")
    sent = array_requests(server)
    assert sent and all(r.auth and r.auth.scheme == "token" for r in sent)


def test_exec_over_https_passes_the_ca_file(
    cli: Cli, local_tls_server_process: ServerProcess, vault: Path, tmp_path: Path
) -> None:
    server = local_tls_server_process
    cli(
        "configure",
        "--host",
        server.url,
        "--ca-file",
        str(server.ca_file),
        "--token-stdin",
        input=DEFAULT_TOKEN + "\n",
    )
    seen = run_core_child(cli, tmp_path)
    assert seen["environ"]["TILEDB_SSL_CA_FILE"] == str(server.ca_file)
    assert [r.auth.token_id for r in array_requests(server) if r.auth] == [DEFAULT_TOKEN_ID]


def test_exec_passes_the_exit_status_through(cli: Cli) -> None:
    env = {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_SERVER_ADDRESS": "http://127.0.0.1:9"}
    cli("exec", "--", sys.executable, "-c", "raise SystemExit(7)", env=env, expect=7)
    cli("exec", "--", sys.executable, "-c", "pass", env=env, expect=0)


def test_exec_errors(cli: Cli) -> None:
    env = {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_SERVER_ADDRESS": "http://127.0.0.1:9"}
    missing = cli("exec", "--", "no-such-command-tiledb", env=env, expect=127)
    assert "no-such-command-tiledb: command not found" in missing.stderr
    usage = cli("exec", "--", env=env, expect=2)
    assert "No command given" in usage.stderr
    no_login = cli("exec", "--", sys.executable, "-c", "print('ran')", expect=1)
    assert "ran" not in no_login.stdout
    assert "profile 'default'" in no_login.stderr


@pytest.mark.skipif(os.name != "posix", reason="/proc and SIGPIPE are POSIX")
def test_exec_gives_sigpipe_back_its_default_action(cli: Cli) -> None:
    env = {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_SERVER_ADDRESS": "http://127.0.0.1:9"}
    status = cli("exec", "--", "grep", "SigIgn", "/proc/self/status", env=env).stdout
    ignored = int(status.split()[1], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1))


READY_CHILD = """
import signal, sys, time
def stop(number, frame):
    sys.exit(40 + number)
for name in ("SIGINT", "SIGTERM", "SIGHUP"):
    signal.signal(getattr(signal, name), stop)
print("ready", flush=True)
time.sleep(60)
sys.exit(3)
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_exec_signals_reach_the_command(name: str) -> None:
    number = getattr(signal, name)
    env = child_env(
        {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_SERVER_ADDRESS": "http://127.0.0.1:9"}
    )
    command = [sys.executable, "-m", "tiledb.client", "exec", "--", sys.executable, "-c"]
    proc = subprocess.Popen(
        [*command, READY_CHILD], env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        proc.send_signal(number)
        assert proc.wait(timeout=30) == 40 + number
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_exec_a_command_killed_by_a_signal_shows_that_signal() -> None:
    env = child_env(
        {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_SERVER_ADDRESS": "http://127.0.0.1:9"}
    )
    script = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    proc = subprocess.run(
        [sys.executable, "-m", "tiledb.client", "exec", "--", sys.executable, "-c", script],
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGTERM
