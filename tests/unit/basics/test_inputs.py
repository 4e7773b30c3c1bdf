"""The one check of secrets (basics.inputs) and of hosts (basics.protocol.normalize_host)."""

from __future__ import annotations

import re

import pytest

from tiledb.client.basics.inputs import MAX_NAME_LENGTH, MAX_SECRET_LENGTH, check_name, clean_secret
from tiledb.client.basics.protocol import normalize_host
from tiledb.client.errors import ConfigurationError

TOKEN = "tdbk1a2b3c-ws_2b7c9d1e3f4a5b6c-9z8y7x6w5v"


@pytest.mark.parametrize(
    ("given", "kind", "expected"),
    [
        (f"{TOKEN}\n", "token", TOKEN),
        (f" \t{TOKEN}\r\n", "token", TOKEN),
        ("correct horse\n", "password", "correct horse"),
        (" spaced password \r\n", "password", " spaced password "),
        ("pässwörd ☃", "password", "pässwörd ☃"),
        ("x" * MAX_SECRET_LENGTH, "token", "x" * MAX_SECRET_LENGTH),
        ("\U0001f511" * 512, "password", "\U0001f511" * 512),
    ],
)
def test_surrounding_whitespace_is_removed(given: str, kind: str, expected: str) -> None:
    assert clean_secret(given, kind, source="the test") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "kind", "problem"),
    [
        ("", "token", "is empty"),
        ("     ", "token", "is empty"),
        ("   ", "password", "whitespace only"),
        ("tok\x00en-secret", "token", "control character U+0000 at character 4"),
        ("pass\x00word", "password", "control character U+0000"),
        ("tok\x1b[2Jen", "token", "control character U+001B"),
        ("pass\tword", "password", "control character U+0009"),
        ("tok\nen-secret", "token", "spans several lines"),
        ("tok en-secret", "token", "contains a space at character 4"),
        ("tok\u2014en", "token", "contains U+2014"),
        ("pass\ud800word", "password", "lone surrogate U+D800"),
        ("x" * (MAX_SECRET_LENGTH + 1), "token", f"the limit is {MAX_SECRET_LENGTH}"),
        ("y" * (1024 * 1024), "password", f"the limit is {MAX_SECRET_LENGTH}"),
        # counted in UTF-16, as OS keyrings store it: 2,050 bytes would not fit one entry
        (
            "\U0001f511" * 513,
            "password",
            f"is 1026 characters long; the limit is {MAX_SECRET_LENGTH}",
        ),
    ],
)
def test_bad_secrets_are_refused_without_showing_them(given: str, kind: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(problem)) as caught:
        clean_secret(given, kind, source="TILEDB_REST_TOKEN")  # type: ignore[arg-type]
    message = str(caught.value)
    assert "TILEDB_REST_TOKEN" in message
    for piece in ("tok", "en-secret", "pass", "word", "xxxx", "yyyy"):
        assert piece not in message.replace("token", "").replace("password", "")


def test_a_secret_must_be_text() -> None:
    with pytest.raises(ConfigurationError, match="must be text"):
        clean_secret(b"bytes-token", "token", source="the token argument")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("api.example.com/", "https://api.example.com"),
        (" http://127.0.0.1:8080// ", "http://127.0.0.1:8080"),
        ("localhost:8181", "https://localhost:8181"),
        ("http://[::1]:8181", "http://[::1]:8181"),
        ("https://example.com/tiledb/", "https://example.com/tiledb"),
        ("https://bücher.example", "https://bücher.example"),
    ],
)
def test_hosts_that_are_accepted(given: str, expected: str) -> None:
    assert normalize_host(given) == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("", "it is empty"),
        ("javascript:alert(1)", "scheme 'javascript' is not supported"),
        ("ftp://x", "scheme 'ftp' is not supported"),
        ("file:///etc/passwd", "scheme 'file' is not supported"),
        ("http://user:pw@h.example", "user information"),
        ("https://h.example:99999", "port is not a number from 1 to 65535"),
        ("https://h.example:0", "port is not a number from 1 to 65535"),
        ("https://h.example:http", "port is not a number from 1 to 65535"),
        ("h x", "whitespace or a control character .U\\+0020"),
        ("h\nx", "whitespace or a control character .U\\+000A"),
        ("h\x00x", "whitespace or a control character .U\\+0000"),
        ("https://h.example/?token=1", "query or fragment"),
        ("https://", "names no server"),
        ("https://a..b", "not a valid host name"),
        ("https://h<script>", "not a valid host name"),
        ("x" * 3000, "characters long"),
        ("https://[zz]", "brackets must hold an IPv6 address"),
    ],
)
def test_hosts_that_are_refused(given: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem) as caught:
        normalize_host(given, source="the host argument")
    assert str(caught.value).startswith("The host argument ")


def test_a_refused_host_never_shows_its_user_information() -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalize_host(
            "https://ada:hunter2-secret@api.example.com", source="TILEDB_REST_SERVER_ADDRESS"
        )
    assert "hunter2-secret" not in str(caught.value)
    assert "ada" not in str(caught.value)
    assert "****@api.example.com" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("ad\ud800a", "a lone surrogate U+D800 at character 3"),
        ("ada\n", "the control character U+000A at character 4"),
        ("a\x00", "the control character U+0000"),
        ("x" * (MAX_NAME_LENGTH + 1), "the limit is 256"),
    ],
)
def test_names_that_cannot_be_written_or_sent_are_refused(given: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(problem)):
        check_name(given, "the username")
    assert check_name("zoë ☃", "the username") == "zoë ☃"
