"""Keyring faults with a real gnome-keyring: no D-Bus, a locked collection, a stopped daemon.

Each fault must give a clear, documented error (:class:`BackendUnavailableError`, with
what to do) within the keyring timeout, for every operation (probe, get, set, delete,
list) and for ``configure()``, which then leaves no profile behind; nothing quotes the
secret. The locked and stopped daemons are private instances, started for the test.
Each test records its own figure (what its fault did), whatever ran before it.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import Figures
from tests.secret_service import SecretServiceBus, start_secret_service, stop_secret_service
from tiledb.client.client import client
from tiledb.client.errors import BackendUnavailableError, ConfigurationError
from tiledb.client.operations.configure import configure
from tiledb.client.operations.profile_secrets import find_orphans
from tiledb.client.secrets.keyring_backend import TIMEOUT_ENV, KeyringBackend
from tiledb.client.storage.profiles import ProfileStore

pytestmark = pytest.mark.secret_service

TIMEOUT = 2.0
SLACK = 1.5  # seconds over the timeout: thread start-up and a loaded CI machine
SECRET = "tok-keyring-fault-ws_1-do-not-show"
KEY = "token: fault @ /home/ada/.tiledb/profiles.json [0badc0de]"


@pytest.fixture
def private_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretServiceBus]:
    root = tmp_path / "private-secret-service"
    root.mkdir()
    bus = start_secret_service(root)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    monkeypatch.setenv(TIMEOUT_ENV, str(TIMEOUT))
    try:
        yield bus
    finally:
        bus.keyring.send_signal(signal.SIGCONT)
        stop_secret_service(bus)


OPERATIONS = ("get", "set", "delete", "list", "configure", "probe")


def operations() -> dict[str, Callable[[], object]]:
    backend = KeyringBackend()  # a fresh one per operation: no state carried over
    return {
        "get": lambda: KeyringBackend().get(KEY),
        "set": lambda: KeyringBackend().set(KEY, SECRET),
        "delete": lambda: KeyringBackend().delete(KEY),
        "list": lambda: KeyringBackend().keys(),
        "configure": lambda: configure(
            token=SECRET,
            workspace="ws_1",
            host="https://api.example.com",
            secret_backend="keyring",
            factory=client,
        ),
        "probe": lambda: _raise_unless_available(backend),
    }


def _raise_unless_available(backend: KeyringBackend) -> None:
    availability = backend.probe()
    if not availability.available:
        raise BackendUnavailableError(availability.reason)


def assert_clear_errors(fault: str, expected: str, figures: Figures) -> None:
    """Every operation fails clearly within the timeout; record this fault's figure."""
    timings: dict[str, float] = {}
    for name, call in operations().items():
        started = time.monotonic()
        with pytest.raises(ConfigurationError) as info:
            call()
        elapsed = time.monotonic() - started
        timings[name] = elapsed
        message = str(info.value)
        assert elapsed < TIMEOUT + SLACK, f"{fault}: {name} took {elapsed:.1f} s"
        assert expected in message, f"{fault}: {name}: {message}"
        assert SECRET not in f"{message} {info.value!r}"
    assert ProfileStore().names() == []  # configure left nothing behind
    assert sorted(timings) == sorted(OPERATIONS)
    figures.record(
        f"keyring faults: {fault}",
        f"{len(timings)} calls ({', '.join(timings)}) with a {TIMEOUT:g} s timeout: every one"
        f" a clear error, slowest {max(timings.values()):.2f} s; 0 profiles left by configure",
    )


def test_no_dbus(monkeypatch: pytest.MonkeyPatch, hermetic_env: Path, figures: Figures) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv(TIMEOUT_ENV, str(TIMEOUT))
    assert_clear_errors("no D-Bus", "DBUS_SESSION_BUS_ADDRESS not set", figures)


def test_dbus_socket_gone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, figures: Figures
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/gone")
    monkeypatch.setenv(TIMEOUT_ENV, str(TIMEOUT))
    assert_clear_errors("D-Bus socket gone", "not usable on the D-Bus session bus", figures)


def test_locked_collection(private_keyring: SecretServiceBus, figures: Figures) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    KeyringBackend().set(KEY, SECRET)
    with open_dbus_connection(bus=private_keyring.address) as connection:
        secretstorage.get_default_collection(connection).lock()
    assert_clear_errors("locked collection", "is locked", figures)


def test_stopped_daemon(private_keyring: SecretServiceBus, figures: Figures) -> None:
    KeyringBackend().set(KEY, SECRET)
    private_keyring.keyring.send_signal(signal.SIGSTOP)  # D-Bus queues calls; nobody answers
    try:
        assert_clear_errors("stopped daemon", f"did not answer within {TIMEOUT:g} s", figures)
    finally:
        private_keyring.keyring.send_signal(signal.SIGCONT)
    answered = False
    deadline = time.monotonic() + 10
    while not answered and time.monotonic() < deadline:  # queued calls land meanwhile
        try:
            KeyringBackend().keys()
            answered = True
        except ConfigurationError:
            time.sleep(0.2)
    assert answered, "the keyring did not answer again after SIGCONT"
    time.sleep(TIMEOUT)  # let the calls abandoned while it was stopped finish
    # Whatever the timed-out configure left in the keyring is an orphan that doctor lists.
    mine = [k for k in (KeyringBackend().keys() or []) if str(ProfileStore().path) in k]
    assert sorted(o.key for o in find_orphans(backends=["keyring"]).orphans) == sorted(mine)
    assert ProfileStore().names() == []
