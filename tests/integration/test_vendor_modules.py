"""Scripts for the vendor's 3.0 package: ``tiledb.client.workspaces`` and ``tiledb.cloud``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tiledb.client
from tiledb.client.testing import DEFAULT_TOKEN, ServerProcess

VENDOR_3_SCRIPT = """
import json
import warnings

import tiledb.client
from tiledb.client import workspaces

tiledb.client.login()
seen = {
    "current": workspaces.get_workspace().name,
    "by_id": workspaces.get_workspace("ws_2b7c9d1e3f4a5b6c").name,
    "by_name": workspaces.get_workspace("acme").workspace_id,
}
try:
    workspaces.get_workspace("nowhere")
except workspaces.WorkspacesError as exc:
    seen["missing"] = [type(exc).__name__, isinstance(exc, tiledb.TileDBError), "404" in str(exc)]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import tiledb.cloud
    cloud = tiledb.cloud
    seen["alias"] = [cloud.login is tiledb.client.login, cloud.Ctx is tiledb.client.Ctx,
                     cloud.workspaces.get_workspace().name]
seen["alias_warns"] = sorted({w.category.__name__ for w in caught})
print(json.dumps(seen))
"""


def test_vendor_3_workspaces_and_cloud_alias(
    local_server_process: ServerProcess, secret_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "keyring")
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server_process.url)
    proc = subprocess.run(
        [sys.executable, "-c", VENDOR_3_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "current": "acme",
        "by_id": "acme",
        "by_name": "ws_2b7c9d1e3f4a5b6c",
        "missing": ["WorkspacesError", True, True],
        "alias_warns": ["DeprecationWarning"],
        "alias": [True, True, "acme"],
    }
    assert DEFAULT_TOKEN not in proc.stdout + proc.stderr


def test_import_tiledb_stays_silent_and_cheap_with_the_alias_installed() -> None:
    """TileDB-Py imports ``tiledb.cloud.cloudarray`` if it can: the alias must not warn or load."""
    code = "import sys, tiledb; print(sorted(m for m in sys.modules if m.startswith('tiledb.cl')))"
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.replace("'", '"')) == ["tiledb.cloud"]
