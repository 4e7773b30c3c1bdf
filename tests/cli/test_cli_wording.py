"""What a user reads: CLI wording, piped output that parses, warnings, docs that hold."""

from __future__ import annotations

import re
from pathlib import Path

from tiledb.client.secrets import base
from tiledb.client.testing import (
    DEFAULT_TOKEN,
    DEFAULT_WORKSPACE,
    DEFAULT_WORKSPACE_ID,
    LocalServer,
)

from .conftest import Cli

ROOT = Path(__file__).resolve().parents[2]


def test_missing_workspace_is_said_in_cli_words(cli: Cli, vault: Path) -> None:
    failed = cli("configure", "--host", "127.0.0.1:9", "--token-stdin", input="plain", expect=1)
    assert failed.stderr.startswith("Error: The workspace is required.")
    assert "--workspace NAME" in failed.stderr
    assert "Provide workspace" not in failed.stderr
    assert "workspace=" not in failed.stderr


def test_profile_delete_help_is_whole(cli: Cli) -> None:
    text = " ".join(cli("profile", "delete", "--help").stdout.split())
    assert "delete the profile even if its secret cannot be deleted" in text


def test_piped_whoami_has_one_line_per_key(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", "--verify", input=DEFAULT_TOKEN)
    lines = [line.split("\t") for line in cli("whoami").stdout.splitlines()]
    workspace = [line for line in lines if line[0] == "workspace"]
    assert len(workspace) == 1  # the current workspace; the list is tagged "workspaces"
    assert workspace[0][1].startswith(f"{DEFAULT_WORKSPACE} ({DEFAULT_WORKSPACE_ID})")
    listed = [line for line in lines if line[0] == "workspaces"]
    assert listed == [["workspaces", DEFAULT_WORKSPACE, DEFAULT_WORKSPACE_ID, "admin", "*"]]
    # The profile stores the id the token names; the server knows its name: show both.
    setting = next(line for line in lines if line[:2] == ["setting", "workspace"])
    assert setting[2] == f"{DEFAULT_WORKSPACE_ID} ({DEFAULT_WORKSPACE})"


def test_configure_verify_shows_the_workspace_name(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    out = cli(
        "configure", "--host", local_server.url, "--token-stdin", "--verify", input=DEFAULT_TOKEN
    ).stdout
    assert f"workspace\t{DEFAULT_WORKSPACE} ({DEFAULT_WORKSPACE_ID})" in out


def test_plain_http_to_another_machine_is_warned_about(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    remote = "http://tiledb.example.invalid"
    configured = cli(
        "configure",
        "--profile",
        "remote",
        "--host",
        remote,
        "--workspace",
        "w",
        "--no-verify",
        "--token-stdin",
        input="tok",
    )
    assert f"Warning: The host {remote} uses plain http://" in configured.stderr
    local = cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN)
    assert "plain http" not in local.stderr  # loopback stays on this machine
    report = cli("doctor", "--offline", "--json").json()
    hosts = {f["subject"]: f for f in report["findings"] if f["section"] == "hosts"}
    assert hosts[remote]["severity"] == "warning"
    assert "unencrypted" in hosts[remote]["message"]
    assert local_server.url not in hosts


def test_backend_rules_say_that_empty_secrets_are_refused() -> None:
    """The conformance suite refuses empty secrets: a plugin written from the docs must too."""
    assert base.__doc__ is not None
    assert "refuses an empty secret" in " ".join(base.__doc__.split())
    assert "ValueError" in (base.SecretBackend.set.__doc__ or "")
    how_to = ROOT / "docs" / "how-to" / "secret-backend-plugin.md"
    assert "refuses an empty secret" in " ".join(how_to.read_text().split())


def test_paths_named_in_the_docs_exist() -> None:
    """e.g. docs/testing-server.md once pointed at protocol/*.json, which did not exist."""
    documents = [ROOT / "README.md", ROOT / "SECURITY.md", *(ROOT / "docs").glob("*.md")]
    pattern = re.compile(r"`((?:docs|src|tests|scripts|benchmarks|protocol)/[\w./*-]+)`")
    said_to_be_absent = {"src/tiledb/__init__.py"}  # TileDB-Py owns the tiledb package
    missing = [
        (document.name, path)
        for document in documents
        for path in pattern.findall(document.read_text())
        if path not in said_to_be_absent and not list(ROOT.glob(path.rstrip("/")))
    ]
    assert missing == []
