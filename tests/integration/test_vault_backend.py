"""The ``vault`` backend against a real OpenBao dev server on loopback (tests/vault_server.py)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.vault_server import ROOT_TOKEN, BaoServer, start_bao

import tiledb.client
from tiledb.client.errors import BackendUnavailableError, SecretBackendError
from tiledb.client.secrets.registry import get_backend
from tiledb.client.secrets.vault_kv import VaultBackend
from tiledb.client.testing.backend_conformance import BackendConformance

HOST = "https://api.example.com"
KEY = "token: prod @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    server = start_bao(tmp_path_factory.mktemp("bao"))
    yield server
    server.stop()


@pytest.fixture
def own_bao(tmp_path: Path) -> Iterator[BaoServer]:
    """A server of this test alone, for tests that stop or seal it."""
    server = start_bao(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def vault_env(bao: BaoServer, monkeypatch: pytest.MonkeyPatch) -> BaoServer:
    monkeypatch.setenv("VAULT_ADDR", bao.address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    return bao


def _entry(bao: BaoServer, path: str, mount: str = "secret") -> dict[str, str]:
    answer = json.loads(bao.cli("kv", "get", "-format=json", f"-mount={mount}", path))
    return dict(answer["data"]["data"])


class TestVaultConformance(BackendConformance):
    @pytest.fixture
    def backend(self, vault_env: BaoServer) -> VaultBackend:
        return VaultBackend()


def test_registered_through_the_plugin_entry_point(vault_env: BaoServer) -> None:
    backend = get_backend("vault")
    assert type(backend).__name__ == "GuardedPlugin"
    assert backend.probe().available


def test_one_entry_per_profile_secret_under_mount_and_prefix(vault_env: BaoServer) -> None:
    VaultBackend().set(KEY, "tok-1")
    assert _entry(vault_env, "tiledb-client/prod/token") == {"value": "tok-1", "key": KEY}
    vault_env.cli("secrets", "enable", "-path=team", "kv-v2")
    other = VaultBackend(mount="team", path="/fleet/a/")
    other.set(KEY.replace("prod", "my lab"), "tok-2")
    assert _entry(vault_env, "fleet/a/my~20lab/token", "team")["value"] == "tok-2"
    assert other.get(KEY) is None


def test_settings_come_from_the_environment(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault_env.cli("secrets", "enable", "-path=kv-env", "kv-v2")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_MOUNT", "kv-env")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_PATH", "ops")
    VaultBackend().set(KEY, "tok-env")
    assert _entry(vault_env, "ops/prod/token", "kv-env")["value"] == "tok-env"


def test_token_from_bao_token_and_vault_token_file(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch, hermetic_env: Path
) -> None:
    monkeypatch.delenv("VAULT_TOKEN")
    assert "No Vault token" in VaultBackend().probe().reason
    (hermetic_env / ".vault-token").write_text(ROOT_TOKEN + "\n")
    assert VaultBackend().probe().available
    (hermetic_env / ".vault-token").unlink()
    monkeypatch.setenv("BAO_TOKEN", ROOT_TOKEN)
    VaultBackend().set(KEY, "tok-bao")
    assert VaultBackend().get(KEY) == "tok-bao"


def test_delete_leaves_an_entry_another_profile_wrote(vault_env: BaoServer) -> None:
    backend, other = VaultBackend(), KEY.replace("[1f3a9c2e]", "[00000000]")
    backend.set(KEY, "mine")
    backend.set(other, "theirs")  # another machine's profile of the same name
    assert backend.get(KEY) == "theirs"
    assert backend.delete(KEY) is False
    assert backend.delete(other) is True
    assert backend.get(other) is None


def _configure(home: Path, token: str, *, overwrite: bool = False) -> None:
    tiledb.client.configure(
        token=token,
        workspace="ws",
        host=HOST,
        profile_name="prod",
        profile_dir=str(home),
        overwrite=overwrite,
        secret_backend="vault",
    )


def _login_token(home: Path) -> str:
    tiledb.client.login(profile_name="prod", profile_dir=str(home))
    return str(tiledb.client.Config()["rest.token"])


def test_two_homes_share_one_secret(vault_env: BaoServer, tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    _configure(home_a, "tok-from-a")
    _configure(home_b, "tok-from-b")
    assert _login_token(home_a) == "tok-from-b"  # stored from B, used by a login on A
    _configure(home_a, "tok-rotated-on-a", overwrite=True)
    assert _login_token(home_b) == "tok-rotated-on-a"
    _configure(home_b, "tok-rotated-on-b", overwrite=True)
    assert _login_token(home_a) == "tok-rotated-on-b"
    assert _login_token(home_b) == "tok-rotated-on-b"
    profiles = (home_a / "profiles.json").read_text() + (home_b / "profiles.json").read_text()
    assert "tok-" not in profiles
    assert (
        json.loads((home_a / "profiles.json").read_text())["prod"]["client.secret_backend"]
        == "vault"
    )


def test_cli_overwrite_from_either_home_reaches_both(
    vault_env: BaoServer, tmp_path: Path, hermetic_env: Path
) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    _configure(home_a, "tok-one")
    _configure(home_b, "tok-one")
    result = subprocess.run(
        [sys.executable, "-m", "tiledb.client", "configure", "--profile", "prod", "--host",
         HOST, "--workspace", "ws", "--token-stdin", "--backend", "vault", "--overwrite",
         "--no-verify"],
        input="tok-two", capture_output=True, text=True, timeout=60,
        env={**_env(), "TILEDB_PROFILE_DIR": str(home_b)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "tok-two" not in result.stdout + result.stderr
    assert _login_token(home_a) == "tok-two"


def _cli(home: Path, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tiledb.client", "configure", "--profile", "prod"]
    command += ["--host", HOST, "--workspace", "ws", "--token-stdin", "--no-verify", *args]
    env = {**_env(), "TILEDB_PROFILE_DIR": str(home)}
    return subprocess.run(command, input=token, capture_output=True, text=True, env=env)


def test_cli_options_choose_the_location_and_the_profile_records_it(
    vault_env: BaoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault_env.cli("secrets", "enable", "-path=fleet", "kv-v2")
    home = tmp_path / "a"
    result = _cli(
        home,
        "--backend",
        "vault",
        "--vault-mount",
        "fleet",
        "--vault-path",
        "ops/",
        token="tok-cli",
    )
    assert result.returncode == 0, result.stderr
    profile = json.loads((home / "profiles.json").read_text())["prod"]
    assert profile["client.secret_store"] == f"mount=fleet path=ops/ address={vault_env.address}"
    assert _entry(vault_env, "ops/prod/token", "fleet")["value"] == "tok-cli"
    monkeypatch.delenv("VAULT_ADDR")  # the profile says where the server and the entry are
    assert _login_token(home) == "tok-cli"
    result = _cli(home, "--backend", "vault", "--overwrite", token="tok-cli-2")  # keeps the place
    assert result.returncode == 0, result.stderr
    assert _entry(vault_env, "ops/prod/token", "fleet")["value"] == "tok-cli-2"
    result = _cli(tmp_path / "b", "--vault-path", "x/", "--backend", "keyring", token="tok-no")
    assert result.returncode != 0
    assert "need --backend vault" in result.stderr


def _env() -> dict[str, str]:
    return dict(os.environ)


def test_a_login_reads_the_token_without_importing_hvac(
    vault_env: BaoServer, tmp_path: Path
) -> None:
    # Nor what a login by environment token does not load (docs/performance.md): the
    # plugin lookup reads entry_points.txt files, not importlib.metadata (20 ms).
    _configure(tmp_path, "tok-quick")
    code = (
        "import sys, tiledb.client\n"
        f"tiledb.client.login(profile_name='prod', profile_dir={str(tmp_path)!r})\n"
        "unused = ['hvac', 'importlib.metadata', 'pathlib', 'urllib.parse', 'logging']\n"
        "print(tiledb.client.Config()['rest.token'], [m for m in unused if m in sys.modules])"
    )
    # -S: no .pth files, so no editable-install finder preloading pathlib for us
    path = os.pathsep.join([str(Path(tiledb.client.__file__).parents[2]), *sys.path[1:]])
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        env=dict(_env(), PYTHONPATH=path),
    )
    assert result.stdout.split() == ["tok-quick", "[]"], result.stderr


def test_tls_server_verified_with_vault_cacert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_bao(tmp_path, tls=True)
    try:
        monkeypatch.setenv("VAULT_ADDR", server.address)
        monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
        with pytest.raises(BackendUnavailableError, match="could not be verified"):
            VaultBackend().set(KEY, "tok-tls")
        monkeypatch.setenv("VAULT_CACERT", str(tmp_path / "vault-ca.pem"))
        backend = VaultBackend()
        backend.set(KEY, "tok-tls")
        assert backend.get(KEY) == "tok-tls"
        assert backend._quick_read(backend.settings(KEY), KEY)["data"]["data"]["value"] == "tok-tls"
    finally:
        server.stop()


def test_without_hvac_the_probe_says_what_to_install(vault_env: BaoServer) -> None:
    code = (
        "import sys; sys.modules['hvac'] = None\n"
        "from tiledb.client.secrets.vault_kv import VaultBackend\n"
        "print(VaultBackend().probe().reason)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env()
    )
    assert result.stdout.strip() == "hvac is not installed", result.stderr


def test_keys_lists_nothing_without_a_server_and_cannot_list_shared_entries(
    monkeypatch: pytest.MonkeyPatch, vault_env: BaoServer
) -> None:
    assert VaultBackend().keys() is None  # entries are shared: none is one file's orphan
    monkeypatch.delenv("VAULT_ADDR")
    assert VaultBackend().keys() == []


def test_unreachable_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:9")
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    with pytest.raises(BackendUnavailableError, match="could not be reached") as error:
        VaultBackend().get(KEY)
    assert "VAULT_ADDR" in str(error.value.hint)
    assert not VaultBackend().probe().available


def _wait_until_stopped(pid: int) -> None:
    """Until the kernel shows every thread of ``pid`` stopped ("T"): a signal is delivered late
    under load, and a server still running answered once (one CI-like run in many)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        states = {
            p.read_text().rsplit(")", 1)[1].split()[0]
            for p in Path(f"/proc/{pid}/task").glob("*/stat")
        }
        if states == {"T"}:
            return
        time.sleep(0.01)
    pytest.fail(f"bao (pid {pid}) did not stop within 10 s")


def test_stopped_server_fails_within_the_deadline(
    own_bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULT_ADDR", own_bao.address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_TIMEOUT", "1")
    backend = VaultBackend()
    backend.set(KEY, "tok-before")
    own_bao.process.send_signal(signal.SIGSTOP)
    _wait_until_stopped(own_bao.process.pid)
    try:
        start = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="did not answer within 1 s"):
            backend.get(KEY)
        assert time.monotonic() - start < 3
        assert not backend.probe().available
    finally:
        own_bao.process.send_signal(signal.SIGCONT)
    assert backend.get(KEY) == "tok-before"  # nothing lost


def test_sealed_server_gives_the_sealed_error(
    own_bao: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAO_ADDR", own_bao.address)
    monkeypatch.setenv("BAO_TOKEN", ROOT_TOKEN)
    backend = VaultBackend()
    backend.set(KEY, "tok-sealed")
    own_bao.cli("operator", "seal")
    with pytest.raises(BackendUnavailableError, match="is sealed") as error:
        backend.get(KEY)
    assert "unseal" in str(error.value.hint)
    assert backend.probe().reason.endswith("is sealed")
    own_bao.cli("operator", "unseal", own_bao.unseal_key())
    assert backend.get(KEY) == "tok-sealed"


def test_permission_denied_names_the_policy_path(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    vault_env.cli(
        "policy", "write", "elsewhere", "-", stdin='path "secret/data/x/*" {capabilities=["read"]}'
    )
    token = vault_env.cli("token", "create", "-policy=elsewhere", "-field=token").strip()
    monkeypatch.setenv("VAULT_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SecretBackendError, match="permission denied") as error:
        VaultBackend().set(KEY, "tok-denied")
    assert 'path "secret/data/tiledb-client/*"' in str(error.value.hint)
    assert token not in str(error.value) + caplog.text
    assert "tok-denied" not in str(error.value) + caplog.text


def test_expired_token_is_named_as_such(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = vault_env.cli("token", "create", "-ttl=1s", "-field=token").strip()
    monkeypatch.setenv("VAULT_TOKEN", token)
    time.sleep(1.5)
    with pytest.raises(SecretBackendError, match="expired, revoked or wrong") as error:
        VaultBackend().get(KEY)
    assert token not in str(error.value)
    assert "VAULT_TOKEN" in str(error.value)


def test_kv_version_1_mount_is_refused(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault_env.cli("secrets", "enable", "-path=old", "-version=1", "kv")
    backend = VaultBackend(mount="old")
    with pytest.raises(SecretBackendError, match="KV version 2 is needed"):
        backend.set(KEY, "tok-v1")
    with pytest.raises(SecretBackendError, match="no secrets engine at nowhere/"):
        VaultBackend(mount="nowhere").get(KEY)


def test_approle_login(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    vault_env.cli("auth", "enable", "approle")
    vault_env.cli(
        "policy", "write", "tiledb", "-",
        stdin='path "secret/data/tiledb-client/*" {capabilities=["create","read","update","delete"]}',  # noqa: E501
    )  # fmt: skip
    vault_env.cli("write", "auth/approle/role/app", "token_policies=tiledb")
    role_id = vault_env.cli("read", "-field=role_id", "auth/approle/role/app/role-id").strip()
    secret_id = vault_env.cli("write", "-f", "-field=secret_id", "auth/approle/role/app/secret-id")
    (tmp_path / "secret-id").write_text(secret_id)
    monkeypatch.delenv("VAULT_TOKEN")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_AUTH", "approle")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_ROLE", role_id)
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_SECRET_ID_FILE", str(tmp_path / "secret-id"))
    backend = VaultBackend()
    backend.set(KEY, "tok-approle")
    assert backend.get(KEY) == "tok-approle"
    assert backend.capabilities() == ["create", "delete", "read", "update"]
    (tmp_path / "secret-id").write_text("not-the-secret-id")
    with pytest.raises(SecretBackendError, match="approle login") as error:
        VaultBackend().get(KEY)
    assert "not-the-secret-id" not in str(error.value)


def test_kubernetes_login_reads_the_service_account_token_file(
    vault_env: BaoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VAULT_TOKEN")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_AUTH", "kubernetes")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_ROLE", "tiledb-client")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_JWT_FILE", str(tmp_path / "missing"))
    with pytest.raises(BackendUnavailableError, match="TILEDB_CLIENT_VAULT_JWT_FILE"):
        VaultBackend().get(KEY)
    (tmp_path / "sa-token").write_text("eyJ.not-a-real.jwt")
    monkeypatch.setenv("TILEDB_CLIENT_VAULT_JWT_FILE", str(tmp_path / "sa-token"))
    with pytest.raises(SecretBackendError) as error:  # no kubernetes auth method on this server
        VaultBackend().get(KEY)
    assert "eyJ.not-a-real.jwt" not in str(error.value)
    assert "kubernetes" in str(error.value)


def test_doctor_reports_the_vault_backend(vault_env: BaoServer, hermetic_env: Path) -> None:
    _configure(hermetic_env / ".tiledb", "tok-doctor")
    result = subprocess.run(
        [sys.executable, "-m", "tiledb.client", "doctor", "--profile", "prod", "--offline"],
        capture_output=True, text=True, timeout=60, env=_env(),
    )  # fmt: skip
    out = result.stdout
    assert vault_env.address in out
    assert "token login" in out
    assert "unsealed" in out
    assert "read and write" in out
    assert ROOT_TOKEN not in out + result.stderr
    assert "tok-doctor" not in out + result.stderr
