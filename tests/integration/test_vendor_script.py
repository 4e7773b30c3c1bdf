"""A script written for the vendor's ``tiledb-client`` runs unchanged on this package.

The script below uses only what the vendor's package offers (its names, its
keyword arguments, its private-looking ``_self``), the way its users write it. It
runs in a fresh interpreter against the bundled server.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tiledb.client
from tiledb.client.testing import DEFAULT_TOKEN, ServerProcess

VENDOR_STYLE_SCRIPT = """
import json
import threading

import tiledb
import tiledb.client
from tiledb.client.client import RetryMode

client = tiledb.client.client.client
client.set_forceful_retries()
client.set_disable_retries()
client.set_default_retries()
client.retry_mode(RetryMode.maybe_from(v="forceful"))

tiledb.client.login()
user = tiledb.client.get_user()
workspace = tiledb.client.get_workspace()
me, workspaces = tiledb.client.get_self_user()
lines = {
    "user": user.to_dict()["username"],
    "user_role": str(user.role),
    "user_role_f": f"{user.role}",
    "deleted_at": user.deleted_at,
    "user_keys": sorted(user.to_dict()),
    "workspace": workspace.to_dict()["name"],
    "workspace_self_role": str(workspace._self.role),
    "workspace_self_key": workspace.to_dict()["self"]["username"],
    "listed": [(w.to_dict()["workspace_id"], f"{w._self.role}") for w in workspaces],
    "relationships": [str(w.workspace_role) for w in tiledb.client.get_user_workspaces()],
    "workspace_id": tiledb.client.get_workspace_id(),
    "names": sorted(n for n in ("configure", "Workspace", "login") if n in dir(tiledb.client)),
    "config_token_set": bool(tiledb.client.Config()["rest.token"]),
}

said = []
def worker():
    try:
        tiledb.ArraySchema.load("tiledb://acme/ts/arr")
    except tiledb.TileDBError as exc:
        said.append("404" if "404" in str(exc) else str(exc)[:200])
thread = threading.Thread(target=worker)
thread.start()
thread.join()
lines["thread"] = said[0]
print(json.dumps(lines, default=str))
"""


def test_a_vendor_style_script_runs_unchanged(
    local_server_process: ServerProcess, secret_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A desktop user: the token in the OS keyring (a real Secret Service here)."""
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "keyring")
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    proc = subprocess.run(
        [sys.executable, "-c", VENDOR_STYLE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen == {
        "user": "ada",
        "user_role": "member",
        "user_role_f": "member",
        "deleted_at": None,
        "user_keys": sorted(
            [
                "id",
                "username",
                "display_name",
                "email",
                "is_valid_email",
                "image_id",
                "role",
                "timezone",
                "created_at",
                "updated_at",
                "deleted_at",
            ]
        ),
        "workspace": "acme",
        "workspace_self_role": "admin",
        "workspace_self_key": "ada",
        "listed": [["ws_2b7c9d1e3f4a5b6c", "admin"]],
        "relationships": ["admin"],
        "workspace_id": "ws_2b7c9d1e3f4a5b6c",
        "names": ["Workspace", "configure", "login"],
        "config_token_set": True,
        "thread": "404",
    }
    assert DEFAULT_TOKEN not in proc.stdout + proc.stderr
