"""What code written for the vendor's ``tiledb-client`` reads on our models and Client."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import tiledb.client
from tiledb.client.basics.models import (
    APIToken,
    User,
    UserRole,
    UserSelfWorkspace,
    Workspace,
    WorkspaceRole,
)
from tiledb.client.basics.retry_modes import RetryMode


def _users_self() -> dict:  # type: ignore[type-arg]
    return {
        "user": {
            "id": "usr_9f1c2a7e4b8d4c0e",
            "display_name": "Ada Lovelace",
            "image_id": None,
            "email": "ada@example.com",
            "is_valid_email": True,
            "role": "member",
            "username": "ada",
            "timezone": "Europe/London",
            "created_at": "2025-01-15T10:20:30Z",
            "updated_at": "2025-06-01T08:00:00Z",
            "deleted_at": "2026-02-01T00:00:00Z",
        },
        "workspace": {
            "workspace_id": "ws_2b7c9d1e3f4a5b6c",
            "image_id": None,
            "name": "acme",
            "created_by": {
                "user_id": "usr_0000000000000001",
                "username": "owner",
                "display_name": "Org Owner",
                "email": "owner@example.com",
                "image_id": None,
                "role": "owner",
                "added_by": "usr_0000000000000001",
                "created_at": "2024-12-01T00:00:00Z",
            },
            "description": "ACME research workspace",
            "self": {
                "user_id": "usr_9f1c2a7e4b8d4c0e",
                "username": "ada",
                "display_name": "Ada Lovelace",
                "email": "ada@example.com",
                "image_id": None,
                "role": "admin",
                "added_by": "usr_0000000000000001",
                "created_at": "2025-01-15T10:21:00Z",
                "deleted_at": None,
            },
            "created_at": "2024-12-01T00:00:00Z",
            "updated_at": "2025-05-05T12:00:00Z",
        },
    }


def _wire(value: object) -> object:
    """A wire document as to_dict() gives it: timestamps parsed, missing keys None."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, str) and value.endswith("Z") and value[:4].isdigit():
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)
    return value


def test_user_to_dict_has_the_wire_keys_and_deleted_at() -> None:
    data = _users_self()["user"]
    user = User.from_json(data)
    assert user.deleted_at == datetime(2026, 2, 1, tzinfo=timezone.utc)
    assert user.to_dict() == _wire(data)
    assert user.to_dict()["role"] == "member"
    assert type(user.to_dict()["role"]) is str


def test_workspace_to_dict_has_the_wire_keys_with_self() -> None:
    data = _users_self()["workspace"]
    expected = _wire(data)
    expected["created_by"]["deleted_at"] = None  # type: ignore[index]
    listed = UserSelfWorkspace.from_json(data)
    assert listed.to_dict() == expected
    workspace = Workspace.from_json(data)
    assert workspace.to_dict() == expected  # workspace_role is ours, not the wire's
    assert "workspace_role" not in workspace.to_dict()
    assert json.loads(json.dumps(workspace.to_dict(), default=str))["self"]["role"] == "admin"


def test_self_is_the_callers_membership_on_both_workspace_types() -> None:
    data = _users_self()["workspace"]
    for model in (UserSelfWorkspace.from_json(data), Workspace.from_json(data)):
        assert model._self is model.membership
        assert model._self is not None
        assert (model._self.username, model._self.role) == ("ada", "admin")
        assert model._self.deleted_at is None
    assert Workspace.from_listed(UserSelfWorkspace.from_json(data))._self is not None
    assert Workspace(workspace_id="ws_1")._self is None


@pytest.mark.parametrize(
    ("role", "wire"),
    [(UserRole.MEMBER, "member"), (UserRole.OWNER, "owner"), (WorkspaceRole.ADMIN, "admin")],
)
def test_roles_print_as_their_wire_value(role: UserRole | WorkspaceRole, wire: str) -> None:
    assert str(role) == wire
    assert f"{role}" == wire
    assert format(role, ">8") == wire.rjust(8)
    assert "%s" % role == wire  # noqa: UP031 - the old formatting too
    assert role == wire
    assert role.value == wire


def test_token_to_dict_leaves_the_api_key_out_unless_asked() -> None:
    token = APIToken.from_json(
        {"token_id": "tok_1", "api_key": "s3cret-key", "name": "n", "scope": "*"}
    )
    assert "api_key" not in token.to_dict()
    assert "s3cret-key" not in repr(token)
    assert token.to_dict(include_api_key=True)["api_key"] == "s3cret-key"
    assert token.to_dict()["token_id"] == "tok_1"


def test_retry_mode_maybe_from_takes_the_vendors_keyword() -> None:
    assert RetryMode.maybe_from(v="forceful") is RetryMode.FORCEFUL
    assert RetryMode.maybe_from("DISABLED") is RetryMode.DISABLED
    assert RetryMode.maybe_from(v=RetryMode.DEFAULT) is RetryMode.DEFAULT
    assert tiledb.client.RetryMode.maybe_from(v="default") is RetryMode.DEFAULT
    with pytest.raises(ValueError, match="Unknown retry mode 'sometimes'"):
        RetryMode.maybe_from(v="sometimes")


def test_client_retry_setters_change_the_mode() -> None:
    client = tiledb.client.Client()
    client.set_forceful_retries()
    assert client.mode is RetryMode.FORCEFUL
    client.set_disable_retries()
    assert client.mode is RetryMode.DISABLED
    client.set_default_retries()
    assert client.mode is RetryMode.DEFAULT


def test_dir_lists_every_public_name() -> None:
    names = dir(tiledb.client)
    missing = [name for name in tiledb.client.__all__ if name not in names]
    assert missing == []
    for name in ("configure", "Workspace", "login", "Client", "RetryMode"):
        assert name in tiledb.client.__all__
        assert getattr(tiledb.client, name) is not None
    assert tiledb.client.Workspace is Workspace
