"""A real, private Secret Service for tests: ``dbus-daemon`` plus ``gnome-keyring-daemon``.

Loaded by ``tests/conftest.py`` as a pytest plugin. The session-scoped
``secret_service_bus`` starts a private D-Bus session bus and a gnome-keyring
daemon on it, whose HOME, XDG_DATA_HOME and XDG_RUNTIME_DIR point into a
temporary directory of their own, so the developer's real keyring collection is
never touched. The function-scoped ``secret_service`` points
``DBUS_SESSION_BUS_ADDRESS`` at it for one test (subprocesses inherit it).

A test that needs the real keyring must run in CI, so missing programs FAIL
the test (with the install command); they never skip it.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install gnome-keyring dbus (and libsecret-tools for secret-tool)"
KEYRING_PASSWORD = "tiledb-client-tests"  # unlocks the throwaway login collection only
START_TIMEOUT = 15.0
SECRETS_BUS_NAME = "org.freedesktop.secrets"


@dataclass
class SecretServiceBus:
    """A running private Secret Service."""

    address: str
    root: Path
    dbus: subprocess.Popen[bytes]
    keyring: subprocess.Popen[bytes]

    def check_alive(self) -> None:
        for name, proc in (("dbus-daemon", self.dbus), ("gnome-keyring-daemon", self.keyring)):
            if proc.poll() is not None:
                pytest.fail(f"{name} exited ({proc.returncode}); logs:\n{_logs(self.root)}")


def _logs(root: Path) -> str:
    texts = []
    for log in sorted(root.glob("*.log")):
        texts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
    return "\n".join(texts) or "(no logs)"


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(
            f"{program} is not installed, and tests of the real OS keyring must not be"
            f" skipped. Install it: {INSTALL_HINT}",
            pytrace=False,
        )
    return path


def _read_address(proc: subprocess.Popen[bytes], deadline: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            raise RuntimeError("dbus-daemon printed no address")
    line = proc.stdout.readline().decode().strip()
    if not line:
        raise RuntimeError(f"dbus-daemon exited ({proc.poll()}) without an address")
    return line


def _ready(address: str) -> str | None:
    """Return ``None`` when the Secret Service answers with an unlocked default collection."""
    import secretstorage
    from jeepney import DBus
    from jeepney.io.blocking import open_dbus_connection

    try:
        with open_dbus_connection(bus=address) as connection:
            # NameHasOwner does not D-Bus-activate a second, locked gnome-keyring.
            reply = connection.send_and_get_reply(DBus().NameHasOwner(SECRETS_BUS_NAME), timeout=2)
            if not reply.body[0]:
                return f"{SECRETS_BUS_NAME} has no owner yet"
            if secretstorage.Collection(connection).is_locked():
                return "the default collection is locked"
    except Exception as exc:  # retried until the deadline
        return f"{type(exc).__name__}: {exc}"
    return None


def _wait_until_ready(address: str, keyring: subprocess.Popen[bytes], deadline: float) -> None:
    while (problem := _ready(address)) is not None:
        if time.monotonic() > deadline or keyring.poll() is not None:
            raise RuntimeError(f"the Secret Service did not come up: {problem}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


def start_secret_service(root: Path, *, bus_socket: Path | None = None) -> SecretServiceBus:
    """Start a private D-Bus session bus with an unlocked gnome-keyring in ``root``.

    ``bus_socket`` makes the bus listen on that path (e.g. ``<root>/run/bus``, where a
    systemd user session puts it) instead of a random name in the runtime directory.

    Fails the test (never skips) when the programs are missing or do not come up.
    """
    dbus_daemon = _require("dbus-daemon")
    keyring_daemon = _require("gnome-keyring-daemon")
    home, runtime = root / "home", root / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    deadline = time.monotonic() + START_TIMEOUT
    dbus = keyring = None
    try:
        with (root / "dbus.log").open("wb") as dbus_log:
            dbus = subprocess.Popen(
                [
                    *(dbus_daemon, "--session", "--nofork", "--nosyslog", "--print-address=1"),
                    f"--address=unix:path={bus_socket}"
                    if bus_socket
                    else f"--address=unix:dir={runtime}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=dbus_log,
                env=env,
            )
        address = _read_address(dbus, deadline)
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        with (root / "gnome-keyring.log").open("wb") as keyring_log:
            keyring = subprocess.Popen(
                [keyring_daemon, "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=keyring_log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        assert keyring.stdin is not None
        keyring.stdin.write(KEYRING_PASSWORD.encode())
        keyring.stdin.close()
        _wait_until_ready(address, keyring, deadline)
        return SecretServiceBus(address, root, dbus, keyring)
    except Exception as exc:
        _stop(keyring)
        _stop(dbus)
        pytest.fail(f"Could not start a private Secret Service: {exc}\n{_logs(root)}")


def stop_secret_service(bus: SecretServiceBus) -> None:
    """Stop the daemons of :func:`start_secret_service`."""
    _stop(bus.keyring)
    _stop(bus.dbus)


@pytest.fixture(scope="session")
def secret_service_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceBus]:
    """Start a private D-Bus session bus with an unlocked gnome-keyring Secret Service."""
    bus = start_secret_service(tmp_path_factory.mktemp("secret-service"))
    try:
        yield bus
    finally:
        stop_secret_service(bus)


@pytest.fixture
def own_secret_service_bus(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecretServiceBus]:
    """A private Secret Service for one test, which may break it (stop it, kill it).

    Breaking the shared one would break the tests after it: a gnome-keyring resumed
    after SIGSTOP may abort on calls queued by clients that have gone.
    """
    # A short path: the bus socket lives under it (a unix socket path has ~100 bytes).
    bus = start_secret_service(tmp_path_factory.mktemp("own-ss"))
    try:
        yield bus
    finally:
        bus.keyring.send_signal(signal.SIGCONT)  # a stopped daemon cannot act on SIGTERM
        stop_secret_service(bus)


@pytest.fixture
def secret_service(
    secret_service_bus: SecretServiceBus, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Point ``DBUS_SESSION_BUS_ADDRESS`` at the private Secret Service; yield the address."""
    secret_service_bus.check_alive()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_bus.address)
    yield secret_service_bus.address
    secret_service_bus.check_alive()  # a daemon that died fails the test it died in
    # Each test's items are deleted afterwards: the next test starts with none of ours.
    subprocess.run(
        ["secret-tool", "clear", "service", "tiledb-client"],
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": secret_service_bus.address},
        check=False,
        timeout=30,
    )
