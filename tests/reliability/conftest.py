"""Fixtures of the reliability suite: measured figures, and a site of real files to attack.

- ``figures`` (session): ``figures.record("vault byte flips", 3084)`` keeps a number a
  test measured; the terminal summary prints them all, and with
  ``TILEDB_CLIENT_RELIABILITY_FIGURES=path`` they are also written there as JSON.
  SECURITY.md's table "Properties shown by tests" quotes them.
- ``storage_site``: one profile directory and one vault (cheap KDF), selected through the
  environment so child processes use them too.
- ``zygote``: a ready process that forks storage workers on demand
  (:mod:`tests.reliability.storage_worker`).
- ``reliability_seed``: the seed of a test's random choices, pytest-randomly's
  ``--randomly-seed`` plus a number of the test's id (as pytest-randomly seeds
  ``random`` for each test), so a run replays with ``-p randomly --randomly-seed=N``
  whatever the order or the selection. With ``-p no:randomly``:
  ``$TILEDB_CLIENT_RELIABILITY_SEED``, else the clock. The seed is printed with the
  figures. Hypothesis is derandomised (each test runs the same examples on every run).

Each figure is measured by one test, from what that test did alone, so it does not
depend on which tests ran before it.

The whole suite is bounded (under 10 minutes in CI): tests size themselves with
:func:`scaled`, ``TILEDB_CLIENT_RELIABILITY_SCALE`` (default 1.0) multiplying the counts.
"""

from __future__ import annotations

import json
import os
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.reliability.storage_support import StorageSite, Zygote

settings.register_profile(
    "reliability",
    database=None,  # hermetic: nothing written into the checkout
    deadline=None,  # a slow shared CI machine is not a failure; hangs are caught by timeouts
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
    derandomize=True,  # the same examples on every run, so their figures replay exactly
)
settings.load_profile("reliability")

SCALE_ENV = "TILEDB_CLIENT_RELIABILITY_SCALE"
FIGURES_ENV = "TILEDB_CLIENT_RELIABILITY_FIGURES"
SEED_ENV = "TILEDB_CLIENT_RELIABILITY_SEED"


# Read when the suite is loaded: each test's hermetic environment drops TILEDB_* variables.
_SCALE = os.environ.get(SCALE_ENV) or "1"
_FIGURES_FILE = os.environ.get(FIGURES_ENV)
_FALLBACK_SEED = int(os.environ.get(SEED_ENV) or time.time_ns() % 100_000)
_SEEDED: set[str] = set()  # the tests that asked for a seed


def base_seed(config: pytest.Config) -> tuple[int, str]:
    """The run's seed and where it came from: ``--randomly-seed``, or the fallback."""
    seed = config.getoption("randomly_seed", None)
    if isinstance(seed, int):  # pytest-randomly has resolved it (it is active)
        return seed, "--randomly-seed"
    return _FALLBACK_SEED, SEED_ENV if os.environ.get(SEED_ENV) else "the clock"


@pytest.fixture
def reliability_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed: the run's seed plus a number of its id (order-independent)."""
    seed, _ = base_seed(request.config)
    _SEEDED.add(request.node.nodeid)
    return (seed + zlib.crc32(request.node.nodeid.encode())) % 2**32


def scaled(count: int) -> int:
    """Return ``count`` times ``$TILEDB_CLIENT_RELIABILITY_SCALE`` (default 1), at least 1."""
    try:
        factor = float(_SCALE)
    except ValueError:
        factor = 1.0
    return max(1, round(count * factor))


class Figures:
    """Numbers measured by the reliability tests, for SECURITY.md's table."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self._lock = threading.Lock()

    def record(self, name: str, value: object) -> None:
        """Keep ``value`` under ``name``, e.g. ``("kills during configure", 41)``."""
        with self._lock:
            self.values[name] = value


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FIGURES.values and not _SEEDED:
        return
    terminalreporter.section("reliability figures")
    seed, source = base_seed(terminalreporter.config)
    if source == "--randomly-seed":
        replay = f"python -m pytest --randomly-seed={seed}"
    else:
        replay = f"{SEED_ENV}={seed} python -m pytest -p no:randomly"
    terminalreporter.write_line(f"seed: {seed} (from {source}); replay: {replay} TESTS")
    for name, value in _FIGURES.values.items():
        terminalreporter.write_line(f"{name}: {value}")
    if _FIGURES_FILE:
        document = {**_FIGURES.values, "seed": seed}
        Path(_FIGURES_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


@pytest.fixture
def storage_site(vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StorageSite:
    """One profile directory and one vault, chosen through the environment."""
    profile_dir = tmp_path / "profiles"
    monkeypatch.setenv("TILEDB_PROFILE_DIR", str(profile_dir))
    monkeypatch.setenv("TILEDB_CLIENT_SECRET_BACKEND", "encrypted-file")
    return StorageSite(profile_dir=profile_dir, vault=vault)


@pytest.fixture
def zygote(storage_site: StorageSite) -> Iterator[Zygote]:
    """A process that forks storage workers with this test's environment."""
    process = Zygote.start()
    try:
        yield process
    finally:
        process.close()
