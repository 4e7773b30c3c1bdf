"""README's main job, ``scripts/demo``, with the OS keyring as its backend."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tiledb.client.secrets.keyring_backend import KeyringBackend

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("hermetic_env")
def test_the_demo_leaves_no_secret_in_the_keyring(secret_service: str) -> None:
    """Issue 20, finding 4: ``DEMO_BACKEND=keyring scripts/demo`` left 2 items behind."""
    env = dict(os.environ, DEMO_BACKEND="keyring", SETUP_APT="0")
    ran = subprocess.run(
        [str(ROOT / "scripts" / "demo")], env=env, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "==> tiledb-client whoami" in ran.stdout
    assert '"client.secret_backend": "keyring"' in ran.stdout
    assert KeyringBackend().keys() == []  # the password and the cached session token: gone
