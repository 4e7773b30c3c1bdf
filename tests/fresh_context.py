"""pytest plugin: each test runs (set-up, call, tear-down) in a fresh ``contextvars`` context.

TileDB-Py keeps its default context in a ``ContextVar`` and ``login()`` replaces it;
without this, one test's credentials would stay in the next test's
``tiledb.default_ctx()``, and a test asserting "no default context yet" would depend
on the order the tests run in.

Only the protocol runs inside the new context: pytest still calls the test through
its own ``pytest_pyfunc_call``, so its checks stay (an ``async def`` test without an
async plugin fails, a test that returns a value warns). Loaded by tests/conftest.py.
"""

from __future__ import annotations

import contextvars

import pytest
from _pytest.runner import runtestprotocol  # what pytest's own implementation calls


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool:
    """Run pytest's own test protocol for ``item`` inside an empty ``contextvars.Context``."""

    def protocol() -> None:
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        runtestprotocol(item, nextitem=nextitem)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    contextvars.Context().run(protocol)
    return True
