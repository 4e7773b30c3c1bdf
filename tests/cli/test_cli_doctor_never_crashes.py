"""``doctor`` never crashes: every broken state the suite knows comes back as findings.

Each case breaks one thing for real (files, environment, a stopped Secret Service, a
plugin whose probe raises) and runs ``tiledb-client doctor`` in JSON and in plain mode.
The answer must be a report (exit status 0 or 1), never "Unexpected internal error",
holding the finding that names the problem (its section, severity and message), which
the report of the same profile before it was broken does not hold.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.raising_plugin import install_raising_plugin
from tests.secret_service import SecretServiceBus
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer

from .conftest import Cli


@dataclass(frozen=True)
class Finding:
    """A finding a report must hold: its section, severity, subject and part of its message."""

    section: str
    severity: str
    message: str
    subject: str | None = None

    def in_json(self, report: dict[str, Any]) -> bool:
        return any(
            found["section"] == self.section
            and found["severity"] == self.severity
            and self.message in found["message"]
            and self.subject in (None, found["subject"])
            for found in report["findings"]
        )

    def in_rows(self, output: str) -> bool:
        """Piped, doctor prints ``finding<TAB>section<TAB>severity<TAB>subject<TAB>message...``."""
        rows = [line.split("\t") for line in output.splitlines()]
        return any(
            row[:3] == ["finding", self.section, self.severity]
            and self.message in row[4]
            and self.subject in (None, row[3])
            for row in rows
            if len(row) > 4
        )


@dataclass
class Broken:
    """What a case did: extra environment for doctor, and the findings its report must hold."""

    env: dict[str, str]
    expect: list[Finding]


def _configure(cli: Cli, server: LocalServer, *extra: str) -> None:
    cli(
        "configure",
        "--no-verify",
        "--host",
        server.url,
        "--token-stdin",
        *extra,
        input=DEFAULT_TOKEN,
    )


def _edit_profile(values: dict[str, str]) -> None:
    store = ProfileStore()
    document = json.loads(store.path.read_text())
    document["default"].update(values)
    store.path.write_text(json.dumps(document))


def missing_ca_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(Path(server.ca_file).read_bytes())
    _configure(cli, server, "--ca-file", str(ca))
    ca.unlink()
    return Broken(
        {},
        [
            Finding(
                "profiles",
                "error",
                f"the CA file {ca} of profile 'default' does not exist",
                "default",
            )
        ],
    )


def vault_not_a_vault(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    vault = ProfileStore().directory.parent / "garbage.vault"
    vault.write_bytes(b"\xff\xfe not json")
    message = f"unavailable: The secrets vault {vault} cannot be used: it is not JSON"
    return Broken(
        {"TILEDB_CLIENT_SECRETS_FILE": str(vault)},
        [Finding("backends", "error", message, "encrypted-file")],
    )


def vault_is_a_directory(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    folder = tmp_path / "vault-dir"
    folder.mkdir()
    message = f"unavailable: Cannot read the secrets vault {folder}:"
    return Broken(
        {"TILEDB_CLIENT_SECRETS_FILE": str(folder)},
        [Finding("backends", "error", message, "encrypted-file")],
    )


def wrong_passphrase(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    message = "The passphrase from $TILEDB_CLIENT_PASSPHRASE does not unlock the secrets vault"
    return Broken(
        {"TILEDB_CLIENT_PASSPHRASE": "not the passphrase"},
        [Finding("backends", "error", message, "vault")],
    )


def passphrase_file_missing(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    env = {"TILEDB_CLIENT_PASSPHRASE": "", "TILEDB_CLIENT_PASSPHRASE_FILE": "/nonexistent/pp"}
    message = "unavailable: Cannot read the passphrase from the file /nonexistent/pp"
    return Broken(env, [Finding("backends", "error", message, "encrypted-file")])


def corrupt_profile_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    store.path.write_text('{"version": 1, "default": {')
    message = f"The profile file {store.path} is not a TileDB profile file: it is not JSON"
    return Broken({}, [Finding("files", "error", message, str(store.path))])


def nested_profile_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    store.path.write_text("[" * 100_000 + "]" * 100_000)
    message = f"The profile file {store.path} is not a TileDB profile file: it nests arrays"
    return Broken({}, [Finding("files", "error", message, str(store.path))])


def profile_file_is_a_directory(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    path = ProfileStore().path
    path.mkdir(parents=True)
    return Broken({}, [Finding("files", "error", f"{path} exists but is not a file", str(path))])


def profile_entry_not_an_object(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    store = ProfileStore()
    store.directory.mkdir(mode=0o700)
    store.path.write_text('{"version": 1, "default": 5}')
    message = f"The profile file {store.path} is not a TileDB profile file: profile 'default' is"
    return Broken({}, [Finding("files", "error", message + " not an object", str(store.path))])


def unknown_backend_in_profile(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    _edit_profile({"client.secret_backend": "no-such-backend"})
    message = "cannot check its token in the 'no-such-backend' backend: Unknown secret backend"
    return Broken({}, [Finding("profiles", "error", message, "default")])


def invalid_ssl_verify(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    _edit_profile({"ssl.verify": "maybe"})
    message = "verify_ssl (profile 'default') must be true or false, not 'maybe'"
    return Broken({}, [Finding("hosts", "error", message, "default")])


def unusable_host_and_ssl_verify(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    _edit_profile({"ssl.verify": "maybe", "rest.server_address": "http://h x"})
    message = "The host of profile 'default' 'http://h x' is not a usable server address"
    return Broken({}, [Finding("hosts", "error", message, "default")])


def profile_dir_is_a_file(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    return Broken(
        {"TILEDB_PROFILE_DIR": str(not_a_dir)},
        [
            Finding("files", "error", f"{not_a_dir} exists but is not a directory"),
            Finding("environment", "warning", f"names {not_a_dir}, which is not a directory"),
        ],
    )


def bad_environment(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    env = {
        "TILEDB_CLIENT_KEYRING_TIMEOUT": "ten",
        "TILEDB_CLIENT_SECRET_BACKEND": "no-such-backend",
        "TILEDB_SSL_CA_FILE": "/nonexistent/ca.pem",
        "TILEDB_CLIENT_SECRETS_FILE": "/dev/null/secrets.vault",
    }
    return Broken(
        env,
        [
            Finding(
                "environment",
                "error",
                "TILEDB_CLIENT_KEYRING_TIMEOUT='ten' is not a valid timeout",
                "TILEDB_CLIENT_KEYRING_TIMEOUT",
            ),
            Finding(
                "backends",
                "warning",
                "$TILEDB_CLIENT_SECRET_BACKEND names 'no-such-backend', which is not a known",
                "new secrets",
            ),
            Finding(
                "profiles",
                "error",
                "the CA file /nonexistent/ca.pem of the environment does not exist",
                "$TILEDB_SSL_CA_FILE",
            ),
            Finding(
                "backends",
                "error",
                "unavailable: Cannot read the secrets vault /dev/null/secrets.vault",
                "encrypted-file",
            ),
        ],
    )


def corrupt_cloud_json(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    cloud_json = ProfileStore().directory / "cloud.json"
    cloud_json.write_text("{not json")
    message = f"Cannot read {cloud_json}: it is not JSON"
    return Broken({}, [Finding("files", "warning", message, str(cloud_json))])


def plugin_probe_raises(cli: Cli, server: LocalServer, tmp_path: Path) -> Broken:
    _configure(cli, server)
    plugins = install_raising_plugin(tmp_path)
    _edit_profile({"client.secret_backend": "raising"})
    message = "unavailable: its probe failed (RuntimeError)"
    return Broken({"PYTHONPATH": str(plugins)}, [Finding("backends", "error", message, "raising")])


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
        unusable_host_and_ssl_verify,
        profile_dir_is_a_file,
        bad_environment,
        corrupt_cloud_json,
        plugin_probe_raises,
    )
}


def doctor_json(cli: Cli, env: dict[str, str]) -> dict[str, Any]:
    result = cli("doctor", "--timeout", "1", "--json", env=env, expect=None)
    assert result.returncode in (0, 1), result
    report: dict[str, Any] = result.json()
    return report


def assert_a_report(cli: Cli, env: dict[str, str], expect: list[Finding]) -> None:
    """Both reports of doctor (JSON and piped rows) hold every finding of ``expect``."""
    for mode in ("--json", None):
        args = ["doctor", "--timeout", "1", *([mode] if mode else [])]
        result = cli(*args, env=env, expect=None)
        assert result.returncode in (0, 1), result
        assert "Unexpected internal error" not in result.stderr, result
        assert "Traceback" not in result.output, result
        for finding in expect:
            if mode:
                assert finding.in_json(result.json()), f"{finding} not in\n{result}"
            else:
                assert finding.in_rows(result.stdout), f"{finding} not in\n{result}"


def forget_the_healthy_profile(vault: Path) -> None:
    """Remove what ``_configure`` made, so that a case starts from nothing again."""
    shutil.rmtree(ProfileStore().directory)
    vault.unlink()


@pytest.fixture
def tls_server(local_tls_server: LocalServer) -> LocalServer:
    return local_tls_server


@pytest.mark.parametrize("case", list(CASES))
def test_doctor_reports_every_broken_state(
    cli: Cli, tls_server: LocalServer, vault: Path, tmp_path: Path, case: str
) -> None:
    _configure(cli, tls_server)
    healthy = doctor_json(cli, {})
    forget_the_healthy_profile(vault)
    broken = CASES[case](cli, tls_server, tmp_path)
    assert broken.expect
    for finding in broken.expect:  # what a healthy profile's report shows proves nothing
        assert not finding.in_json(healthy), f"{finding} is in a healthy report too:\n{healthy}"
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
    env = {"TILEDB_CLIENT_KEYRING_TIMEOUT": "1"}
    stopped = Finding(
        "backends", "error", "through secretstorage did not answer within 1 s", "keyring"
    )
    assert not stopped.in_json(doctor_json(cli, env))
    own_secret_service_bus.keyring.send_signal(signal.SIGSTOP)
    assert_a_report(cli, env, [stopped])


@pytest.mark.skipif(sys.platform != "linux", reason="D-Bus is Linux's")
def test_doctor_reports_a_keyring_profile_without_dbus(
    cli: Cli, local_server: LocalServer, secret_service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(cli, local_server, "--backend", "keyring")
    no_bus = Finding("profiles", "error", "There is no D-Bus session bus here", "default")
    assert not no_bus.in_json(doctor_json(cli, {}))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    assert_a_report(cli, {}, [no_bus])
