"""``tiledb-client unlock`` / ``lock``: the unlock agent, with real processes (issue 18).

Each test has its own ``XDG_RUNTIME_DIR`` (the hermetic environment), so its agent is its
own; ``agents`` kills every agent of that directory at teardown, even after a failure.
The vault is made by the command line, so it has production KDF costs.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tiledb.client
from tests.backends import VAULT_PASSPHRASE
from tiledb.client.secrets import unlock_agent
from tiledb.client.testing import DEFAULT_TOKEN

from .conftest import Cli

PASSPHRASE_VARIABLES = ("TILEDB_CLIENT_PASSPHRASE", "TILEDB_CLIENT_PASSPHRASE_FILE")
LOGIN = (
    "import sys, tiledb.client\n"
    "try:\n"
    "    tiledb.client.login()\n"
    "except Exception as exc:\n"
    "    print('FAILED', exc)\n"
    "    raise SystemExit(1)\n"
    "unused = ['cryptography', 'tiledb.client.secrets._vault', 'platformdirs', 'logging',"
    " 'tiledb.client.secrets.passphrase', 'pathlib']\n"
    "print(tiledb.client.Config()['rest.token'], [m for m in unused if m in sys.modules])"
)


def agent_pids() -> list[int]:
    """The agents of this test's runtime directory, found in /proc."""
    mine = f"XDG_RUNTIME_DIR={os.environ['XDG_RUNTIME_DIR']}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"tiledb.client.secrets.agent_server" in cmdline and mine in environ:
            pids.append(int(entry.name))
    return pids


def wait_dead(pid: int) -> None:
    """Wait until ``pid`` is gone or a zombie whose every thread ended (its sockets closed)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        if "\nState:\tZ" in status and "\nThreads:\t1\n" in status:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} still runs")


@pytest.fixture
def agents() -> Iterator[None]:
    """Kill every agent this test started, whatever happened."""
    yield
    for pid in agent_pids():
        os.kill(pid, signal.SIGKILL)


def fresh_login(**extra: str) -> subprocess.CompletedProcess[str]:
    """A new process, no passphrase variable, no terminal: log in, print token and imports."""
    env = {k: v for k, v in os.environ.items() if k not in PASSPHRASE_VARIABLES} | extra
    # -S: no .pth files, so no editable-install finder preloading pathlib for us
    path = os.pathsep.join([str(Path(tiledb.client.__file__).parents[2]), *sys.path[1:]])
    return subprocess.run(
        [sys.executable, "-S", "-c", LOGIN],
        capture_output=True,
        text=True,
        env=dict(env, PYTHONPATH=path),
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def without_passphrase(cli: Cli, *args: str, **kwargs: object) -> object:
    env = dict.fromkeys(PASSPHRASE_VARIABLES, "")
    return cli(*args, env=env, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def configured(cli: Cli, vault: Path, agents: None) -> Path:
    cli("configure", "--host", "http://127.0.0.1:9", "--workspace", "acme", "--no-verify",
        "--token-stdin", input=DEFAULT_TOKEN)  # fmt: skip
    return vault


def test_after_unlock_a_fresh_process_logs_in_without_a_passphrase(
    cli: Cli, configured: Path
) -> None:
    assert fresh_login().returncode == 1  # no source at all yet
    result = cli("unlock", "--ttl", "10m")
    assert f"Unlocked the secrets vault {configured}, until " in result.stdout
    login = fresh_login()
    assert login.stdout.split(maxsplit=1) == [DEFAULT_TOKEN, "[]\n"], login.stderr
    status = cli("unlock", "--status", "--json").json()
    assert status["running"] is True
    assert [item["vault"] for item in status["unlocked"]] == [str(configured)]
    assert 590 < status["unlocked"][0]["expires"] - time.time() <= 600
    [pid] = agent_pids()
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert not [v for v in environ if v.startswith(b"TILEDB_CLIENT_PASSPHRASE")]
    assert VAULT_PASSPHRASE.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    directory = Path(unlock_agent.agent_dir())
    assert directory.stat().st_mode & 0o777 == 0o700
    assert Path(unlock_agent.socket_path()).stat().st_mode & 0o777 == 0o600


def test_after_lock_the_login_fails_naming_unlock(cli: Cli, configured: Path) -> None:
    cli("unlock")
    assert fresh_login().returncode == 0
    assert "the unlock agent forgot the key" in cli("lock").stdout
    login = fresh_login()
    assert login.returncode == 1
    assert "tiledb-client unlock" in login.stdout
    deadline = time.monotonic() + 5
    while agent_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not agent_pids()
    assert not Path(unlock_agent.socket_path()).exists()
    assert cli("unlock", "--status").stdout == "locked: no agent runs\n"


def test_after_the_ttl_the_login_fails_and_the_agent_exits(cli: Cli, configured: Path) -> None:
    cli("unlock", "--ttl", "1s")
    time.sleep(1.6)
    login = fresh_login()
    assert login.returncode == 1
    assert "tiledb-client unlock" in login.stdout
    time.sleep(0.5)
    assert not agent_pids()


def test_a_killed_agent_leaves_no_usable_socket_and_unlock_works_again(
    cli: Cli, configured: Path
) -> None:
    cli("unlock")
    [pid] = agent_pids()
    os.kill(pid, signal.SIGKILL)
    wait_dead(pid)
    assert Path(unlock_agent.socket_path()).exists()  # left behind by the dead agent
    assert unlock_agent.call({"op": "status"}) is None  # but nobody answers: no agent
    assert fresh_login().returncode == 1
    cli("unlock")
    assert fresh_login().returncode == 0
    assert len(agent_pids()) == 1


def test_eight_processes_log_in_at_once_through_the_agent(cli: Cli, configured: Path) -> None:
    cli("unlock")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        logins = list(pool.map(lambda _: fresh_login(), range(8)))
    assert [p.stdout.split()[0] for p in logins] == [DEFAULT_TOKEN] * 8, [
        p.stdout + p.stderr for p in logins
    ]


def test_writes_go_through_the_agent_with_its_key(cli: Cli, configured: Path) -> None:
    no_passphrase = dict.fromkeys(PASSPHRASE_VARIABLES, "")
    cli("unlock", "--passphrase-stdin", input=VAULT_PASSPHRASE + "\n", env=no_passphrase)
    cli(*SECOND, "--profile", "second", input="tok-second", env=no_passphrase)
    cli("profile", "rename", "second", "third", env=no_passphrase)
    cli("lock")
    # Written with the vault's own key: the passphrase still opens it.
    login = fresh_login(TILEDB_PROFILE_NAME="third", TILEDB_CLIENT_PASSPHRASE=VAULT_PASSPHRASE)
    assert login.stdout.split()[0] == "tok-second", login.stdout + login.stderr
    assert len(json.loads(configured.read_text())["entries"]) == 2


SECOND = ("configure", "--host", "http://127.0.0.1:9", "--workspace", "a", "--no-verify",
          "--token-stdin")  # fmt: skip


def test_a_vault_re_created_behind_the_agent_is_never_written_with_its_key(
    cli: Cli, configured: Path, tmp_path: Path
) -> None:
    cli("unlock")
    configured.unlink()
    elsewhere = tmp_path / "other-runtime"  # a writer that does not see the agent
    elsewhere.mkdir(mode=0o700)
    other = {"XDG_RUNTIME_DIR": str(elsewhere), "TILEDB_CLIENT_PASSPHRASE": "another one"}
    cli(*SECOND, "--profile", "new", input="tok-a", env=other)
    before = configured.read_bytes()
    refused = cli(*SECOND, "--profile", "newer", input="tok-b", expect=1)
    assert "does not match the key the unlock agent holds" in refused.stderr
    assert "tiledb-client unlock" in refused.stderr
    assert configured.read_bytes() == before
    assert "does not match the key" in fresh_login(TILEDB_PROFILE_NAME="new").stdout


def test_unlock_with_a_wrong_passphrase_starts_no_agent(cli: Cli, configured: Path) -> None:
    wrong = cli("unlock", "--passphrase-stdin", input="not it\n", expect=1)
    assert "does not unlock the secrets vault" in wrong.stderr
    assert not agent_pids()


def test_unlock_reads_a_systemd_credential(cli: Cli, configured: Path, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o700)
    (credentials / "tiledb-client-passphrase").write_text(VAULT_PASSPHRASE)
    (credentials / "tiledb-client-passphrase").chmod(0o400)
    env = {"CREDENTIALS_DIRECTORY": str(credentials), **dict.fromkeys(PASSPHRASE_VARIABLES, "")}
    cli("unlock", env=env)
    assert fresh_login().stdout.split()[0] == DEFAULT_TOKEN


def _as_nobody(path: str) -> str:
    """In a forked child as uid 65534: connect to ``path``, ask for a secret, return what came."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(path)
                unlock_agent.send_message(sock, {"op": "get", "vault": "x", "name": "y"})
                answer = json.dumps(unlock_agent.read_message(sock, time.monotonic() + 5))
        except OSError as exc:
            answer = f"{type(exc).__name__}"
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return text


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to uid 65534 needs root")
def test_another_uid_is_refused(cli: Cli, configured: Path) -> None:
    cli("unlock")
    path = unlock_agent.socket_path()
    assert _as_nobody(path) == "PermissionError"  # the 0700 directory keeps it out
    # Let it reach the socket, as a mistake might (a hard link in an open directory, mode
    # 0666): the SO_PEERCRED check still refuses it.
    public = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        public.chmod(0o755)
        os.link(path, public / "agent.sock")
        Path(path).chmod(0o666)
        answer = json.loads(_as_nobody(str(public / "agent.sock")))
    finally:
        shutil.rmtree(public)
    assert answer == {
        "error": "The unlock agent refused a client of uid 65534: it answers uid 0 only."
    }


def test_every_client_gets_an_answer_while_the_agent_exits(cli: Cli, configured: Path) -> None:
    """A call racing the agent's exit after ``lock`` gets an answer or finds no agent."""
    cli("unlock")
    failures: list[str] = []

    def ask_until_gone() -> int:
        calls = 0
        while time.monotonic() < deadline:
            calls += 1
            try:
                if unlock_agent.call({"op": "get", "vault": str(configured), "name": "x"}) is None:
                    return calls
            except tiledb.client.errors.SecretBackendError as exc:
                failures.append(exc.problem)
        return calls

    deadline = time.monotonic() + 20
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        askers = [pool.submit(ask_until_gone) for _ in range(4)]
        time.sleep(0.3)
        cli("lock")
        calls = sum(asker.result() for asker in askers)
    assert time.monotonic() < deadline, "the agent never went away"
    assert failures == [], f"{len(failures)} of {calls} calls: {failures[:3]}"
