"""No token or password ever lands in a file in clear, whatever the backend."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.secret_service import SecretServiceBus

import tiledb.client
from tiledb.client.session import current as session_module
from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, LocalServer


def files_containing(root: Path, needles: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path}: {needle[:4]}..." for needle in needles if needle.encode() in data]
    return found


@pytest.mark.parametrize("backend", ["encrypted-file", "keyring"])
def test_no_secret_in_any_file_under_home(
    backend: str,
    local_server: LocalServer,
    hermetic_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    roots = [hermetic_env]
    if backend == "keyring":
        bus: SecretServiceBus = request.getfixturevalue("secret_service_bus")
        request.getfixturevalue("secret_service")
        roots.append(bus.root)  # gnome-keyring's own files
    else:
        # The vault in its default place, under the user data dir of HOME.
        request.getfixturevalue("vault")
        monkeypatch.delenv("TILEDB_CLIENT_SECRETS_FILE")
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", backend)
    environ_before = dict(os.environ)
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url, profile_name="tok")
    tiledb.client.configure(
        username="ada",
        password=DEFAULT_PASSWORD,
        workspace="acme",
        host=local_server.url,
        profile_name="pw",
    )
    tiledb.client.login(profile_name="tok")
    tiledb.client.get_user()
    tiledb.client.login(profile_name="pw")  # mints and caches a session token
    current = session_module.peek()
    assert current is not None
    assert os.environ == environ_before  # nothing writes os.environ
    if backend == "encrypted-file":
        assert list((hermetic_env / ".local" / "share").rglob("secrets.vault"))
    assert (hermetic_env / ".tiledb" / "profiles.json").is_file()
    secrets = [DEFAULT_TOKEN, DEFAULT_PASSWORD, current.token]
    for root in roots:
        assert files_containing(root, secrets) == []
