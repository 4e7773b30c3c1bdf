"""The profile store: TileDB core's profiles.json, written atomically under a lock."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tiledb
from tests.faults import run_with_file_size_limit
from tiledb.client.errors import ConfigurationError
from tiledb.client.storage import profiles as profiles_module
from tiledb.client.storage.profiles import ProfileStore, resolve_profile_dir, resolve_profile_name

SRC = str(Path(__file__).resolve().parents[3] / "src")


def test_profile_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TILEDB_PROFILE_DIR", str(tmp_path / "from-env"))
    assert resolve_profile_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_profile_dir() == tmp_path / "from-env"
    monkeypatch.delenv("TILEDB_PROFILE_DIR")
    assert resolve_profile_dir() == Path(os.environ["HOME"]) / ".tiledb"


def test_profile_name_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_profile_name() == "default"
    monkeypatch.setenv("TILEDB_PROFILE_NAME", "prod")
    assert resolve_profile_name() == "prod"
    assert resolve_profile_name("explicit") == "explicit"


def test_create_read_update_list_rename_delete(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    assert store.read() == {}
    store.save("default", {"rest.server_address": "https://a.example"})
    store.save("prod", {"rest.server_address": "https://b.example"})
    assert store.names() == ["default", "prod"]
    with pytest.raises(ConfigurationError, match="already exists"):
        store.save("prod", {"rest.server_address": "https://c.example"})
    store.save("prod", {"rest.server_address": "https://c.example"}, overwrite=True)
    with store.edit() as profiles:
        profiles["prod"]["rest.workspace"] = "acme"
    assert store.get("prod") == {
        "rest.server_address": "https://c.example",
        "rest.workspace": "acme",
    }
    store.rename("prod", "production")
    assert store.names() == ["default", "production"]
    with pytest.raises(ConfigurationError, match="already exists"):
        store.rename("default", "production")
    with pytest.raises(ConfigurationError, match="no profile"):
        store.rename("missing", "other")
    removed = store.delete("default")
    assert removed == {"rest.server_address": "https://a.example"}
    assert store.names() == ["production"]
    with pytest.raises(ConfigurationError, match="no profile"):
        store.delete("default")


def test_file_and_directory_modes(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "new" / "dir")
    store.save("default", {"rest.server_address": "https://a.example"})
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_written_in_core_format_and_read_by_tiledb(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save(
        "default",
        {
            "rest.server_address": "https://api.example.com",
            "rest.workspace": "acme",
            "client.secret_backend": "keyring",
        },
    )
    document = json.loads(store.path.read_text())
    assert document["version"] == 1
    profile = tiledb.Profile.load("default", str(tmp_path))
    assert profile["rest.server_address"] == "https://api.example.com"
    assert profile["rest.workspace"] == "acme"


def test_tiledb_config_reads_our_profile(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save("prod", {"rest.server_address": "https://api.example.com", "rest.workspace": "acme"})
    code = (
        "import tiledb; c = tiledb.Config();"
        "print(c['rest.server_address'], c.get('rest.workspace', False))"
    )
    env = dict(os.environ, TILEDB_PROFILE_DIR=str(tmp_path), TILEDB_PROFILE_NAME="prod")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["https://api.example.com", "acme"]


def test_unknown_keys_and_profiles_written_by_core_are_kept(tmp_path: Path) -> None:
    profile = tiledb.Profile("coreprofile", str(tmp_path))
    profile["rest.server_address"] = "https://core.example"
    profile["rest.payer_namespace"] = "someone"
    profile.save()
    store = ProfileStore(tmp_path)
    with store.edit() as profiles:
        profiles["coreprofile"]["x.custom"] = "kept"
        profiles["ours"] = {"rest.server_address": "https://ours.example"}
    loaded = tiledb.Profile.load("coreprofile", str(tmp_path))
    assert loaded["rest.payer_namespace"] == "someone"
    assert loaded["x.custom"] == "kept"
    assert store.get("ours") == {"rest.server_address": "https://ours.example"}


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '{"version": 99}', '{"version": 1, "p": {"k": 1}}', '{"p": "str"}'],
    ids=["syntax", "array", "future-version", "non-string-value", "non-object-profile"],
)
def test_corrupt_file_raises_and_is_never_overwritten(tmp_path: Path, content: str) -> None:
    store = ProfileStore(tmp_path)
    store.path.write_text(content)
    with pytest.raises(ConfigurationError, match=str(store.path)):
        store.read()
    with pytest.raises(ConfigurationError, match="left untouched"):
        store.save("default", {"rest.server_address": "https://a.example"})
    assert store.path.read_text() == content


def test_unreadable_file_raises_naming_it(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.path.mkdir()  # a directory where the file should be: reading fails for root too
    with pytest.raises(ConfigurationError, match=r"profiles\.json"):
        store.read()


def test_exception_in_an_edit_writes_nothing(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles")
    store.save("default", {"rest.server_address": "https://a.example"})
    before = store.path.read_bytes()
    with pytest.raises(RuntimeError), store.edit() as profiles:
        profiles["default"]["rest.server_address"] = "https://changed.example"
        raise RuntimeError("boom")
    assert store.path.read_bytes() == before


def test_failed_write_leaves_file_unchanged(tmp_path: Path) -> None:
    # The disk fills up while the new file is written: the old file stays, and the
    # temporary file is removed.
    store = ProfileStore(tmp_path / "profiles")
    store.save("default", {"rest.server_address": "https://a.example"})
    before = store.path.read_bytes()
    listing = sorted(p.name for p in store.directory.iterdir())
    result = run_with_file_size_limit(
        f"""
        from tiledb.client.errors import ConfigurationError
        from tiledb.client.storage.profiles import ProfileStore
        try:
            with ProfileStore({str(store.directory)!r}).edit() as profiles:
                profiles["big"] = {{"x.note": "y" * 100_000}}
        except ConfigurationError as exc:
            report(error=str(exc))
        """,
        limit=8192,
    )
    assert str(store.path) in result["error"]
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.directory.iterdir()) == listing


@pytest.mark.parametrize("bad", ["", "version", " padded ", "tab\tname"])
def test_invalid_profile_names(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigurationError, match="Invalid profile name"):
        ProfileStore(tmp_path).save(bad, {"rest.server_address": "https://a.example"})


_WRITER = """
import sys
from tiledb.client.storage.profiles import ProfileStore
store = ProfileStore(sys.argv[1])
for index in range(int(sys.argv[3])):
    with store.edit() as profiles:
        profiles[f"{sys.argv[2]}-{index}"] = {"rest.server_address": f"https://{index}.example"}
"""


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    writers, per_writer = 6, 15
    env = dict(os.environ, PYTHONPATH=SRC)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path), f"w{number}", str(per_writer)], env=env
        )
        for number in range(writers)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0] * writers
    names = set(ProfileStore(tmp_path).names())
    expected = {f"w{number}-{index}" for number in range(writers) for index in range(per_writer)}
    assert names == expected


_HOLD_LOCK = """
import sys, time, filelock
with filelock.FileLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_lock_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProfileStore(tmp_path / "profiles")
    store.save("default", {"rest.server_address": "https://a.example"})
    before = store.path.read_bytes()
    lock_path = store.directory / ".profiles.json.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(lock_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(profiles_module, "LOCK_TIMEOUT_SECONDS", 1.0)
        started = time.monotonic()
        with pytest.raises(ConfigurationError, match="locked by another process") as caught:
            store.save("other", {"rest.server_address": "https://b.example"})
        assert 0.9 < time.monotonic() - started < 6
        message = str(caught.value)
        assert str(store.path) in message
        assert str(lock_path) in message
        assert "waited 1 s" in message
        assert store.path.read_bytes() == before
        assert store.names() == ["default"]  # reading needs no lock
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    store.save("other", {"rest.server_address": "https://b.example"})  # free again
    assert store.names() == ["default", "other"]


# -- exact behaviour, one rule at a time -----------------------------------------------


def test_profile_dir_is_absolute_and_expands_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_profile_dir("relative") == tmp_path / "relative"
    assert resolve_profile_dir("~/elsewhere") == Path(os.environ["HOME"]) / "elsewhere"
    monkeypatch.setenv("TILEDB_PROFILE_DIR", "~/from-env")
    assert resolve_profile_dir() == Path(os.environ["HOME"]) / "from-env"
    monkeypatch.setenv("TILEDB_PROFILE_DIR", "")
    assert resolve_profile_dir() == Path(os.environ["HOME"]) / ".tiledb"
    assert resolve_profile_dir("") == Path(os.environ["HOME"]) / ".tiledb"
    monkeypatch.setenv("TILEDB_PROFILE_NAME", "")
    assert resolve_profile_name() == "default"  # an empty variable is no choice


def test_store_paths_and_repr(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p")
    assert store.directory == tmp_path / "p"
    assert store.path == tmp_path / "p" / "profiles.json"
    assert repr(store) == f"ProfileStore({str(tmp_path / 'p')!r})"
    assert not store.exists()
    assert store.read() == {}
    assert store.names() == []
    assert store.get("default") is None
    store.path.parent.mkdir()
    store.path.mkdir()  # a directory is not the file
    assert not store.exists()


def test_file_format_is_cores_and_keeps_its_version(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save("b", {"rest.server_address": "https://b.example"})
    store.save("a", {"rest.server_address": "https://a.example"})
    assert store.path.read_text() == (
        "{\n"
        '  "version": 1,\n'
        '  "b": {\n    "rest.server_address": "https://b.example"\n  },\n'
        '  "a": {\n    "rest.server_address": "https://a.example"\n  }\n'
        "}\n"
    )
    assert store.names() == ["b", "a"]  # file order, not sorted
    store.path.write_text('{"version": 0, "a": {}}')  # an older version is kept as it is
    store.save("c", {})
    assert json.loads(store.path.read_text()) == {"version": 0, "a": {}, "c": {}}
    store.path.write_text('{"a": {}}')  # no version: 1 is written
    store.save("d", {})
    assert json.loads(store.path.read_text())["version"] == 1


def test_an_unchanged_edit_does_not_write(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save("a", {"k": "v"})
    store.path.write_text('{"version":1,"a":{"k":"v"}}')  # compact: a rewrite would show
    with store.edit() as profiles:
        profiles["a"]["k"] = "v"
    assert store.path.read_text() == '{"version":1,"a":{"k":"v"}}'
    with store.edit() as profiles:
        profiles["a"]["k"] = "w"
    assert json.loads(store.path.read_text()) == {"version": 1, "a": {"k": "w"}}


def test_get_returns_a_copy(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save("a", {"k": "v"})
    profile = store.get("a")
    assert profile == {"k": "v"}
    assert profile is not None
    profile["k"] = "changed"
    assert store.get("a") == {"k": "v"}
    given = {"k": "v"}
    store.save("b", given)
    given["k"] = "changed"
    assert store.get("b") == {"k": "v"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "it is not JSON (Expecting property name"),
        ("[1, 2]", "it does not hold a JSON object"),
        ('"text"', "it does not hold a JSON object"),
        ('{"version": "1"}', "its 'version' is not a number"),
        ('{"version": 2}', "it has version 2, newer than this library reads"),
        ('{"version": 1, "p": {"k": 1}}', "profile 'p' is not an object of string values"),
        ('{"version": 1, "ok": {}, "p": ["k"]}', "profile 'p' is not an object of string values"),
    ],
)
def test_corrupt_file_messages(tmp_path: Path, content: str, problem: str) -> None:
    store = ProfileStore(tmp_path)
    store.path.write_text(content)
    with pytest.raises(ConfigurationError) as caught:
        store.read()
    message = str(caught.value)
    assert message.startswith(f"The profile file {store.path} is not a TileDB profile file: ")
    assert problem in message
    assert message.endswith("It was left untouched; fix or move it, then try again.")
    if not problem.startswith("it is not JSON"):
        assert message == (
            f"The profile file {store.path} is not a TileDB profile file: {problem}."
            " It was left untouched; fix or move it, then try again."
        )


def test_unreadable_file_message(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.path.write_bytes(b'{"version": 1, "a": {"k": "\xff"}}')  # not UTF-8
    with pytest.raises(ConfigurationError) as caught:
        store.read()
    assert str(caught.value).startswith(f"Cannot read the profile file {store.path}: ")
    assert str(caught.value).endswith(". Check its permissions.")


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("", "use a non-empty name"),
        ("version", "other than 'version'"),
        (" padded", "without leading or trailing"),
        ("padded\n", "without leading or trailing"),
        ("tab\tname", "contains the control character U\\+0009 at character 4"),
        ("nul\x00name", "contains the control character U\\+0000 at character 4"),
        ("esc\x1fname", "contains the control character U\\+001F at character 4"),
        ("del\x7fname", "contains the control character U\\+007F at character 4"),
    ],
)
def test_invalid_profile_name_messages(tmp_path: Path, bad: str, why: str) -> None:
    store = ProfileStore(tmp_path)
    with pytest.raises(ConfigurationError, match=f"Invalid profile name {re.escape(repr(bad))}"):
        store.save(bad, {})
    with pytest.raises(ConfigurationError, match=why):
        store.save(bad, {})
    store.save("ok", {})
    with pytest.raises(ConfigurationError, match="Invalid profile name"):
        store.rename("ok", bad)
    with pytest.raises(ConfigurationError, match="Invalid profile name"), store.edit() as profiles:
        profiles[bad] = {}
    assert store.names() == ["ok"]
    store.save("space inside", {})  # inner spaces are allowed
    assert store.names() == ["ok", "space inside"]


def test_save_delete_rename_messages(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save("a", {"k": "1"})
    with pytest.raises(ConfigurationError) as caught:
        store.save("a", {"k": "2"})
    assert str(caught.value) == (
        f"Profile 'a' already exists in {store.path}. "
        "Pass overwrite=True (--overwrite) to replace it."
    )
    with pytest.raises(ConfigurationError) as caught:
        store.delete("b")
    assert str(caught.value) == f"There is no profile 'b' in {store.path}."
    with pytest.raises(ConfigurationError) as caught:
        store.rename("b", "c")
    assert str(caught.value) == f"There is no profile 'b' in {store.path}."
    store.save("b", {"k": "2"})
    store.save("c", {"k": "3"})
    with pytest.raises(ConfigurationError) as caught:
        store.rename("a", "c")
    assert str(caught.value) == f"Profile 'c' already exists in {store.path}."
    store.rename("b", "renamed")
    assert list(store.read().items()) == [
        ("a", {"k": "1"}),
        ("renamed", {"k": "2"}),
        ("c", {"k": "3"}),
    ]
    with pytest.raises(ConfigurationError, match="already exists"):
        store.rename("a", "a")  # to itself
    assert store.names() == ["a", "renamed", "c"]
    assert store.delete("renamed") == {"k": "2"}
    assert store.names() == ["a", "c"]


def test_a_file_where_the_profile_directory_should_be(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    store = ProfileStore(tmp_path / "taken" / "profiles")
    with pytest.raises(ConfigurationError) as caught:
        store.save("default", {})
    assert str(caught.value).startswith(
        f"Cannot create the profile directory {tmp_path / 'taken' / 'profiles'}: "
    )


def test_invalid_profile_name_full_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ProfileStore(tmp_path).save(" x", {})
    assert str(caught.value) == (
        "Invalid profile name ' x': use a non-empty name without leading or trailing"
        " spaces, other than 'version'."
    )
    with pytest.raises(ConfigurationError) as caught:
        ProfileStore(tmp_path).save("a\tb", {})
    assert str(caught.value) == (
        "Invalid profile name 'a\\tb' contains the control character U+0009 at character 2."
    )
