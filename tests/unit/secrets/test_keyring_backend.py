"""The ``keyring`` secret backend against fake keyring backends (no D-Bus needed).

The fakes subclass ``keyring.backend.KeyringBackend``, so keyring registers them
process-wide; each is viable only while "armed" by name through ``ARM_ENV`` (a
``TILEDB_`` variable, cleared by the autouse fixture), so they never leak into
backend detection of other tests.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend as RingBase
from keyring.compat import properties
from keyring.errors import KeyringLocked, PasswordDeleteError

from tiledb.client.errors import (
    BackendUnavailableError,
    ConfigurationError,
    SecretBackendError,
)
from tiledb.client.secrets import registry
from tiledb.client.secrets.keyring_backend import (
    DEFAULT_TIMEOUT,
    SERVICE,
    TIMEOUT_ENV,
    KeyringBackend,
    keyring_timeout,
)
from tiledb.client.testing.backend_conformance import BackendConformance

ARM_ENV = "TILEDB_TEST_FAKE_KEYRINGS"
KEY = "token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"
WINDOWS_BLOB_LIMIT = 2560  # CRED_MAX_CREDENTIAL_BLOB_SIZE
RELEASE = threading.Event()  # lets the sleeping fakes finish at teardown


class FakeRing(RingBase):
    """An in-memory keyring of priority 5."""

    fake_priority = 5.0

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - a class property
        if cls.__name__ not in os.environ.get(ARM_ENV, "").split(","):
            raise RuntimeError("test fake keyring, not armed")
        return cls.fake_priority

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, str] = {}
        self.writes: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        assert service == SERVICE
        return self.entries.get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        assert service == SERVICE
        self.writes.append(username)
        self.entries[username] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop(username, None) is None:
            raise PasswordDeleteError("No such password!")


class WinError(Exception):
    """Shaped like ``pywintypes.error``."""

    def __init__(self, winerror: int, funcname: str, strerror: str) -> None:
        super().__init__(winerror, funcname, strerror)
        self.winerror, self.funcname, self.strerror = winerror, funcname, strerror


class WindowsLimitRing(FakeRing):
    """Enforces the Credential Manager limit the way keyring's Windows backend meets it."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password.encode("utf-16-le")) > WINDOWS_BLOB_LIMIT:
            raise WinError(1783, "CredWrite", "The stub received bad data.")
        super().set_password(service, username, password)


class SleepyRing(FakeRing):
    """Never answers (until the test ends)."""

    def get_password(self, service: str, *args: str) -> str | None:
        RELEASE.wait(30)
        return None

    set_password = delete_password = get_password  # type: ignore[assignment]


class CountingRing(FakeRing):
    """Records how many of its calls run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.running, self.overlaps = 0, list[int]()

    def get_password(self, service: str, username: str) -> str | None:
        self.running += 1
        self.overlaps.append(self.running)
        time.sleep(0.01)
        self.running -= 1
        return None


class HangingDetectionRing(FakeRing):
    """Hangs while keyring evaluates its priority, as a dead D-Bus would."""

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - a class property
        if cls.__name__ not in os.environ.get(ARM_ENV, "").split(","):
            raise RuntimeError("test fake keyring, not armed")
        RELEASE.wait(30)
        return 5.0


class LockedRing(FakeRing):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    set_password = delete_password = get_password  # type: ignore[assignment]


class LeakyRing(FakeRing):
    """Puts the password into its error message."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"could not store {password!r}")


class UnreachableRing(FakeRing):
    def get_password(self, service: str, username: str) -> str | None:
        raise OSError("connection reset by peer")


class OddRing(FakeRing):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.Failed")


class StubbornRing(FakeRing):
    """Reports every delete as failed (macOS does this for real failures too)."""

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("Can't delete password in keychain")


class OtherServicesRing(FakeRing):
    """Serves other services only, as Google Artifact Registry's keyring plugin does."""

    fake_priority = 9.0

    def get_password(self, service: str, *args: str) -> str | None:
        raise NotImplementedError("only for Artifact Registry")

    set_password = delete_password = get_password  # type: ignore[assignment]


class LowRing(FakeRing):
    fake_priority = 0.9


class PlaintextLookalikeRing(FakeRing):
    """A plaintext store that claims a high priority."""


@pytest.fixture(autouse=True)
def _release_sleepers() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


@pytest.fixture
def arm(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def arm(*classes: type[FakeRing]) -> None:
        monkeypatch.setenv(ARM_ENV, ",".join(cls.__name__ for cls in classes))

    return arm


@pytest.fixture
def make(arm: Callable[..., None]) -> Callable[[type[FakeRing]], tuple[KeyringBackend, FakeRing]]:
    def make(cls: type[FakeRing]) -> tuple[KeyringBackend, FakeRing]:
        arm(cls)
        ring = cls()
        return KeyringBackend(ring=ring), ring

    return make


@pytest.fixture
def no_dbus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


def plaintext_files(home: Path) -> list[Path]:
    return list(home.rglob("keyring_pass.cfg"))


class TestConformanceInMemory(BackendConformance):
    @pytest.fixture
    def backend(
        self, make: Callable[[type[FakeRing]], tuple[KeyringBackend, FakeRing]]
    ) -> KeyringBackend:
        return make(FakeRing)[0]


class TestConformanceWindowsLimit(BackendConformance):
    """Detected through PYTHON_KEYRING_BACKEND; every entry must fit Credential Manager."""

    @pytest.fixture
    def backend(self, arm: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> KeyringBackend:
        arm(WindowsLimitRing)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.WindowsLimitRing")
        return KeyringBackend()


def test_importing_does_not_import_keyring() -> None:
    code = (
        "import sys, tiledb.client, tiledb.client.secrets.registry,"
        " tiledb.client.secrets.keyring_backend; sys.exit('keyring' in sys.modules)"
    )
    src = str(Path(__file__).parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


def test_registry_provides_it() -> None:
    assert isinstance(registry.get_backend("keyring"), KeyringBackend)


class TestTimeoutSetting:
    @pytest.mark.parametrize("value", [None, "", "  "], ids=["unset", "empty", "blank"])
    def test_default(self, monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
        if value is not None:
            monkeypatch.setenv(TIMEOUT_ENV, value)
        assert keyring_timeout() == DEFAULT_TIMEOUT == 10.0  # SECURITY.md: "default 10"

    def test_value(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(TIMEOUT_ENV, " 2.5 ")
        assert keyring_timeout() == 2.5

    @pytest.mark.parametrize("value", ["ten", "0", "-1", "nan", "inf"])
    def test_invalid(self, monkeypatch: pytest.MonkeyPatch, make: Callable, value: str) -> None:
        monkeypatch.setenv(TIMEOUT_ENV, value)
        with pytest.raises(ConfigurationError, match=TIMEOUT_ENV):
            keyring_timeout()
        backend, _ = make(FakeRing)
        with pytest.raises(ConfigurationError, match="positive number of seconds"):
            backend.get(KEY)
        availability = backend.probe()
        assert not availability.available
        assert TIMEOUT_ENV in availability.reason


class TestTimeouts:
    def test_hanging_keyring(self, monkeypatch: pytest.MonkeyPatch, make: Callable) -> None:
        monkeypatch.setenv(TIMEOUT_ENV, "0.3")
        backend, _ = make(SleepyRing)
        start = time.monotonic()
        availability = backend.probe()
        assert 0.25 < time.monotonic() - start < 2
        assert not availability.available
        assert "did not answer within 0.3 s" in availability.reason
        backend, _ = make(SleepyRing)
        start = time.monotonic()
        with pytest.raises(BackendUnavailableError, match=f"{TIMEOUT_ENV}=<seconds>") as info:
            backend.set(KEY, "s3cret-value")
        assert 0.25 < time.monotonic() - start < 2
        assert "0.3 s" in str(info.value)
        assert "s3cret-value" not in str(info.value)

    def test_later_calls_do_not_queue_behind_a_hung_one(
        self, monkeypatch: pytest.MonkeyPatch, make: Callable
    ) -> None:
        monkeypatch.setenv(TIMEOUT_ENV, "0.5")
        backend, _ = make(SleepyRing)
        with pytest.raises(BackendUnavailableError, match=r"did not answer within 0\.5 s"):
            backend.get(KEY)
        start = time.monotonic()
        with pytest.raises(BackendUnavailableError) as info:
            backend.set(KEY, "s3cret-value")
        assert time.monotonic() - start < 0.2  # at once, not after another 0.5 s
        assert "has not answered an earlier call (read)" in str(info.value)
        assert "s3cret-value" not in str(info.value)

    def test_calls_run_one_at_a_time(self, make: Callable) -> None:
        backend, ring = make(CountingRing)
        threads = [threading.Thread(target=backend.get, args=(KEY,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert ring.overlaps == [1] * 8

    def test_a_waiting_call_fails_fast_once_the_running_one_hangs(
        self, monkeypatch: pytest.MonkeyPatch, make: Callable
    ) -> None:
        monkeypatch.setenv(TIMEOUT_ENV, "0.3")
        backend, _ = make(SleepyRing)
        first: list[BaseException] = []

        def hang() -> None:
            try:
                backend.get(KEY)
            except BackendUnavailableError as exc:
                first.append(exc)

        thread = threading.Thread(target=hang)
        thread.start()
        time.sleep(0.05)
        monkeypatch.setenv(TIMEOUT_ENV, "5")
        start = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="has not answered an earlier call"):
            backend.get(KEY)  # queued while the first ran; told as soon as it is past its limit
        assert time.monotonic() - start < 1.0
        thread.join()
        assert "did not answer within 0.3 s" in str(first[0])

    def test_a_hung_call_that_returns_frees_the_backend(
        self, monkeypatch: pytest.MonkeyPatch, make: Callable
    ) -> None:
        monkeypatch.setenv(TIMEOUT_ENV, "0.2")
        backend, _ = make(SleepyRing)
        with pytest.raises(BackendUnavailableError, match="did not answer"):
            backend.get(KEY)
        RELEASE.set()
        deadline = time.monotonic() + 5
        while True:  # once the hung call returns, the backend answers again
            try:
                assert backend.get(KEY) is None
                break
            except BackendUnavailableError:
                assert time.monotonic() < deadline
                time.sleep(0.01)

    def test_hanging_detection(self, monkeypatch: pytest.MonkeyPatch, arm: Callable) -> None:
        arm(HangingDetectionRing)
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.HangingDetectionRing")
        monkeypatch.setenv(TIMEOUT_ENV, "0.3")
        start = time.monotonic()
        availability = KeyringBackend().probe()
        assert time.monotonic() - start < 2
        assert not availability.available
        assert "the OS keyring did not answer within 0.3 s" in availability.reason


class TestNoDBus:
    """keyrings.alt is installed: keyring itself would fall back to PlaintextKeyring."""

    @pytest.mark.usefixtures("no_dbus")
    def test_unset(self, hermetic_env: Path) -> None:
        backend = KeyringBackend()
        start = time.monotonic()
        availability = backend.probe()
        assert time.monotonic() - start < 5  # well within the 10 s timeout
        assert not availability.available
        assert "PlaintextKeyring (priority 0.5)" in availability.reason
        assert "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS not set)" in availability.reason
        with pytest.raises(BackendUnavailableError, match="encrypted-file") as info:
            backend.set(KEY, "never-in-plaintext")
        assert "TILEDB_CLIENT_PASSPHRASE" in str(info.value)
        with pytest.raises(BackendUnavailableError):
            backend.get(KEY)
        assert plaintext_files(hermetic_env) == []

    def test_missing_socket(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        address = f"unix:path={tmp_path}/no-such-bus"
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        start = time.monotonic()
        availability = KeyringBackend().probe()
        assert time.monotonic() - start < 5
        assert not availability.available
        assert f"SecretService.Keyring is not usable on the D-Bus session bus {address}" in (
            availability.reason
        )
        with pytest.raises(BackendUnavailableError):
            KeyringBackend().set(KEY, "never-in-plaintext")


class TestRefusal:
    @pytest.mark.parametrize(
        ("name", "why"),
        [
            ("keyrings.alt.file.PlaintextKeyring", "stores secrets in a plain file"),
            ("keyring.backends.null.Keyring", "silently stores nothing"),
            ("keyring.backends.fail.Keyring", "fails every call"),
            ("no_such_module.Keyring", "names a backend that cannot be used"),
        ],
    )
    def test_python_keyring_backend(
        self, monkeypatch: pytest.MonkeyPatch, hermetic_env: Path, name: str, why: str
    ) -> None:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
        backend = KeyringBackend()
        availability = backend.probe()
        assert not availability.available
        assert f"PYTHON_KEYRING_BACKEND={name}" in availability.reason
        assert why in availability.reason
        with pytest.raises(BackendUnavailableError, match="TILEDB_CLIENT_SECRET_BACKEND="):
            backend.set(KEY, "never-in-plaintext")
        assert plaintext_files(hermetic_env) == []

    @pytest.mark.parametrize(
        ("cls", "why"),
        [
            (LowRing, "priority is below 1"),
            (PlaintextLookalikeRing, "stores secrets in a plain file"),
        ],
    )
    def test_given_ring(self, make: Callable, cls: type[FakeRing], why: str) -> None:
        backend, ring = make(cls)
        availability = backend.probe()
        assert not availability.available
        assert why in availability.reason
        with pytest.raises(BackendUnavailableError, match=why):
            backend.set(KEY, "secret")
        assert ring.entries == {}

    def test_keyringrc(self, hermetic_env: Path, arm: Callable) -> None:
        config = hermetic_env / ".config" / "python_keyring" / "keyringrc.cfg"
        config.parent.mkdir(parents=True)
        config.write_text("[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n")
        availability = KeyringBackend().probe()
        assert not availability.available
        assert "keyringrc.cfg selects keyrings.alt.file.PlaintextKeyring" in availability.reason
        arm(FakeRing)
        config.write_text(f"[backend]\ndefault-keyring={__name__}.FakeRing\n")
        backend = KeyringBackend()
        assert backend.probe().available
        backend.set(KEY, "value")
        assert backend.get(KEY) == "value"


@pytest.mark.usefixtures("no_dbus")
class TestChainer:
    def test_only_insecure_members(self, arm: Callable, hermetic_env: Path) -> None:
        arm(LowRing)  # with PlaintextKeyring: two members, so keyring would chain them
        availability = KeyringBackend().probe()
        assert not availability.available
        assert "keyring chose keyring's ChainerBackend" in availability.reason
        assert "LowRing (priority 0.9)" in availability.reason
        assert "PlaintextKeyring (priority 0.5)" in availability.reason

    def test_explicit_chainer(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.chainer.ChainerBackend")
        availability = KeyringBackend().probe()
        assert not availability.available
        assert "chains only insecure stores" in availability.reason

    def test_secure_member_is_used_alone(self, arm: Callable, hermetic_env: Path) -> None:
        arm(FakeRing, LowRing)
        backend = KeyringBackend()
        availability = backend.probe()
        assert availability.available, availability.reason
        assert availability.reason == (
            f"{__name__}.FakeRing (priority 5), via keyring's ChainerBackend"
        )
        backend.set(KEY, "value")
        assert backend.get(KEY) == "value"
        assert plaintext_files(hermetic_env) == []

    def test_secure_members_are_chained_skipping_one_for_other_services(
        self, arm: Callable, hermetic_env: Path
    ) -> None:
        arm(OtherServicesRing, FakeRing)
        backend = KeyringBackend()
        reason = backend.probe().reason
        assert reason.startswith("keyring's ChainerBackend of ") and "OtherServicesRing" in reason
        backend.set(KEY, "value")
        assert backend.get(KEY) == "value"
        assert backend.keys() is None  # no Secret Service among them
        assert backend.delete(KEY) is True
        assert backend.delete(KEY) is False
        assert plaintext_files(hermetic_env) == []


def test_detection_is_per_instance(monkeypatch: pytest.MonkeyPatch, arm: Callable) -> None:
    arm(FakeRing)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    backend = registry.get_backend("keyring")
    assert not backend.probe().available
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{__name__}.FakeRing")
    assert backend.probe().available  # a refusal is not remembered
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    assert backend.probe().available  # a working choice is, for this instance
    assert f"{__name__}.FakeRing" in repr(backend)
    registry.forget_backends()
    assert not registry.get_backend("keyring").probe().available


class TestErrors:
    def test_locked(self, make: Callable) -> None:
        backend, _ = make(LockedRing)
        availability = backend.probe()
        assert not availability.available
        assert "is locked (KeyringLocked: Failed to unlock the collection!)" in (
            availability.reason
        )
        with pytest.raises(BackendUnavailableError, match="Unlock it, then retry"):
            backend.get(KEY)

    def test_secret_never_in_errors(self, make: Callable) -> None:
        backend, _ = make(LeakyRing)
        secret = "-".join(["hunter2", "top", "secret"])  # not spelled out in the traceback
        with pytest.raises(SecretBackendError) as info:
            backend.set(KEY, secret)
        error = info.value
        assert not isinstance(error, BackendUnavailableError)
        assert "details withheld" in str(error)
        assert error.__cause__ is None
        assert error.__context__ is None
        assert secret not in "".join(traceback.format_exception(error)) + repr(error)

    def test_unreachable(self, make: Callable) -> None:
        backend, _ = make(UnreachableRing)
        with pytest.raises(BackendUnavailableError, match="cannot be reached") as info:
            backend.get(KEY)
        assert isinstance(info.value.__cause__, OSError)
        assert KEY in str(info.value)

    def test_other_failure(self, make: Callable) -> None:
        backend, _ = make(OddRing)
        with pytest.raises(SecretBackendError, match=r"DBus\.Error\.Failed") as info:
            backend.get(KEY)
        with pytest.raises(SecretBackendError, match=r"DBus\.Error\.Failed"):
            backend.get(KEY)  # a failed call does not hold the next one
        assert not isinstance(info.value, BackendUnavailableError)
        assert isinstance(info.value.__cause__, RuntimeError)

    def test_unexpected_failure_in_probe_keeps_its_traceback(
        self, make: Callable, caplog: pytest.LogCaptureFixture
    ) -> None:
        backend, _ = make(OddRing)
        with caplog.at_level(logging.DEBUG, logger="tiledb.client"):
            availability = backend.probe()
        assert not availability.available
        assert "RuntimeError" in availability.reason
        logged = [record for record in caplog.records if record.exc_info]
        assert logged, "the unexpected exception was not logged with its traceback"
        assert logged[0].exc_info[0] is RuntimeError

    def test_delete_that_fails_is_not_missing(self, make: Callable) -> None:
        backend, ring = make(StubbornRing)
        assert backend.delete(KEY) is False
        ring.entries[KEY] = "value"
        with pytest.raises(SecretBackendError, match="Can't delete"):
            backend.delete(KEY)

    def test_too_long_for_one_entry_is_refused_before_any_write(self, make: Callable) -> None:
        backend, ring = make(WindowsLimitRing)
        backend.set(KEY, "\U0001f511" * 512)  # 2,048 bytes of UTF-16: fits
        with pytest.raises(ValueError, match="2052 bytes of UTF-16, at most 2048 fit"):
            backend.set(KEY, "\U0001f511" * 513)
        assert ring.writes == [KEY]
        assert backend.get(KEY) == "\U0001f511" * 512
