"""``doctor`` never crashes: every broken state the suite knows comes back as findings.

Each case breaks one thing for real (files, environment, a stopped Secret Service, a
plugin whose probe raises) and runs ``tiledb-client doctor`` in JSON and in plain mode.
The answer must be a report (exit status 0 or 1), never "Unexpected internal error",
and some part of it must name the problem.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.raising_plugin import install_raising_plugin
from tests.secret_service import SecretServiceBus
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer

from .conftest import Cli


@dataclass
class Broken:
    """What a case did: extra environment for doctor, and a text its report must contain."""

    env: dict[str, str]
    expect: str


def _configure(cli: Cli, server: LocalServer, *extra: str) -> None:
    cli("configure", "--host", server.url, "--token-stdin", *extra, input=DEFAULT_TOKEN)


def missing_ca_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(Path(server.ca_file).read_bytes())
    _configure(cli, server, "--ca-file", str(ca))
    ca.unlink()
    return Broken({}, f"{ca} of profile 'default' does not exist")


def vault_not_a_vault(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    vault = ProfileStore().directory.parent / "garbage.vault"
    vault.write_bytes(b"\xff\xfe not json")
    return Broken({"TILEDB_CLIENT_SECRETS_FILE": str(vault)}, "cannot be used")


def vault_is_a_directory(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    folder = tmp_path / "vault-dir"
    folder.mkdir()
    return Broken({"TILEDB_CLIENT_SECRETS_FILE": str(folder)}, "Cannot read the secrets vault")


def wrong_passphrase(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    return Broken({"TILEDB_CLIENT_PASSPHRASE": "not the passphrase"}, "does not unlock")


def passphrase_file_missing(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    env = {"TILEDB_CLIENT_PASSPHRASE": "", "TILEDB_CLIENT_PASSPHRASE_FILE": "/nonexistent/pp"}
    return Broken(env, "Cannot read the passphrase from the file /nonexistent/pp")


def corrupt_profile_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    store.path.write_text('{"version": 1, "default": {')
    return Broken({}, str(store.path))


def nested_profile_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    store.path.write_text("[" * 100_000 + "]" * 100_000)
    return Broken({}, "profiles.json")


def profile_file_is_a_directory(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    ProfileStore().path.mkdir(parents=True)
    return Broken({}, str(ProfileStore().path))


def profile_entry_not_an_object(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    store.path.write_text('{"version": 1, "default": 5}')
    return Broken({}, "default")


def unknown_backend_in_profile(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    store = ProfileStore()
    document = json.loads(store.path.read_text())
    document["default"]["client.secret_backend"] = "no-such-backend"
    store.path.write_text(json.dumps(document))
    return Broken({}, "no-such-backend")


def invalid_ssl_verify(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    store = ProfileStore()
    document = json.loads(store.path.read_text())
    document["default"]["ssl.verify"] = "maybe"
    document["default"]["rest.server_address"] = "http://h x"
    store.path.write_text(json.dumps(document))
    return Broken({}, "h x")


def profile_dir_is_a_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    return Broken({"TILEDB_PROFILE_DIR": str(not_a_dir)}, "not a directory")


def bad_environment(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    env = {
        "TILEDB_CLIENT_KEYRING_TIMEOUT": "ten",
        "TILEDB_CLIENT_SECRET_BACKEND": "no-such-backend",
        "TILEDB_SSL_CA_FILE": "/nonexistent/ca.pem",
        "TILEDB_CLIENT_SECRETS_FILE": "/dev/null/secrets.vault",
    }
    return Broken(env, "TILEDB_CLIENT_KEYRING_TIMEOUT")


def corrupt_cloud_json(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    (ProfileStore().directory / "cloud.json").write_text("{not json")
    return Broken({}, "cloud.json")


def plugin_probe_raises(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    plugins = install_raising_plugin(tmp_path)
    store = ProfileStore()
    document = json.loads(store.path.read_text())
    document["default"]["client.secret_backend"] = "raising"
    store.path.write_text(json.dumps(document))
    return Broken({"PYTHONPATH": str(plugins)}, "its probe failed (RuntimeError)")


CASES: dict[str, Callable[[Cli, LocalServer, Path], Broken]] = {
    case.__name__: case
    for case in (
        missing_ca_file,
        vault_not_a_vault,
        vault_is_a_directory,
        wrong_passphrase,
        passphrase_file_missing,
        corrupt_profile_file,
        nested_profile_file,
        profile_file_is_a_directory,
        profile_entry_not_an_object,
        unknown_backend_in_profile,
        invalid_ssl_verify,
        profile_dir_is_a_file,
        bad_environment,
        corrupt_cloud_json,
        plugin_probe_raises,
    )
}


def assert_a_report(cli: Cli, env: dict[str, str], expect: str) -> None:
    for mode in ("--json", None):
        args = ["doctor", "--timeout", "1", *([mode] if mode else [])]
        result = cli(*args, env=env, expect=None)
        assert result.returncode in (0, 1), result
        assert "Unexpected internal error" not in result.stderr, result
        assert "Traceback" not in result.output, result
        if mode:
            report = result.json()
            assert expect in json.dumps(report), result
        else:
            assert expect in result.output, result


@pytest.fixture
def tls_server(local_tls_server: LocalServer) -> LocalServer:
    return local_tls_server


@pytest.mark.parametrize("case", list(CASES))
def test_doctor_reports_every_broken_state(
    cli: Cli, tls_server: LocalServer, vault: Path, tmp_path: Path, case: str
) -> None:
    broken = CASES[case](cli, tls_server, tmp_path)
    assert_a_report(cli, broken.env, broken.expect)


def test_doctor_reports_a_stopped_keyring(
    cli: Cli,
    local_server: LocalServer,
    own_secret_service_bus: SecretServiceBus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", own_secret_service_bus.address)
    _configure(cli, local_server, "--backend", "keyring")
    # Stopped (SIGSTOP): D-Bus queues the calls, nobody answers. Never resumed: this
    # Secret Service is the test's own, and is killed afterwards.
    own_secret_service_bus.keyring.send_signal(signal.SIGSTOP)
    assert_a_report(cli, {"TILEDB_CLIENT_KEYRING_TIMEOUT": "1"}, "did not answer within 1 s")


@pytest.mark.skipif(sys.platform != "linux", reason="D-Bus is Linux's")
def test_doctor_reports_a_keyring_profile_without_dbus(
    cli: Cli, local_server: LocalServer, secret_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(cli, local_server, "--backend", "keyring")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    assert_a_report(cli, {}, "DBUS_SESSION_BUS_ADDRESS not set")
