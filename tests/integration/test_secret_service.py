"""The ``keyring`` backend against a real Secret Service (private gnome-keyring).

The ``secret_service`` fixture (tests/secret_service.py) starts the daemons; a
missing daemon fails these tests, it never skips them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from tests.secret_service import INSTALL_HINT, SecretServiceBus

from tiledb.client.errors import BackendUnavailableError
from tiledb.client.secrets import registry
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.secrets.keyring_backend import SERVICE, TIMEOUT_ENV, KeyringBackend
from tiledb.client.testing.backend_conformance import BackendConformance

pytestmark = [pytest.mark.secret_service, pytest.mark.usefixtures("secret_service")]

SRC = str(Path(__file__).parents[2] / "src")


def items() -> dict[str, str]:
    """Return the Secret Service items of our service as {user name: label}, via secret-tool.

    secret-tool prints each item's label on stdout and its attributes on stderr,
    both in item order.
    """
    tool = shutil.which("secret-tool")
    if tool is None:
        pytest.fail(f"secret-tool is not installed: {INSTALL_HINT}", pytrace=False)
    result = subprocess.run(
        [tool, "search", "--all", "service", SERVICE],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    def values(text: str, name: str) -> list[str]:
        prefix = f"{name} = "
        return [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]

    labels = values(result.stdout, "label")
    usernames = values(result.stderr, "attribute.username")
    assert len(labels) == len(usernames) == len(values(result.stderr, "attribute.service"))
    return dict(zip(usernames, labels, strict=True))


@pytest.fixture
def keys() -> Iterator[list[str]]:
    """Keys of two profile files with the same profile name; deleted afterwards."""
    made = [
        secret_entry_key(f"default @ /home/ada/{folder}/profiles.json [{tag}]", "token")
        for folder, tag in ((".tiledb", "1f3a9c2e"), ("work/.tiledb", "77c0d4aa"))
    ]
    yield made
    backend = KeyringBackend()
    for key in made:
        backend.delete(key)


class TestConformance(BackendConformance):
    @pytest.fixture
    def backend(self) -> KeyringBackend:
        return KeyringBackend()


def test_probe_names_the_secret_service() -> None:
    start = time.monotonic()
    availability = KeyringBackend().probe()
    assert time.monotonic() - start < 5
    assert availability.available, availability.reason
    assert availability.reason.startswith("keyring.backends.SecretService.Keyring (priority 5)")


def test_items_have_readable_labels_and_go_away(keys: list[str], hermetic_env: Path) -> None:
    backend = KeyringBackend()
    backend.set(keys[0], "tok-one")
    backend.set(keys[1], "tok-two")
    found = items()
    for key in keys:
        assert found[key] == f"Password for '{key}' on '{SERVICE}'"
    assert backend.get(keys[0]) == "tok-one"  # same profile name, different files
    assert backend.get(keys[1]) == "tok-two"
    assert backend.delete(keys[0]) is True
    assert keys[0] not in items()
    assert backend.get(keys[1]) == "tok-two"
    assert list(hermetic_env.rglob("keyring_pass.cfg")) == []  # never the plaintext fallback


def test_an_item_written_by_another_tool_is_replaced_not_shadowed(keys: list[str]) -> None:
    """Issue 21: ``create_item(replace=True)`` matches ``application`` too, so an item of
    the same entry without it stayed beside the new one, and reads got either."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.create_item("other tool", {"service": SERVICE, "username": keys[0]}, b"old")
    backend = KeyringBackend()
    backend.set(keys[0], "new")
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        found = collection.search_items({"service": SERVICE, "username": keys[0]})
        assert [item.get_secret() for item in found] == [b"new"]
    assert backend.get(keys[0]) == "new"


def test_a_long_secret_is_one_item_that_keyring_itself_reads(keys: list[str]) -> None:
    """Issue 22, finding 12: never split (a secret fits one entry of every OS keyring)."""
    secret = "k" * 1024
    KeyringBackend().set(keys[0], secret)
    assert [name for name in items() if name.startswith(keys[0])] == [keys[0]]
    read = subprocess.run(
        [sys.executable, "-m", "keyring", "get", "tiledb-client", keys[0]],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert read.stdout.strip() == secret  # before: "tiledb-client chunked secret: v1 ..."


def test_other_processes_see_the_secret(keys: list[str]) -> None:
    KeyringBackend().set(keys[0], "shared-across-processes")
    code = (
        "import sys; from tiledb.client.secrets.keyring_backend import KeyringBackend;"
        " print(KeyringBackend().get(sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, keys[0]],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "shared-across-processes"


def test_keyring_global_choice_is_not_used(
    monkeypatch: pytest.MonkeyPatch, keys: list[str], hermetic_env: Path
) -> None:
    import keyring.core
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setattr(keyring.core, "_keyring_backend", PlaintextKeyring())
    backend = KeyringBackend()
    backend.set(keys[0], "value")
    assert keys[0] in items()
    assert list(hermetic_env.rglob("keyring_pass.cfg")) == []


def test_bus_gone_gives_fast_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert registry.get_backend("keyring").probe().available
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/gone")
    registry.forget_backends()  # as between two tests, or two processes
    start = time.monotonic()
    availability = registry.get_backend("keyring").probe()
    assert time.monotonic() - start < 5
    assert not availability.available
    assert "SecretService.Keyring is not usable on the D-Bus session bus" in availability.reason


def test_stopped_secret_service_times_out(
    monkeypatch: pytest.MonkeyPatch, own_secret_service_bus: SecretServiceBus, keys: list[str]
) -> None:
    # Its own daemon: a gnome-keyring resumed after SIGSTOP may abort (tests/secret_service.py).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", own_secret_service_bus.address)
    backend = KeyringBackend()
    backend.set(keys[0], "value")
    monkeypatch.setenv(TIMEOUT_ENV, "1")
    own_secret_service_bus.keyring.send_signal(signal.SIGSTOP)  # D-Bus queues calls, nobody answers
    try:
        start = time.monotonic()
        availability = KeyringBackend().probe()
        assert 0.9 < time.monotonic() - start < 3
        assert "did not answer within 1 s" in availability.reason
        with pytest.raises(BackendUnavailableError, match=TIMEOUT_ENV):
            backend.get(keys[0])
    finally:
        own_secret_service_bus.keyring.send_signal(signal.SIGCONT)
    monkeypatch.delenv(TIMEOUT_ENV)
    assert KeyringBackend().get(keys[0]) == "value"


def test_stopped_secret_service_fails_fast_then_answers_again(
    monkeypatch: pytest.MonkeyPatch, own_secret_service_bus: SecretServiceBus, keys: list[str]
) -> None:
    # Its own daemon: a gnome-keyring resumed after SIGSTOP may abort (tests/secret_service.py).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", own_secret_service_bus.address)
    backend = KeyringBackend()
    backend.set(keys[0], "value")
    monkeypatch.setenv(TIMEOUT_ENV, "1")
    own_secret_service_bus.keyring.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(BackendUnavailableError, match="did not answer within 1 s"):
            backend.get(keys[0])
        start = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="has not answered an earlier call"):
            backend.get(keys[0])  # the first read still waits on D-Bus: no queueing behind it
        assert time.monotonic() - start < 0.5
    finally:
        own_secret_service_bus.keyring.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 10
    while (
        True
    ):  # the stopped read returns once the daemon runs again; then the same backend answers
        try:
            assert backend.get(keys[0]) == "value"
            break
        except BackendUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_keyring_login_loads_no_other_keyring_backend(
    keys: list[str], hermetic_env: Path, tmp_path: Path
) -> None:
    code = (
        "import json, sys, tiledb.client\n"
        "tiledb.client.configure(token='tok-ws_2b7c9d1e3f4a5b6c-x', host='http://127.0.0.1:9',"
        " secret_backend='keyring')\n"
    )
    login = (
        "import json, sys, tiledb.client\n"
        "tiledb.client.login()\n"
        "tiledb.client.Ctx()\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    result = subprocess.run(
        [sys.executable, "-c", login], env=env, capture_output=True, text=True, check=True
    )
    modules = set(json.loads(result.stdout.splitlines()[-1]))
    assert "secretstorage" in modules  # the Secret Service was read
    others = sorted(
        name
        for name in modules
        if name.startswith(("keyring.backends.", "keyrings")) and "SecretService" not in name
    )
    assert others == []
    assert "keyring" not in modules  # its Secret Service entries need only secretstorage
    assert "requests" not in modules
    KeyringBackend().delete(
        secret_entry_key(
            json.loads((hermetic_env / ".tiledb" / "profiles.json").read_text())["default"][
                "client.secret_id"
            ],
            "token",
        )
    )


def test_profile_list_asks_the_secret_service_once_for_all_profiles(
    hermetic_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiledb.client.operations.profile_admin import list_profiles
    from tiledb.client.storage.profiles import ProfileStore

    store, backend = ProfileStore(), KeyringBackend()
    registry.use_backend(backend)
    profiles = {}
    for index in range(40):
        secret_id = f"p{index} @ {store.path} [{index:08x}]"
        profiles[f"p{index}"] = {
            "rest.server_address": "https://api.example.com",
            "rest.workspace": "acme",
            "client.auth": "token",
            "client.secret_backend": "keyring",
            "client.secret_id": secret_id,
        }
        if index % 3 == 0:
            backend.set(secret_entry_key(secret_id, "token"), f"tok-{index}")
    with store.edit() as document:
        document.update(profiles)
    calls: list[str] = []
    real_get = KeyringBackend.get
    monkeypatch.setattr(
        KeyringBackend, "get", lambda self, key: calls.append(key) or real_get(self, key)
    )
    try:
        states = {info.name: info.state for info in list_profiles()}
        assert states == {f"p{i}": "present" if i % 3 == 0 else "missing" for i in range(40)}
        assert calls == []  # answered by one contains_many, no secret read
    finally:
        for index in range(0, 40, 3):
            backend.delete(secret_entry_key(profiles[f"p{index}"]["client.secret_id"], "token"))


def test_a_call_that_timed_out_finishes_later(
    monkeypatch: pytest.MonkeyPatch, own_secret_service_bus: SecretServiceBus, keys: list[str]
) -> None:
    # Its own daemon: a gnome-keyring resumed after SIGSTOP may abort (tests/secret_service.py).
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", own_secret_service_bus.address)
    # The keyring stops answering while a write is under way: the caller gets a clear
    # error within the limit. When the keyring answers again, the abandoned write
    # completes in the background (SECURITY.md says it may), and the same backend
    # answers again with a consistent value.
    backend = KeyringBackend()
    backend.set(keys[0], "old-value")
    monkeypatch.setenv(TIMEOUT_ENV, "1")
    own_secret_service_bus.keyring.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="did not answer within 1 s") as caught:
            backend.set(keys[0], "late-value")
        assert time.monotonic() - started < 3
        assert "late-value" not in str(caught.value)
    finally:
        own_secret_service_bus.keyring.send_signal(signal.SIGCONT)
    monkeypatch.setenv(TIMEOUT_ENV, "10")
    deadline = time.monotonic() + 10
    value = None
    while value != "late-value" and time.monotonic() < deadline:
        try:
            value = backend.get(keys[0])
        except BackendUnavailableError:  # "has not answered an earlier call": not yet
            time.sleep(0.05)
    assert value == "late-value"  # the write finished after its caller gave up
    assert KeyringBackend().get(keys[0]) == "late-value"  # and another process would see it
    backend.set(keys[0], "newest-value")  # later calls work as usual
    assert backend.get(keys[0]) == "newest-value"


ARTIFACT_REGISTRY_LIKE = """
from keyring.backend import KeyringBackend

class OtherServicesOnly(KeyringBackend):
    priority = 9  # as keyrings.google-artifactregistry-auth
    def get_password(self, service, username):
        return None
    def set_password(self, service, username, password):
        raise NotImplementedError("only for Artifact Registry")
    def delete_password(self, service, username):
        raise NotImplementedError("only for Artifact Registry")
"""


def test_a_plugin_for_other_services_is_skipped_as_keyrings_chainer_does(
    keys: list[str], tmp_path: Path
) -> None:
    """Issue 22, finding 11: a priority-9 plugin that refuses passwords broke configure."""
    plugins = tmp_path / "plugins"
    info = plugins / "other_services-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: other-services\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[keyring.backends]\nother = other_services\n")
    (plugins / "other_services.py").write_text(ARTIFACT_REGISTRY_LIKE)
    code = (
        "import sys; from tiledb.client.secrets.keyring_backend import KeyringBackend;"
        " backend = KeyringBackend(); backend.set(sys.argv[1], 'via-the-chain');"
        " print(backend.get(sys.argv[1])); print(backend.probe().reason)"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugins), SRC]),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.chainer.ChainerBackend",  # as KDE, rc files
    }
    result = subprocess.run(
        [sys.executable, "-c", code, keys[0]],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    value, reason = result.stdout.splitlines()
    assert value == "via-the-chain"
    assert "OtherServicesOnly (priority 9)" in reason and "SecretService" in reason
    assert keys[0] in items()  # it went to the Secret Service


def test_listing_asks_for_every_items_attributes_at_once(
    keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22, finding 15: 2 D-Bus round trips per item made 1,000 profiles cost seconds."""
    from jeepney.io.blocking import DBusConnection

    backend = KeyringBackend()
    made = [f"{keys[0]} [{index}]" for index in range(40)]
    for key in made:
        backend.set(key, "listed-not-read")
    round_trips = []
    original = DBusConnection.send_and_get_reply

    def counted(self: DBusConnection, *args: object, **kwargs: object) -> object:
        round_trips.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DBusConnection, "send_and_get_reply", counted)
    try:
        listed = backend.keys() or []
    finally:
        monkeypatch.setattr(DBusConnection, "send_and_get_reply", original)
        for key in made:
            backend.delete(key)
    assert set(made) <= set(listed)
    assert len(round_trips) < 10  # the session, the collection, one search (before: 80+)


def test_listing_never_asks_an_item_for_one_property(
    keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """gnome-keyring died (SIGABRT) in CI under a run of pending ``Properties.Get`` calls.

    Its getter returns nothing, without an error, once the caller's client record is
    gone, and GLib's ``Get`` handler aborts the daemon on that; its ``GetAll`` handler
    leaves the value out. So the listing asks items for ``GetAll`` only.
    """
    from jeepney.io.blocking import DBusConnection
    from jeepney.low_level import HeaderFields

    backend = KeyringBackend()
    made = [f"{keys[0]} [{index}]" for index in range(5)]
    for key in made:
        backend.set(key, "listed-not-read")
    sent: list[tuple[str, str]] = []
    original = DBusConnection.send

    def recorded(self: DBusConnection, message: object, *args: object, **kwargs: object) -> object:
        fields = message.header.fields  # type: ignore[attr-defined]
        sent.append((str(fields.get(HeaderFields.path)), str(fields.get(HeaderFields.member))))
        return original(self, message, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(DBusConnection, "send", recorded)
    try:
        listed = backend.keys() or []
    finally:
        monkeypatch.setattr(DBusConnection, "send", original)
        for key in made:
            backend.delete(key)
    assert set(made) <= set(listed)
    item_paths = [(path, member) for path, member in sent if "/collection/" in path]
    asked_items = [member for path, member in item_paths if path.count("/") > 5]
    assert asked_items and set(asked_items) == {"GetAll"}, sorted(set(asked_items))
