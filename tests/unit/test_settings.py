"""Settings resolution: argument > environment > profile > default, with sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiledb.client.basics.errors import ConfigurationError
from tiledb.client.basics.masking import mask
from tiledb.client.basics.protocol import workspace_from_token
from tiledb.client.session.settings import PlaintextSecretWarning, resolve
from tiledb.client.storage.profiles import ProfileStore


@pytest.fixture
def store(hermetic_env: Path) -> ProfileStore:
    return ProfileStore()


def test_env_token_without_any_profile_is_a_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", "tok-ws_abc123-x")
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", "localhost:8080/")
    settings = resolve()
    assert settings.token is not None
    assert settings.token.value == "tok-ws_abc123-x"
    assert settings.token.source == "TILEDB_REST_TOKEN"
    assert settings.host.value == "https://localhost:8080"
    assert settings.profile is None
    assert settings.backend is None


def test_no_credentials_anywhere_is_a_clear_error(store: ProfileStore) -> None:
    with pytest.raises(ConfigurationError, match="profile 'default' does not exist"):
        resolve()


def test_precedence_per_field(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(
        "default",
        {
            "rest.server_address": "https://profile.example",
            "rest.workspace": "from-profile",
            "rest.token": "plain-profile-token",
        },
    )
    monkeypatch.setenv("TILEDB_REST_WORKSPACE", "from-env")
    with pytest.warns(PlaintextSecretWarning, match="tiledb-client migrate --profile default"):
        settings = resolve(arguments={"host": "http://arg.example"})
    assert (settings.host.value, settings.host.source) == ("http://arg.example", "argument")
    assert (settings.workspace.value, settings.workspace.source) == (
        "from-env",
        "TILEDB_REST_WORKSPACE",
    )
    assert settings.token is not None
    assert settings.token.source.endswith("plain text")


def test_env_credentials_shadow_the_profile_as_a_unit(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(
        "default",
        {"rest.server_address": "https://p.example", "rest.token": "stored", "rest.workspace": "w"},
    )
    monkeypatch.setenv("TILEDB_REST_USERNAME", "ada")
    monkeypatch.setenv("TILEDB_REST_PASSWORD", "env-password")
    with pytest.warns(PlaintextSecretWarning):
        settings = resolve()
    assert settings.token is None
    assert settings.password is not None
    assert settings.password.source == "TILEDB_REST_PASSWORD"
    assert settings.shadowed
    assert "TILEDB_REST_PASSWORD" in settings.shadowed[0]


def test_password_without_username_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_PASSWORD", "pw")
    with pytest.raises(ConfigurationError, match="no username"):
        resolve()


def test_verify_ssl_from_core_and_vendor_keys(store: ProfileStore) -> None:
    store.save("core", {"ssl.verify": "false", "rest.token": "t"})
    store.save("vendor", {"rest.verify_ssl": "false", "rest.token": "t"})
    store.save("bad", {"ssl.verify": "maybe", "rest.token": "t"})
    with pytest.warns(PlaintextSecretWarning):
        assert resolve("core").verify_ssl.value is False
        assert resolve("vendor").verify_ssl.value is False
        with pytest.raises(ConfigurationError, match="true or false"):
            resolve("bad")


def test_rows_and_summary_mask_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "tdb-very-secret-token-value"
    monkeypatch.setenv("TILEDB_REST_TOKEN", secret)
    settings = resolve()
    text = repr(settings) + settings.summary() + repr(settings.rows())
    assert secret not in text
    assert "TILEDB_REST_TOKEN" in settings.summary()
    assert "****lue" in {name: shown for name, shown, _ in settings.rows()}["token"]


def test_mask_and_workspace_from_token() -> None:
    assert "abc" not in mask("abc")
    assert mask("a-rather-long-password-value", tail=False) == "****"
    assert mask("short-token") == "****"
    assert mask(None) == "<none>"
    assert workspace_from_token("a-ws_123-b") == "ws_123"
    assert workspace_from_token("a-ws_123") is None
    assert workspace_from_token("a-b-c") is None
    assert workspace_from_token("a-ws_-b") is None


def test_a_secret_missing_from_its_backend_is_secret_not_found(
    store: ProfileStore, vault: Path
) -> None:
    from tiledb.client.basics.errors import SecretNotFoundError

    store.save(
        "default",
        {
            "rest.server_address": "https://api.example.com",
            "rest.workspace": "acme",
            "client.auth": "token",
            "client.secret_backend": "encrypted-file",
            "client.secret_id": "default @ elsewhere [00000000]",
        },
    )
    with pytest.raises(SecretNotFoundError, match="missing from the 'encrypted-file' backend"):
        resolve()


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_a_shadowed_stored_secret_is_not_read(
    store: ProfileStore, vault: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    from tiledb.client import client
    from tiledb.client.secrets import encrypted_file

    client.configure(token="stored-ws_abc123-tok", host="https://api.example.com")
    # Reading the vault now fails: no passphrase source (and no terminal to ask on).
    monkeypatch.delenv("TILEDB_CLIENT_PASSPHRASE")
    encrypted_file.clear_key_cache()
    arguments = {"token": "given-ws_abc123-tok"} if how == "argument" else None
    if how == "environment":
        monkeypatch.setenv("TILEDB_REST_TOKEN", "given-ws_abc123-tok")
    settings = resolve(arguments=arguments)
    assert settings.token is not None
    assert settings.token.value == "given-ws_abc123-tok"
    assert settings.backend is None
    assert len(settings.shadowed) == 1
    assert "shadows the credentials stored in profile 'default'" in settings.shadowed[0]


def test_a_stored_password_is_read_only_when_needed(store: ProfileStore, vault: Path) -> None:
    from tiledb.client import client
    from tiledb.client.session.settings import StoredSecret

    client.configure(
        username="ada", password="pw-1843", workspace="acme", host="https://api.example.com"
    )
    settings = resolve()
    assert settings.password is not None
    assert isinstance(settings.password.value, StoredSecret)
    assert "pw-1843" not in repr(settings.password.value)
    assert ("password", "****", settings.password.source) in settings.rows()
    assert settings.password.text() == "pw-1843"
