"""profile_admin: each command reads ``profiles.json`` once, twice where it writes."""

from __future__ import annotations

from pathlib import Path

from tiledb.client.client import client
from tiledb.client.operations.configure import configure
from tiledb.client.operations.profile_admin import delete_profile, list_profiles, profile_info
from tiledb.client.storage.profiles import ProfileStore


def add_password_profile(name: str, *, overwrite: bool = False) -> None:
    configure(
        username="ada",
        password="correct horse battery",
        workspace="acme",
        host="https://api.example.com",
        profile_name=name,
        overwrite=overwrite,
        secret_backend="encrypted-file",
        factory=client,
    )


def test_profile_delete_reads_the_file_twice(vault: Path, reads: list[str]) -> None:
    add_password_profile("a")  # a password profile: its session token is revoked first
    add_password_profile("b")
    reads.clear()
    result = delete_profile("a", factory=client)
    assert (result.profile.name, result.secrets_deleted) == ("a", True)
    assert reads == [str(ProfileStore().path)] * 2  # before: logout, then the delete read it again
    assert ProfileStore().names() == ["b"]


def test_configure_over_a_profile_reads_the_file_twice(vault: Path, reads: list[str]) -> None:
    add_password_profile("a")
    reads.clear()
    add_password_profile("a", overwrite=True)
    assert len(reads) == 2  # before: logout read it again
    assert profile_info("a").state == "present"


def test_list_and_show_read_the_file_once(vault: Path, reads: list[str]) -> None:
    add_password_profile("a")
    reads.clear()
    assert [info.state for info in list_profiles()] == ["present"]
    assert profile_info("a").auth == "password"
    assert len(reads) == 2
