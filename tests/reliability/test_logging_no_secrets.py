"""A DEBUG-logging pass through every path: no secret anywhere it could show.

With every logger at DEBUG (``urllib3``, ``keyring``, ``secretstorage`` included), the
library and the command line (run in this process, ``-v``) go through configure
(token and password), login with each, whoami, logout, doctor, migrate and
profile commands, and through errors: a wrong password, a revoked token, a 503
storm, a token that cannot be sent, a host with a password in it, an unreachable
host, a malformed answer. Then no known secret (API token, password, the session
tokens the server minted, the vault passphrase) may appear, raw or encoded (hex, UTF-16,
base64 as in an ``Authorization: Basic`` header: ``tests.secret_forms``), in:

- a log record, a warning, standard output or error;
- an exception message or a whole traceback (``raise ... from`` chains included);
- the ``repr`` of the objects a user holds (session, settings, clients);
- the argv of any process started (an audit hook records them; ``child_env()`` and
  ``tiledb-client exec`` start children here);
- any file under the test's HOME and temporary folder, except the vault (which is
  encrypted; the keyring keeps nothing in a file here).
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backend
import pytest

import tiledb
import tiledb.client
from tests.backends import VAULT_PASSPHRASE
from tests.reliability.conftest import Figures
from tests.secret_forms import encodings, forms_found
from tiledb.client.cli import main as cli_main
from tiledb.client.client import client as api_client
from tiledb.client.session import current as session_module
from tiledb.client.session.settings import resolve
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_TOKEN_ID,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)
from tiledb.client.transport.rest import BasicAuth, RestClient

from .inputs_support import closed_port

SRC = str(Path(__file__).resolve().parents[2] / "src")
WRONG_PASSWORD = "wrong-password-Zq9-5551212"
HOST_PASSWORD = "host-password-Zq9-777"
PLAINTEXT_TOKEN = "plaintext0tok-ws_2b7c9d1e3f4a5b6c-Zq9aaaaaaaaaaaa"

_SPAWNED: list[list[str]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _SPAWNED is not None and event in ("subprocess.Popen", "os.exec", "os.posix_spawn"):
        _SPAWNED.append([str(part) for part in (args[1] if len(args) > 1 else args)])


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only during the test


class Pass:
    """Runs steps, keeping every message, traceback and output they produce."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.texts: list[str] = []

    def expect_error(self, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception as exc:  # what a user would see, whatever the class
            self.texts.append(str(exc))
            self.texts.append(repr(exc))
            self.texts.append("".join(traceback.format_exception(exc)))
        else:
            raise AssertionError(f"{step} did not fail")

    def cli(self, *args: str, stdin: str | None = None) -> int:
        import io

        saved = sys.stdin
        sys.stdin = io.StringIO(stdin or "")
        try:
            status = cli_main(["-v", *args])
        finally:
            sys.stdin = saved
        out = self.capsys.readouterr()
        self.texts += [out.out, out.err]
        return status


@pytest.mark.timeout(300)
def test_debug_logging_pass(
    local_server: LocalServer,
    secret_backend: str,
    hermetic_env: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    figures: Figures,
) -> None:
    global _SPAWNED
    # What a process does once, whichever test comes first, is done before counting, so
    # the figures are this test's own: keyring's import of every backend (its macOS one
    # runs ldconfig and gcc through ctypes.util.find_library), with its log records.
    keyring.backend.get_all_keyring()
    _SPAWNED = []
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "keyring", "secretstorage", "jeepney", "tiledb", "filelock"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    monkeypatch.setenv("TILEDB_CLIENT_REQUEST_DEADLINE", "2")
    run = Pass(capsys)
    url = local_server.url
    try:
        with warnings.catch_warnings(record=True) as caught_warnings:
            warnings.simplefilter("always")
            _library_paths(run, local_server, url, monkeypatch)
            _cli_paths(run, url, hermetic_env)
            _error_paths(run, local_server, url, monkeypatch)
        run.texts += [str(w.message) for w in caught_warnings]
    finally:
        spawned, _SPAWNED = _SPAWNED, None
    secrets = [
        DEFAULT_TOKEN, DEFAULT_PASSWORD, VAULT_PASSPHRASE, WRONG_PASSWORD, HOST_PASSWORD,
        PLAINTEXT_TOKEN, *(t.api_key for t in local_server.tokens),
    ]  # fmt: skip
    minted = [t for t in local_server.tokens if t.name.startswith("login-session")]
    assert len(minted) >= 2  # the password paths really ran
    assert len(caplog.records) > 50  # and DEBUG logging really was on
    haystacks: dict[str, str | bytes] = {
        "log": caplog.text + "\n".join(str(r.args) for r in caplog.records),
        "messages, tracebacks, reprs, output, warnings": "\n".join(run.texts),
        "argv of started processes": "\n".join(" ".join(argv) for argv in spawned),
        "files": _files_bytes(hermetic_env, tmp_path),
    }
    leaks = {
        where: found for where, text in haystacks.items() if (found := forms_found(text, secrets))
    }
    assert leaks == {}, "a secret, raw or encoded, where it could show"
    started = sorted({argv[0].rsplit("/", 1)[-1] for argv in spawned})
    figures.record(
        f"logs: DEBUG pass, {secret_backend} backend",
        f"{len(caplog.records)} log records, {len(run.texts)} messages/tracebacks/reprs/outputs,"
        f" {len(spawned)} processes started ({', '.join(started)}), {len(secrets)} secrets"
        f" in {len(encodings(DEFAULT_TOKEN))} encodings each: 0 found",
    )


def _library_paths(
    run: Pass, server: LocalServer, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiledb.client.configure(token=f"{DEFAULT_TOKEN}\n", host=url)
    tiledb.client.login()
    run.texts.append(repr(tiledb.client.get_user()))
    run.texts.append(repr(tiledb.client.get_workspace()))
    current = session_module.peek()
    run.texts += [repr(current), repr(current.settings), str(current.settings.rows())]  # type: ignore[union-attr]
    run.texts += [repr(api_client), repr(api_client.rest_client())]
    run.texts.append(repr(resolve()))
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE,
        host=url,
        profile_name="pw",
    )
    tiledb.client.login(profile_name="pw")
    run.texts.append(repr(tiledb.client.get_self_user()))
    run.texts += [repr(session_module.peek()), repr(BasicAuth(DEFAULT_USERNAME, DEFAULT_PASSWORD))]
    tiledb.client.logout()
    monkeypatch.setenv("TILEDB_REST_TOKEN", f" {DEFAULT_TOKEN}\r\n")
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", url)
    tiledb.client.login(profile_name="pw")  # the environment shadows the profile
    tiledb.client.get_user()
    monkeypatch.delenv("TILEDB_REST_TOKEN")
    monkeypatch.delenv("TILEDB_REST_SERVER_ADDRESS")
    # Child processes get the session in their environment, never on a command line.
    tiledb.client.login(profile_name="pw")
    child = subprocess.run(
        [sys.executable, "-c", "print('child ran')"],
        env=tiledb.client.child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    run.texts += [child.stdout, child.stderr]
    # (A child process cannot open the tests' vault, whose KDF is below the production
    # minimum: the command line's session comes from the environment here.)
    env = {**os.environ, "PYTHONPATH": SRC, "TILEDB_REST_TOKEN": DEFAULT_TOKEN}
    env.update(TILEDB_REST_SERVER_ADDRESS=server.url, TILEDB_PROFILE_NAME="none-stored")
    command = [sys.executable, "-m", "tiledb.client", "-v", "exec", "--"]
    child = subprocess.run(
        [*command, sys.executable, "-c", "import os; print(sorted(os.environ)[:3])"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    run.texts += [child.stdout, child.stderr]
    assert child.returncode == 0, child.stderr


def _cli_paths(run: Pass, url: str, home: Path) -> None:
    assert run.cli("configure", "--profile", "cli", "--host", url, "--token-stdin", "--verify",
                   stdin=f"{DEFAULT_TOKEN}\n") == 0  # fmt: skip
    assert run.cli(
        "configure", "--profile", "clipw", "--host", url, "--workspace", DEFAULT_WORKSPACE,
        "--username", DEFAULT_USERNAME, "--password-stdin", "--verify", stdin=DEFAULT_PASSWORD,
    ) == 0  # fmt: skip
    for args in (
        ("login", "--profile", "clipw"),
        ("whoami", "--profile", "clipw"),
        ("whoami", "--profile", "cli", "--json"),
        ("logout", "--profile", "clipw"),
        ("profile", "list"),
        ("profile", "show", "clipw", "--json"),
        ("doctor",),
        ("doctor", "--json"),
        ("backends",),
    ):
        assert run.cli(*args) in (0, 1), args
    legacy = tiledb.Profile("legacy")  # written by TileDB core: a plaintext token
    legacy["rest.server_address"] = url
    legacy["rest.token"] = PLAINTEXT_TOKEN
    legacy["rest.workspace"] = DEFAULT_WORKSPACE
    legacy.save()
    assert run.cli("migrate", "--dry-run") == 0
    assert run.cli("migrate") == 0
    assert run.cli("profile", "rename", "legacy", "legacy2") == 0
    assert run.cli("profile", "delete", "legacy2", "--yes") == 0


def _error_paths(run: Pass, server: LocalServer, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=WRONG_PASSWORD, workspace=DEFAULT_WORKSPACE,
        host=url, profile_name="wrong",
    )  # fmt: skip
    run.expect_error(lambda: tiledb.client.login(profile_name="wrong"))
    assert run.cli("login", "--profile", "wrong") == 1
    tiledb.client.login()
    server.revoke_token(DEFAULT_TOKEN_ID)
    run.expect_error(tiledb.client.get_user)
    assert run.cli("whoami") == 1
    server.fail_next(503, count=1000, message=f"storm {DEFAULT_TOKEN}")  # echoes what was sent
    run.expect_error(lambda: RestClient(url, token=DEFAULT_TOKEN).get("/v4/users/self"))
    server.faults.clear()
    run.expect_error(lambda: RestClient(url, token=f"{DEFAULT_TOKEN}\n").get("/v4/users/self"))
    run.expect_error(lambda: RestClient(url, basic=BasicAuth("ada", "pw\nx")).get("/v4/users/self"))
    run.expect_error(
        lambda: tiledb.client.configure(
            token=DEFAULT_TOKEN, host=url.replace("http://", f"http://ada:{HOST_PASSWORD}@")
        )
    )
    monkeypatch.setenv("TILEDB_REST_TOKEN", f"{DEFAULT_TOKEN[:9]}\x07{DEFAULT_TOKEN[9:]}")
    run.expect_error(tiledb.client.login)
    assert run.cli("whoami") == 1
    monkeypatch.delenv("TILEDB_REST_TOKEN")
    bad = f"http://127.0.0.1:{closed_port()}"
    run.expect_error(lambda: RestClient(bad, token=DEFAULT_TOKEN).get("/v4/users/self"))
    server.answer_next(b'{"data": {"user": "' + DEFAULT_TOKEN.encode() + b'"')
    run.expect_error(lambda: RestClient(url, token=DEFAULT_TOKEN).get("/v4/users/self"))


def _files_bytes(*roots: Path) -> bytes:
    chunks = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.name.endswith(".vault"):
                chunks.append(path.read_bytes())
    return b"\n".join(chunks)


@pytest.mark.parametrize("username", ["ada", "adam", "ada_l"])  # each alignment of the password
def test_the_search_finds_a_logged_basic_auth_header(
    username: str, caplog: pytest.LogCaptureFixture
) -> None:
    credentials = base64.b64encode(f"{username}:{DEFAULT_PASSWORD}".encode()).decode()
    logging.getLogger("tiledb.client").warning("send: Authorization: Basic %s", credentials)
    assert DEFAULT_PASSWORD not in caplog.text  # what a search for the raw secret misses
    shift = (len(username) + 1) % 3  # where the password starts in a 3-byte group
    found = forms_found(caplog.text, [DEFAULT_PASSWORD])
    assert f"{DEFAULT_PASSWORD[:4]}... as base64+{shift}" in found, found
