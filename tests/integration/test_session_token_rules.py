"""Every session token this tool mints is recorded where logout finds it, or revoked.

Issue 22: a cached token replaced near its expiry was overwritten without being revoked
(finding 4), and a cached token of workspace A was reused for workspace B (finding 6).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import tiledb.client
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.registry import get_backend
from tiledb.client.session import current as session_module
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)


def _active(server: LocalServer) -> list[str]:
    return [t.token_id for t in server.tokens if t.name.startswith("login-session-") and t.active]


def _age_the_cached_record(minutes: float) -> None:
    profile = ProfileStore().get("default")
    assert profile is not None
    backend, key = (
        get_backend("encrypted-file"),
        secret_entry_key(profile["client.secret_id"], "session"),
    )
    record = json.loads(backend.get(key) or "{}")
    record["expires_at"] = (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat()
    backend.set(key, json.dumps(record))


@pytest.fixture
def ada(local_server: LocalServer, vault: Path) -> LocalServer:
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD,
        workspace=DEFAULT_WORKSPACE, host=local_server.url,
    )  # fmt: skip
    return local_server


@pytest.mark.parametrize("minutes", [2, -1], ids=["near-expiry", "expired-by-our-clock"])
def test_a_replaced_cached_token_is_revoked(ada: LocalServer, minutes: float) -> None:
    for _ in range(5):
        tiledb.client.login()
        _age_the_cached_record(minutes)  # the next login replaces it
    assert len(_active(ada)) == 1  # before: 5, one per login
    tiledb.client.logout()
    assert _active(ada) == []


def test_a_cached_token_serves_only_its_workspace(
    ada: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada.add_workspace("beta", members={DEFAULT_USERNAME: "member"})
    tiledb.client.login()
    acme = session_module.peek()
    assert acme is not None
    monkeypatch.setenv("TILEDB_REST_WORKSPACE", "beta")
    tiledb.client.login()
    beta = session_module.peek()
    assert beta is not None
    assert beta.token != acme.token  # before: workspace A's token, reported as B
    minted = {t.api_key: t.workspace_id for t in ada.tokens if t.active}
    assert minted[beta.token] == beta.workspace_id != minted.get(acme.token, "revoked")
    assert tiledb.client.get_workspace().name == "beta"
