"""Hermetic test environment: every test gets its own HOME, XDG dirs and profile dir.

Nothing here touches the real user's ``~/.tiledb``, keyring collection or network.
Variables that would let a test read the developer's real settings are removed.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.secret_service", "tests.local_server", "tests.backends"]

_CLEARED_PREFIXES = (
    "TILEDB_",
    "PYTHON_KEYRING",
    "KEYRING_",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME (so ``~/.tiledb``) and the XDG dirs into ``tmp_path``."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(name)
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
    from tiledb.client import client
    from tiledb.client.basics.tiledb_py import set_default_ctx_for_new_threads
    from tiledb.client.secrets import registry
    from tiledb.client.session import current as session

    registry.forget_backends()
    yield home
    registry.forget_backends()
    session.install(None, update_default_ctx=False)
    set_default_ctx_for_new_threads(None)  # login() made it process-wide
    client.client.retry_mode("default")
    client.client.set_threads(None)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool:
    """Run each test function in a fresh ``contextvars`` context.

    TileDB-Py keeps its default context in a ContextVar, and ``login()`` replaces it;
    a fresh context per test keeps one test's session out of the next test's
    ``tiledb.default_ctx()``.
    """
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    contextvars.Context().run(pyfuncitem.obj, **arguments)
    return True
