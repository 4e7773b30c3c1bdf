"""The unlock agent's key table (:class:`tiledb.client.secrets.agent_server.Agent`), in process."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.backends import CHEAP_POLICY
from tiledb.client.errors import SecretBackendError
from tiledb.client.secrets import encrypted_file, registry
from tiledb.client.secrets.agent_server import Agent


def _unlock_request(vault: Path) -> dict[str, object]:
    registry.get_backend("encrypted-file").set("name", "a secret")  # makes the vault
    found = encrypted_file._read_vault(vault, CHEAP_POLICY)
    assert found is not None
    key = encrypted_file._unlock(found)
    return {"op": "unlock", "vault": str(vault), "key": base64.b64encode(key).decode(), "ttl": 0}


def test_an_agent_that_decided_to_exit_takes_no_key(vault: Path) -> None:
    request = _unlock_request(vault)
    exiting = Agent(memory_locked=False, policy=CHEAP_POLICY)
    exiting.answer({"op": "lock"})  # nothing held, no start grace: it will exit
    assert not exiting.alive()
    with pytest.raises(SecretBackendError, match="was exiting") as refused:
        exiting.answer(request)
    assert refused.value.hint == "Run `tiledb-client unlock` again."
    assert exiting.keys == {}
    assert not exiting.alive()

    live = Agent(memory_locked=False, policy=CHEAP_POLICY)
    assert live.answer(request) == {"vault": str(vault), "expires": None}
    assert live.alive()
    assert live.answer({"op": "get", "vault": str(vault), "name": "name"})["held"] is True
