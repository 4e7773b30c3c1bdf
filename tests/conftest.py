"""Hermetic test environment: every test gets its own HOME, XDG dirs and profile dir.

Nothing here touches the real user's ``~/.tiledb``, keyring collection or network.
Variables that would let a test read the developer's real settings are removed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.secret_service"]

_CLEARED_PREFIXES = ("TILEDB_", "PYTHON_KEYRING", "KEYRING_")


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME, XDG dirs and the TileDB profile dir into ``tmp_path``."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("TILEDB_PROFILE_DIR", str(home / ".tiledb"))
    # Keep requests away from any proxy configured on the machine: tests are loopback only.
    monkeypatch.setenv("NO_PROXY", "*")
    from tiledb.client.secrets import registry

    registry._reset_for_tests()
    yield home
    registry._reset_for_tests()
