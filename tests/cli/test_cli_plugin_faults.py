"""A plugin that raises anything gives documented errors, never "Unexpected internal error"."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli
from tests.cli.raising_plugin import install_raising_plugin
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer


def test_every_command_reports_a_raising_plugin_as_a_documented_error(
    cli: Cli, local_server: LocalServer, tmp_path: Path
) -> None:
    env = {"PYTHONPATH": str(install_raising_plugin(tmp_path))}
    configured = cli(
        "configure", "--host", local_server.url, "--token-stdin", "--backend", "raising",
        input=DEFAULT_TOKEN + "\n", env=env, expect=1,
    )  # fmt: skip
    assert "'raising'" in configured.stderr
    assert "RuntimeError" in configured.stderr
    # a profile that names the plugin, as one configured while the plugin still worked
    store = ProfileStore()
    store.save(
        "default",
        {
            "rest.server_address": local_server.url,
            "rest.workspace": "acme",
            "client.auth": "token",
            "client.secret_backend": "raising",
            "client.secret_id": "default @ somewhere [0123abcd]",
        },
    )
    statuses = {}
    for args in (("profile", "list"), ("profile", "show", "default"), ("login",), ("whoami",)):
        result = cli(*args, env=env, expect=None)
        statuses[args[-1]] = result.returncode
        assert "Unexpected internal error" not in result.output, result
        assert "RuntimeError" in result.output, result
    # listing reports the secret as unknown; what needs the secret fails
    assert statuses == {"list": 0, "default": 0, "login": 1, "whoami": 1}
    listed = cli("profile", "list", "--json", env=env)
    assert json.loads(listed.stdout)["profiles"][0]["secret"] == "unknown"


def test_a_plugins_value_error_never_shows_its_text(
    cli: Cli, local_server: LocalServer, tmp_path: Path
) -> None:
    """Issue 22, finding 2: a ValueError passed the guard raw, its traceback holding the token."""
    env = {"PYTHONPATH": str(install_raising_plugin(tmp_path, "ValueError", probe_ok=True))}
    configured = cli(
        "-v", "configure", "--host", local_server.url, "--token-stdin", "--backend", "raising",
        input=DEFAULT_TOKEN + "\n", env=env, expect=1,
    )  # fmt: skip
    assert "'raising'" in configured.stderr and "ValueError" in configured.stderr
    assert "set exploded" not in configured.output  # the plugin's text: it quotes the token
    assert DEFAULT_TOKEN not in configured.output
