"""``tiledb-client doctor`` and ``tiledb-client backends``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import DEFAULT_TOKEN, LocalServer

from .conftest import Cli

KEYRING_TIMEOUT = 5.0


def by_subject(report: dict[str, object], section: str) -> dict[str, dict[str, object]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {f["subject"]: f for f in findings if f["section"] == section}


def test_doctor_without_dbus_reports_the_keyring_unavailable_quickly(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("TILEDB_CLIENT_KEYRING_TIMEOUT", str(KEYRING_TIMEOUT))
    started = time.monotonic()
    result = cli("doctor", "--json", "--offline", expect=1)  # no profile: a login would fail
    elapsed = time.monotonic() - started
    report = result.json()
    keyring = next(b for b in report["backends"] if b["name"] == "keyring")
    assert keyring["available"] is False
    assert "DBUS_SESSION_BUS_ADDRESS not set" in keyring["reason"]
    assert keyring["probe_seconds"] < KEYRING_TIMEOUT
    assert elapsed < KEYRING_TIMEOUT  # the whole process, start-up included
    assert report["selection"]["name"] is None
    assert by_subject(report, "profiles")["default"]["severity"] == "error"

    human = cli("doctor", "--offline", expect=1)
    assert "keyring" in human.stdout
    assert "DBUS_SESSION_BUS_ADDRESS not set" in human.stdout
    assert human.stderr.startswith("Error: 1 problem(s) would stop a login")
    assert "Traceback" not in human.stderr


def test_doctor_reports_problems_with_fixes(
    cli: Cli, local_server: LocalServer, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("configure", "--host", local_server.url, "--token-stdin", input=DEFAULT_TOKEN)
    cli(
        "configure",
        "--profile",
        "gone",
        "--host",
        "http://127.0.0.1:9",
        "--no-verify",
        "--token-stdin",
        input=DEFAULT_TOKEN,
    )
    store = ProfileStore()
    store.path.chmod(0o644)
    monkeypatch.setenv("TILEDB_REST_TOKEN", DEFAULT_TOKEN)
    report = cli("doctor", "--json", "--timeout", "2").json()  # problems only in "gone"
    assert report["ok"] is True
    files = by_subject(report, "files")
    assert files[str(store.path)]["severity"] == "warning"
    assert files[str(store.path)]["fix"] == f"chmod 600 {store.path}"
    hosts = by_subject(report, "hosts")
    assert hosts[local_server.url]["severity"] == "ok"
    assert hosts["http://127.0.0.1:9"]["severity"] == "warning"  # not the profile in use
    environment = {e["name"]: e["value"] for e in report["environment"]}
    assert environment["TILEDB_REST_TOKEN"].startswith("****")
    assert environment["TILEDB_CLIENT_SECRETS_FILE"] == str(vault)
    assert environment["TILEDB_CLIENT_SECRET_BACKEND"] == "encrypted-file"
    shadow = by_subject(report, "environment")["TILEDB_REST_TOKEN"]
    assert "shadows the credentials stored in profile 'default'" in str(shadow["message"])
    assert by_subject(report, "backends")["encrypted-file"]["severity"] == "ok"

    assert by_subject(report, "backends")["vault"]["severity"] == "ok"  # it unlocks

    wrong = {"TILEDB_CLIENT_PASSPHRASE": "not the vault passphrase"}
    failed = cli("doctor", "--profile", "gone", "--timeout", "2", env=wrong, expect=1)
    assert "http://127.0.0.1:9" in failed.stdout
    assert "chmod 600" in failed.stdout
    assert "\terror\tvault\tcannot unlock" in failed.stdout
    assert "Error: 2 problem(s) would stop a login" in failed.stderr


def test_backends_lists_builtins_and_plugins(cli: Cli, vault: Path, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    (plugins / "fake_backend_plugin-1.0.dist-info").mkdir(parents=True)
    (plugins / "fake_backend_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-backend-plugin\nVersion: 1.0\n"
    )
    (plugins / "fake_backend_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[tiledb.client.secret_backends]\nmemory = fake_backend_plugin:MemoryBackend\n"
        "broken = fake_backend_plugin:Missing\n"
    )
    (plugins / "fake_backend_plugin.py").write_text(
        "from tiledb.client.secrets.base import Availability, SecretBackend\n"
        "class MemoryBackend(SecretBackend):\n"
        "    name = 'memory'\n"
        "    description = 'a test plugin'\n"
        "    def probe(self): return Availability(True, 'always')\n"
        "    def get(self, key): return None\n"
        "    def set(self, key, secret): pass\n"
        "    def delete(self, key): return False\n"
    )
    env = {"PYTHONPATH": str(plugins), "TILEDB_CLIENT_SECRET_BACKEND": ""}
    report = cli("backends", "--json", env=env).json()
    names = {b["name"]: b for b in report["backends"]}
    assert list(names)[:2] == ["keyring", "encrypted-file"]
    assert names["memory"]["plugin"] is True
    assert names["memory"]["available"] is True
    assert names["broken"]["available"] is False
    assert "failed to load" in names["broken"]["reason"]
    # No D-Bus session here: the keyring cannot answer, the vault's passphrase is set.
    assert names["keyring"]["available"] is False
    assert report["selected"]["name"] == "encrypted-file"
    chosen = cli("backends", "--backend", "memory", env=env)
    assert "selected\tmemory\tnamed by --backend" in chosen.stdout
    piped = cli("backends", env={**env, "TILEDB_CLIENT_SECRET_BACKEND": "encrypted-file"})
    assert "\033[" not in piped.stdout
    lines = [line.split("\t") for line in piped.stdout.splitlines()]
    assert lines[-1][:2] == ["selected", "encrypted-file"]


def test_backends_selects_the_keyring_when_it_answers(
    cli: Cli, vault: Path, secret_service: str
) -> None:
    # Both could store a secret; the automatic order puts the OS keyring first.
    env = {"TILEDB_CLIENT_SECRET_BACKEND": ""}
    report = cli("backends", "--json", env=env).json()
    names = {b["name"]: b for b in report["backends"]}
    assert names["keyring"]["available"] is True
    assert names["encrypted-file"]["available"] is True
    assert report["selected"]["name"] == "keyring"
    doctor = cli("doctor", "--json", "--offline", env=env, expect=None).json()
    assert doctor["selection"]["name"] == "keyring"
