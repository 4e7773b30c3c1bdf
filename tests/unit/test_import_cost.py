"""``import tiledb.client`` stays cheap: heavy dependencies load on the paths that need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")
HEAVY = ["requests", "urllib3", "keyring", "cryptography", "secretstorage", "jeepney"]
OWN_LAZY = [
    "tiledb.client.session",
    "tiledb.client.session.settings",
    "tiledb.client.basics.models",
    "tiledb.client.storage.profiles",
    "tiledb.client.transport.rest",
    "tiledb.client.operations",
    "tiledb.client.operations.configure",
    "tiledb.client.secrets.registry",
    "tiledb.client.cli",
]


def loaded_after(code: str, **env_vars: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=SRC, **env_vars)
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_loads_no_heavy_dependency() -> None:
    modules = loaded_after("import tiledb.client")
    assert "tiledb.client.client" in modules
    assert [name for name in HEAVY if name in modules] == []
    assert [name for name in OWN_LAZY if name in modules] == []


def test_public_names_resolve_lazily() -> None:
    modules = loaded_after(
        "import tiledb.client\n"
        "assert tiledb.client.Workspace.__name__ == 'Workspace'\n"
        "assert callable(tiledb.client.configure)\n"
        "from tiledb.client.client import Client, Workspace, configure\n"
        "assert tiledb.client.client.Client is Client"
    )
    assert "tiledb.client.basics.models" in modules
    assert [name for name in HEAVY if name in modules] == []


def test_requests_loads_when_a_request_is_made() -> None:
    modules = loaded_after(
        "from tiledb.client.transport.rest import RestClient\nRestClient('http://127.0.0.1:9').close()"
    )
    assert "requests" in modules
    assert "keyring" not in modules
    assert "cryptography" not in modules


def test_env_token_login_loads_no_heavy_dependency() -> None:
    # No request is made: the token names its workspace, and core connects lazily.
    modules = loaded_after(
        "import tiledb.client\ntiledb.client.login()\ntiledb.client.Ctx()",
        TILEDB_REST_TOKEN="tok-ws_2b7c9d1e3f4a5b6c-x",
        TILEDB_REST_SERVER_ADDRESS="http://127.0.0.1:9",
    )
    assert "tiledb.client.session.current" in modules
    assert [name for name in HEAVY if name in modules] == []
    assert "tiledb.client.secrets.registry" not in modules


def test_env_token_login_loads_no_module_it_does_not_use() -> None:
    # Each costs milliseconds of every script's start-up (docs/performance.md): pathlib
    # with urllib.parse and ipaddress, logging, tempfile with shutil and random, and
    # the dataclass-heavy server models. Load them where they are used, not at import.
    probe = (
        "import json, sys, tiledb\n"
        "before = set(sys.modules)\n"
        "import tiledb.client\ntiledb.client.login()\ntiledb.client.Ctx()\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    env = dict(
        os.environ,
        # -S: no .pth files, so no editable-install finder preloading pathlib for us
        PYTHONPATH=os.pathsep.join([SRC, sysconfig.get_paths()["purelib"]]),
        TILEDB_REST_TOKEN="tok-ws_2b7c9d1e3f4a5b6c-x",
        TILEDB_REST_SERVER_ADDRESS="http://127.0.0.1:9",
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    new = set(json.loads(out.stdout.splitlines()[-1]))
    unused = ["pathlib", "urllib.parse", "logging", "tempfile", "random"]
    unused.append("tiledb.client.basics.models")
    assert [name for name in unused if name in new] == []
