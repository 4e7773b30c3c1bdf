"""pytest fixtures: a loopback TileDB REST server per test (``tiledb.client.testing``).

Enable with ``pytest_plugins = [..., "tests.local_server"]`` in ``tests/conftest.py``.

- ``local_server``: :class:`LocalServer` over HTTP, default seed, in a background thread.
- ``local_tls_server``: the same over HTTPS; ``server.ca_file`` is the CA to trust.
- ``local_server_process`` / ``local_tls_server_process``: :class:`ServerProcess`, the
  server in a child process, for TileDB core calls that keep the GIL (e.g.
  ``tiledb.ArraySchema.load``) and would deadlock against a server thread.

The request log goes to ``sys.stderr`` (captured by pytest, shown on failure).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tiledb.client.testing import LocalServer, ServerProcess


def _log(line: str) -> None:
    sys.stderr.write(f"[local server] {line}\n")


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """An HTTP :class:`LocalServer` with the default seed."""
    with LocalServer(log=_log) as server:
        yield server


@pytest.fixture
def local_tls_server(tmp_path: Path) -> Iterator[LocalServer]:
    """An HTTPS :class:`LocalServer` with the default seed; trust ``server.ca_file``."""
    with LocalServer(tls=True, state_dir=tmp_path / "local-server-tls", log=_log) as server:
        yield server


@pytest.fixture
def local_server_process() -> Iterator[ServerProcess]:
    """An HTTP server in a child process (default seed)."""
    with ServerProcess() as server:
        yield server


@pytest.fixture
def local_tls_server_process() -> Iterator[ServerProcess]:
    """An HTTPS server in a child process (default seed); trust ``server.ca_file``."""
    with ServerProcess(tls=True) as server:
        yield server
