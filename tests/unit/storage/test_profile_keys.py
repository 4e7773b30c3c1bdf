"""The typed view of a profile, and the keys a new profile is written with."""

from __future__ import annotations

from tiledb.client.storage.profile_keys import (
    ProfileView,
    SecretLocation,
    Tls,
    profile_entries,
    view,
)


def test_a_written_profile_reads_back_as_the_same_view() -> None:
    secret = SecretLocation("encrypted-file", "abc123", "password", "file=/v/secrets.vault")
    entries = profile_entries(
        "https://h.example",
        "ws",
        username="ada",
        tls=Tls(False, "/ca.pem"),
        secret=secret,
        session_lifetime="2h",
    )
    assert view(entries) == ProfileView(
        host="https://h.example",
        workspace="ws",
        username="ada",
        tls=Tls("false", "/ca.pem"),
        secret=secret,
        plaintext=None,
        session_lifetime="2h",
    )
    # TileDB core reads ssl.verify, the vendor's package rest.verify_ssl: both are written.
    assert entries["ssl.verify"] == entries["rest.verify_ssl"] == "false"
    assert entries["client.secret_store"] == "file=/v/secrets.vault"


def test_a_verifying_profile_writes_no_tls_keys() -> None:
    entries = profile_entries("https://h.example", "ws")
    assert entries == {"rest.server_address": "https://h.example", "rest.workspace": "ws"}
    parsed = view(entries)
    assert parsed.tls == Tls() and parsed.secret is None


def test_the_vendor_key_is_read_when_core_key_is_absent() -> None:
    parsed = view({"rest.verify_ssl": "false", "ssl.verify": ""})
    assert parsed.setting("verify_ssl") == "false"


def test_settings_read_a_legacy_plaintext_secret_of_their_own_kind_only() -> None:
    parsed = view({"rest.password": "pw", "rest.username": "ada"})
    assert parsed.setting("password") == "pw"
    assert parsed.setting("token") is None
    assert parsed.setting("username") == "ada"
