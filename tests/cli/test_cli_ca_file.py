"""``--ca-file``: stored by absolute path, refused when unusable, reported by name when gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, DEFAULT_USERNAME, LocalServer

from .conftest import Cli

INTERNAL = "Unexpected internal error"


def project_with_ca(server: LocalServer, tmp_path: Path) -> Path:
    """A directory holding a copy of the server's CA as local-ca.pem (as the docs suggest)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(server.ca_file, project / "local-ca.pem")
    return project


def test_relative_ca_file_is_stored_absolute_and_works_from_elsewhere(
    cli: Cli, local_tls_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    project = project_with_ca(local_tls_server, tmp_path)
    cli(
        "configure",
        "--host",
        local_tls_server.url,
        "--ca-file",
        "./local-ca.pem",
        "--token-stdin",
        input=DEFAULT_TOKEN,
        cwd=project,
    )
    stored = ProfileStore().get("default")
    assert stored is not None
    assert stored["ssl.ca_file"] == str(project / "local-ca.pem")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert DEFAULT_USERNAME in cli("login", cwd=elsewhere).stdout
    assert cli("doctor", "--json", cwd=elsewhere).json()["ok"] is True


def test_unusable_ca_file_is_refused_at_configure(
    cli: Cli, local_tls_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    for given, problem in (
        ("/nonexistent.pem", "/nonexistent.pem does not exist"),
        (str(tmp_path), "is a directory, not a file"),
        (str(not_pem), "holds no PEM certificate"),
    ):
        failed = cli(
            "configure",
            "--host",
            local_tls_server.url,
            "--ca-file",
            given,
            "--token-stdin",
            input=DEFAULT_TOKEN,
            expect=1,
        )
        assert failed.stderr.startswith("Error: The CA file "), failed
        assert problem in failed.stderr
        assert "--ca-file" in failed.stderr  # the hint
    assert not ProfileStore().path.exists()  # nothing was saved


def test_ca_file_gone_later_is_named_by_login_whoami_and_doctor(
    cli: Cli, local_tls_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    project = project_with_ca(local_tls_server, tmp_path)
    ca = project / "local-ca.pem"
    cli(
        "configure",
        "--host",
        local_tls_server.url,
        "--ca-file",
        str(ca),
        "--token-stdin",
        input=DEFAULT_TOKEN,
    )
    ca.unlink()
    for command in ("login", "whoami"):
        failed = cli(command, expect=1)
        assert INTERNAL not in failed.stderr
        assert f"The CA file {ca} (ssl.ca_file from profile 'default'" in failed.stderr
        assert "does not exist" in failed.stderr
        assert "--overwrite --ca-file" in failed.stderr
    report = cli("doctor", "--json", "--timeout", "2", expect=1)
    assert INTERNAL not in report.stderr
    errors = [f for f in report.json()["findings"] if f["severity"] == "error"]
    assert any(str(ca) in f["message"] and "does not exist" in f["message"] for f in errors)
    human = cli("doctor", "--timeout", "2", expect=1)
    assert INTERNAL not in human.stderr
    assert str(ca) in human.stdout


def test_relative_ca_file_of_an_older_profile_is_named(
    cli: Cli, local_tls_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    project = project_with_ca(local_tls_server, tmp_path)
    cli(
        "configure",
        "--host",
        local_tls_server.url,
        "--ca-file",
        str(project / "local-ca.pem"),
        "--token-stdin",
        input=DEFAULT_TOKEN,
    )
    store = ProfileStore()
    document = json.loads(store.path.read_text())
    document["default"]["ssl.ca_file"] = "./local-ca.pem"  # as stored before the fix
    store.path.write_text(json.dumps(document))
    assert DEFAULT_USERNAME in cli("login", cwd=project).stdout  # read from the current dir
    failed = cli("login", cwd=tmp_path, expect=1)
    assert f"The CA file {tmp_path / 'local-ca.pem'}" in failed.stderr
    assert "given as the relative path './local-ca.pem'" in failed.stderr
    relative = cli("doctor", "--json", "--offline", cwd=project).json()
    warned = [f for f in relative["findings"] if f["subject"] == "default"]
    assert any("relative path './local-ca.pem'" in f["message"] for f in warned)
