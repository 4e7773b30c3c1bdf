"""``exec --ttl``, ``child_env(ttl=...)``: a child gets a job token of its own."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest
import requests

import tiledb.client
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer

from .conftest import Cli

# The child proves its token works, then ends as told (an exit status or a signal).
CHILD = """
import json, os, signal, sys, urllib.request
token = os.environ["TILEDB_REST_TOKEN"]
request = urllib.request.Request(os.environ["TILEDB_REST_SERVER_ADDRESS"] + "/v4/users/self",
                                 headers={"X-TILEDB-REST-API-KEY": token})
status = urllib.request.urlopen(request, timeout=10).status
with open(sys.argv[1], "w") as handle:
    json.dump({"token": token, "status": status}, handle)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGTERM)
sys.exit(int(sys.argv[2]))
"""


def _status(server: LocalServer, token: str) -> int:
    headers = {"X-TILEDB-REST-API-KEY": token}
    return requests.get(server.url + "/v4/users/self", headers=headers, timeout=10).status_code


@pytest.mark.parametrize(("ending", "expected"), [("5", 5), ("kill", 128 + signal.SIGTERM)])
def test_exec_ttl_gives_a_scoped_job_token_revoked_at_exit(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path, ending: str, expected: int
) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN + "\n")
    seen = tmp_path / "seen.json"
    command = ["exec", "--ttl", "60s", "--scope", "array:read", "--", sys.executable, "-c"]
    cli(*command, CHILD, str(seen), ending, expect=expected)
    child = json.loads(seen.read_text())
    assert child["status"] == 200 and child["token"] != DEFAULT_TOKEN
    (job,) = [t for t in local_server.tokens if t.api_key == child["token"]]
    assert job.name.startswith("job-python") and job.scope == "array:read"
    assert job.revoked  # revoked when the command ended, however it ended
    assert _status(local_server, child["token"]) == 401
    assert _status(local_server, DEFAULT_TOKEN) == 200  # the profile's own token lives on


def test_exec_ttl_refused_mint_runs_nothing(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN + "\n")
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()"
    refused = cli(
        "exec", "--ttl", "1m", "--scope", "nope", "--", sys.executable, "-c", code, expect=1
    )
    assert "did not mint a job token (scope 'nope')" in refused.stderr
    assert not marker.exists()
    bad = cli("exec", "--ttl", "soon", "--", sys.executable, "-c", code, expect=1)
    assert "--ttl 'soon' is not a duration" in bad.stderr and not marker.exists()


def test_child_env_ttl_mints_a_token_for_the_child(local_server: LocalServer, vault: Path) -> None:
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    tiledb.client.login()
    env = tiledb.client.child_env(ttl="10m", scope="array:read")
    (job,) = [t for t in local_server.tokens if t.api_key == env["TILEDB_REST_TOKEN"]]
    assert job.name.startswith("job-child-") and job.scope == "array:read" and job.active
    assert tiledb.client.child_env()["TILEDB_REST_TOKEN"] == DEFAULT_TOKEN  # without ttl: as before


DUMP = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"


def test_children_never_get_the_vault_passphrase(
    cli: Cli, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    """Issue 22, finding 1: the passphrase opens every stored secret, the password too."""
    from tests.backends import VAULT_PASSPHRASE

    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(VAULT_PASSPHRASE)
    passphrase_file.chmod(0o600)
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN + "\n")
    seen = tmp_path / "env.json"
    extra = {"TILEDB_CLIENT_PASSPHRASE_FILE": str(passphrase_file)}
    cli("exec", "--", sys.executable, "-c", DUMP, str(seen), env=extra)
    environ = json.loads(seen.read_text())
    assert environ["TILEDB_CLIENT_PASSPHRASE"] == ""
    assert environ["TILEDB_CLIENT_PASSPHRASE_FILE"] == ""
    assert VAULT_PASSPHRASE not in json.dumps(environ)
    tiledb.client.login()
    python_env = tiledb.client.child_env()
    assert python_env["TILEDB_CLIENT_PASSPHRASE"] == ""
    assert python_env["TILEDB_CLIENT_PASSPHRASE_FILE"] == ""
