"""Hermetic test environment: every test gets its own HOME, XDG dirs and profile dir.

Nothing here touches the real user's ``~/.tiledb``, keyring collection or network.
Variables that would let a test read the developer's real settings are removed: for the
whole session first (``pytest_configure``, before collection and before any session or
module fixture: a docs server, a site build, Chromium), then again for each test
(``hermetic_env``), each test in a HOME of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def _import_tiledb_client_from_the_tree_under_test() -> None:
    """Under mutation testing, make ``tiledb.client`` come from the mutated copy.

    mutmut (``tox -e mutation``) copies the tree to ``mutants/`` and runs these tests
    there; they must import the mutated ``mutants/src/tiledb/client``, not the installed
    package. TileDB-Py owns the regular package ``tiledb`` (its ``__path__`` also lists the
    ``src/tiledb`` beside these tests, after its own directory), so the copy is put first.
    Elsewhere nothing changes: the tests import the installed (or editable) package.
    """
    tree = Path(__file__).resolve().parents[1]
    if tree.name != "mutants":
        return
    import tiledb

    here = str(tree / "src" / "tiledb")
    if here in tiledb.__path__:
        tiledb.__path__.remove(here)
    tiledb.__path__.insert(0, here)


_import_tiledb_client_from_the_tree_under_test()

pytest_plugins = [
    "pytester",
    "tests.fresh_context",
    "tests.secret_service",
    "tests.local_server",
    "tests.backends",
]

_CLEARED_PREFIXES = (
    "TILEDB_",
    "PYTHON_KEYRING",
    "KEYRING_",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "VAULT_",
    "BAO_",
)
# What leads a process to the developer's own desktop session, and so to their keyring:
# jeepney (keyring's Secret Service backend) reads DBUS_SESSION_BUS_ADDRESS; libdbus and
# GDBus (secret-tool) also try $XDG_RUNTIME_DIR/bus and autolaunch through the X display.
# A test that wants a Secret Service asks for the private one (``secret_service``).
_DESKTOP_SESSION = (
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_STARTER_ADDRESS",
    "DBUS_STARTER_BUS_TYPE",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "GNOME_KEYRING_CONTROL",
)


# The suite's own settings, read when tests/reliability/conftest.py is loaded (which may be
# after the session is sealed); each test's hermetic_env drops them too.
_SUITE_SETTINGS = ("TILEDB_CLIENT_RELIABILITY_",)
_SESSION_SEAL = pytest.StashKey[tuple[pytest.MonkeyPatch, Path]]()


def seal_environment(
    monkeypatch: pytest.MonkeyPatch, root: Path, *, keep: tuple[str, ...] = ()
) -> Path:
    """Point HOME, the XDG dirs and ``XDG_RUNTIME_DIR`` into ``root``; drop the desktop session.

    Removes the variables that lead to the developer's settings or desktop session (those
    starting with ``keep`` stay); returns the new HOME (created).
    """
    home = root / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(keep):
            continue
        if name.startswith(_CLEARED_PREFIXES) or name in _DESKTOP_SESSION:
            monkeypatch.delenv(name)
    runtime = root / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    # TILEDB_PROFILE_DIR stays unset: the profile dir is ~/.tiledb of the temporary HOME.
    # (TileDB core refuses to make any Ctx when that variable names a directory without
    # the profile it looks for, which would make every test set up a profile.)
    # Keep requests away from any proxy configured on the machine: tests are loopback only.
    monkeypatch.setenv("NO_PROXY", "*")
    return home


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Seal the environment for the whole session, before anything is collected or set up."""
    root = Path(tempfile.mkdtemp(prefix="tiledb-client-tests-session-"))
    monkeypatch = pytest.MonkeyPatch()
    seal_environment(monkeypatch, root, keep=_SUITE_SETTINGS)
    config.stash[_SESSION_SEAL] = (monkeypatch, root)


def pytest_unconfigure(config: pytest.Config) -> None:
    if (seal := config.stash.get(_SESSION_SEAL, None)) is not None:
        monkeypatch, root = seal
        monkeypatch.undo()
        shutil.rmtree(root, ignore_errors=True)


UNIT_TEST_TIMEOUT = 30.0
"""Seconds for each test under tests/unit without its own ``timeout`` mark (others: 60)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give unit tests a tighter time limit than the default of pyproject.toml."""
    unit = Path(__file__).parent / "unit"
    for item in items:
        if item.path.is_relative_to(unit) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(UNIT_TEST_TIMEOUT))


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME (so ``~/.tiledb``) and the XDG dirs into ``tmp_path``; no desktop session."""
    home = seal_environment(monkeypatch, tmp_path)
    from tiledb.client import client
    from tiledb.client.basics.tiledb_py import set_default_ctx_for_new_threads
    from tiledb.client.secrets import registry
    from tiledb.client.session import current as session

    registry.forget_backends()
    yield home
    for thread in threading.enumerate():  # a revocation left pending must not log in the next test
        if isinstance(thread, threading.Timer) and thread.name == "tiledb-client token revocation":
            thread.cancel()
            thread.join(10)
    registry.forget_backends()
    session.install(None, update_default_ctx=False)
    set_default_ctx_for_new_threads(None)  # login() made it process-wide
    client.client.retry_mode("default")
    client.client.set_threads(None)
