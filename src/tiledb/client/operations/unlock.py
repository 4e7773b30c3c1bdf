"""``unlock``, ``lock`` and the status of the unlock agent (SECURITY.md, "The unlock agent")."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from tiledb.client.errors import SecretBackendError
from tiledb.client.secrets import encrypted_file, unlock_agent
from tiledb.client.secrets.passphrase import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV

if TYPE_CHECKING:
    from pathlib import Path

    from tiledb.client.secrets.passphrase import PassphraseSource

__all__ = ["agent_status", "lock", "start_agent", "unlock"]

START_TIMEOUT = 5.0
"""Seconds a new agent has to answer."""


def start_agent() -> None:
    """Start the user's agent unless one answers: detached, without the passphrase variables."""
    if unlock_agent.call({"op": "status"}) is not None:
        return
    from tiledb.client.secrets.agent_server import private_directory

    problem = private_directory(unlock_agent.agent_dir())
    if problem is not None:
        raise SecretBackendError(f"Cannot start the unlock agent: {problem}.")
    hidden = (PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, "CREDENTIALS_DIRECTORY")
    env = {name: value for name, value in os.environ.items() if name not in hidden}
    agent = subprocess.Popen(
        [sys.executable, "-m", "tiledb.client.secrets.agent_server"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd="/",
    )
    agent.returncode = 0  # detached: it outlives us, so not ours to wait for
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if unlock_agent.call({"op": "status"}) is not None:
            return
        time.sleep(0.02)
    raise SecretBackendError(f"The unlock agent did not start within {START_TIMEOUT:g} s.")


def unlock(
    *, vault: Path | None = None, source: PassphraseSource | None = None, ttl: float = 8 * 3600
) -> dict[str, Any]:
    """Check the passphrase against ``vault`` and hand its key to the agent for ``ttl`` s.

    ``ttl`` 0: no limit. Returns ``{"vault": ..., "expires": epoch seconds or None}``.
    """
    path = vault or encrypted_file.vault_path()
    key = encrypted_file.key_of(path, source)
    start_agent()
    request = {"op": "unlock", "vault": str(path), "ttl": ttl}
    answer = unlock_agent.call({**request, "key": base64.b64encode(key).decode("ascii")})
    if answer is None:
        raise SecretBackendError("The unlock agent exited before it took the key.")
    return answer


def lock() -> bool:
    """Make the agent forget every key (it then exits); return whether one was running."""
    return unlock_agent.call({"op": "lock"}) is not None


def agent_status() -> dict[str, Any] | None:
    """The agent's status (``pid``, ``memory_locked``, ``unlocked``), or ``None``: none runs."""
    return unlock_agent.call({"op": "status"})
