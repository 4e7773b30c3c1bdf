"""Secrets, hosts and profile names as people give them: cleaned or refused, never shown.

Issue 8, items 1, 7 and 10: a token with a trailing newline (from a pipe, a file, an
environment variable) used to reach ``requests``, whose refusal quoted it in full;
hosts such as ``ftp://x`` or ``http://user:pw@h`` were stored; an empty profile name
became ``default``; a token of spaces, with a NUL or of 1 MB was stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.backends import decrypt_every_copy

import tiledb.client
from tiledb.client.client import ConfigurationError, LoginError
from tiledb.client.storage.profiles import ProfileStore
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)
from tiledb.client.transport.rest import BasicAuth, RestClient, RestError


def test_a_token_with_a_trailing_newline_is_stored_without_it(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(token=f"{DEFAULT_TOKEN}\n", host=local_server.url)
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert tiledb.client.Config()["rest.token"] == DEFAULT_TOKEN


def test_an_environment_token_with_surrounding_whitespace_works(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", f" {DEFAULT_TOKEN}\r\n")
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", local_server.url)
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME
    assert tiledb.client.Config()["rest.token"] == DEFAULT_TOKEN


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("tdb-SeCrEt\x00value-123", r"control character U\+0000"),
        ("tdb-SeCrEt\nvalue-123", "spans several lines"),
        ("                ", "is empty"),
        ("tdb-SeCrEt-value-123" * 60_000, "the limit is 1024"),
    ],
)
def test_bad_tokens_are_refused_and_never_shown(
    token: str, problem: str, local_server: LocalServer, vault: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match=problem) as caught:
        tiledb.client.configure(token=token, workspace=DEFAULT_WORKSPACE, host=local_server.url)
    assert "SeCrEt" not in str(caught.value)
    assert ProfileStore().get("default") is None
    assert_nothing_stored(tmp_path)


def assert_nothing_stored(directory: Path) -> None:
    """No vault under ``directory`` (HOME and the vault's folder), nor any copy, holds an entry.

    The vault is AES-GCM ciphertext, so it is decrypted, as a thief with the passphrase would.
    """
    copies = decrypt_every_copy(directory)
    assert {path: sorted(entries) for path, entries in copies.items() if entries} == {}


def test_a_bad_environment_token_is_a_login_error_that_never_shows_it(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", f"{DEFAULT_TOKEN[:10]}\x07{DEFAULT_TOKEN[10:]}")
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", local_server.url)
    with pytest.raises(LoginError, match="TILEDB_REST_TOKEN contains the control character") as e:
        tiledb.client.login()
    assert DEFAULT_TOKEN[:10] not in str(e.value)
    assert DEFAULT_TOKEN[10:] not in str(e.value)


def test_no_message_quotes_a_header_value(local_server: LocalServer) -> None:
    # A value that bypassed the checks (e.g. an api_key a server returned) still never
    # reaches a message: requests' own refusal quotes the header value.
    bad = f"{DEFAULT_TOKEN}\n"
    with RestClient(local_server.url, token=bad) as rest, pytest.raises(RestError) as caught:
        rest.get("/v4/users/self")
    assert DEFAULT_TOKEN not in str(caught.value)
    assert "cannot be sent in an HTTP header" in str(caught.value)
    rest = RestClient(local_server.url, token="tdb\u2014secret-value")
    with rest, pytest.raises(RestError) as caught:
        rest.get("/v4/users/self")
    assert "secret-value" not in str(caught.value)


def test_a_server_echoing_the_token_is_masked(local_server: LocalServer) -> None:
    local_server.fail_next(400, message=f"unknown token {DEFAULT_TOKEN}\x1b[2J")
    rest = RestClient(local_server.url, token=DEFAULT_TOKEN, retry_mode="disabled")
    with rest, pytest.raises(RestError) as caught:
        rest.get("/v4/users/self")
    assert DEFAULT_TOKEN not in str(caught.value)
    assert "unknown token ****" in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_a_password_beyond_latin1_logs_in(local_server: LocalServer, vault: Path) -> None:
    # RFC 7617 (charset="UTF-8"): requests alone would encode the password as Latin-1.
    local_server.add_user("zoë", "пароль ☃ secret", workspaces={DEFAULT_WORKSPACE: "member"})
    with RestClient(local_server.url, basic=BasicAuth("zoë", "пароль ☃ secret")) as rest:
        assert rest.get("/v4/users/self")["user"]["username"] == "zoë"
    tiledb.client.configure(
        username="zoë",
        password="пароль ☃ secret\n",
        workspace=DEFAULT_WORKSPACE,
        host=local_server.url,
    )
    tiledb.client.login()
    assert tiledb.client.get_user().username == "zoë"


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("javascript:alert(1)", "scheme 'javascript' is not supported"),
        ("ftp://x", "scheme 'ftp' is not supported"),
        ("file:///etc/passwd", "scheme 'file' is not supported"),
        ("http://user:pw-secret@h.example", "user information"),
        ("http://h.example:99999", "port is not a number"),
        ("h x", "whitespace or a control character"),
        ("h\nx", "whitespace or a control character"),
    ],
)
def test_configure_refuses_bad_hosts(host: str, problem: str, vault: Path) -> None:
    with pytest.raises(ConfigurationError, match=problem) as caught:
        tiledb.client.configure(token=DEFAULT_TOKEN, host=host)
    assert "pw-secret" not in str(caught.value)
    assert ProfileStore().get("default") is None


def test_a_bad_host_from_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_REST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", "ftp://files.example")
    with pytest.raises(LoginError, match="host from TILEDB_REST_SERVER_ADDRESS"):
        tiledb.client.login()


def test_an_empty_profile_name_is_refused(local_server: LocalServer, vault: Path) -> None:
    with pytest.raises(ConfigurationError, match="profile name"):
        tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url, profile_name="")
    assert ProfileStore().get("default") is None
    tiledb.client.configure(token=DEFAULT_TOKEN, host=local_server.url)
    with pytest.raises(LoginError, match="profile name"):
        tiledb.client.login(profile_name="")


def test_password_profile_with_a_newline_password_logs_in(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME,
        password=f"{DEFAULT_PASSWORD}\n",
        workspace=DEFAULT_WORKSPACE,
        host=local_server.url,
    )
    tiledb.client.login()
    assert tiledb.client.get_user().username == DEFAULT_USERNAME


@pytest.mark.parametrize(
    "arguments",
    [
        {"profile_name": "\ud800"},
        {"profile_name": "a\x7fb"},
        {"workspace": "acme\ud800"},
    ],
    ids=["surrogate profile name", "DEL in profile name", "surrogate workspace"],
)
def test_names_that_cannot_be_stored_are_configuration_errors(
    arguments: dict[str, str], local_server: LocalServer, vault: Path
) -> None:
    settings = {"token": DEFAULT_TOKEN, "host": local_server.url, **arguments}
    with pytest.raises(ConfigurationError, match="U\\+"):
        tiledb.client.configure(**settings)  # type: ignore[arg-type]


def test_a_username_that_cannot_be_sent_is_a_login_error(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILEDB_REST_USERNAME", "ad\udc80a")
    monkeypatch.setenv("TILEDB_REST_PASSWORD", DEFAULT_PASSWORD)
    monkeypatch.setenv("TILEDB_REST_WORKSPACE", DEFAULT_WORKSPACE)
    monkeypatch.setenv("TILEDB_REST_SERVER_ADDRESS", local_server.url)
    with pytest.raises(LoginError, match="username from TILEDB_REST_USERNAME"):
        tiledb.client.login()
