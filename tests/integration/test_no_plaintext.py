"""No token or password ever lands in a file in clear, whatever the backend."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from tests.secret_forms import forms_found
from tests.secret_service import SecretServiceBus

import tiledb.client
from tiledb.client.session import current as session_module
from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, LocalServer


def files_containing(root: Path, needles: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found += [f"{path}: {form}" for form in forms_found(path.read_bytes(), needles)]
    return found


@pytest.mark.parametrize(
    "store",
    ["keyrings.alt plaintext", "hex", "utf-16", "base64 in a blob"],
)
def test_the_search_finds_encoded_secrets(store: str, tmp_path: Path) -> None:
    secret = DEFAULT_TOKEN
    if store == "keyrings.alt plaintext":
        from keyrings.alt.file import PlaintextKeyring

        ring = PlaintextKeyring()
        ring.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
        ring.set_password("tiledb-client", "token: default", secret)
        assert secret.encode() not in (tmp_path / "keyring_pass.cfg").read_bytes()
    elif store == "hex":
        (tmp_path / "f").write_text(f"value={secret.encode().hex()}")
    elif store == "utf-16":
        (tmp_path / "f").write_bytes(f"[{secret}]".encode("utf-16-le"))
    else:
        for shift in range(3):
            blob = base64.b64encode(b"x" * shift + secret.encode() + b"tail")
            (tmp_path / f"f{shift}").write_bytes(blob)
    found = files_containing(tmp_path, [secret])
    assert found, store
    if store == "base64 in a blob":
        assert len(found) >= 3


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
    # Only the password session's token is published, for TileDB core (SECURITY.md).
    assert dict(os.environ) == {**environ_before, "TILEDB_REST_TOKEN": current.token}
    if backend == "encrypted-file":
        assert list((hermetic_env / ".local" / "share").rglob("secrets.vault"))
    assert (hermetic_env / ".tiledb" / "profiles.json").is_file()
    secrets = [DEFAULT_TOKEN, DEFAULT_PASSWORD, current.token]
    for root in roots:
        assert files_containing(root, secrets) == []
