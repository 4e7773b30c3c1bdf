"""The suite leaves a developer's own keyring alone.

A second private D-Bus session with its own gnome-keyring stands in for the
developer's desktop: its bus listens on ``$XDG_RUNTIME_DIR/bus`` like a systemd user
session, ``DBUS_SESSION_BUS_ADDRESS`` points at it and ``DISPLAY`` names an X display,
as in a desktop terminal. Tests of every test directory (those that once wrote there:
password and token profiles with the ``vault`` fixture, the seed examples, the CLI flow,
the Secret Service tests and their clean-up; and those with module-scoped fixtures: the
docs server, the site build, Chromium) then run in a child pytest. The outer keyring must
hold exactly what it held before, the developer's HOME stay empty, and no fixture of any
scope, nor any process started, see the developer's HOME, bus or display
(:mod:`tests.meta.env_witness` watches).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.secret_service import SecretServiceBus, start_secret_service, stop_secret_service

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
# The tests that wrote into the developer's keyring before the environment was sealed,
# the Secret Service tests whose clean-up deletes every "tiledb-client" item, the tests
# whose module-scoped fixtures ran before the per-test seal, and one or more of every
# other test directory.
SUBSET = (
    "tests/integration/test_session.py",
    "tests/integration/test_seed_examples.py",
    "tests/integration/test_core.py::test_core_sends_the_token_after_login",
    "tests/integration/test_secret_service.py::test_items_have_readable_labels_and_go_away",
    "tests/cli/test_cli_flow.py::test_token_profile_end_to_end",
    "tests/unit/secrets/test_keyring_backend.py",
    "tests/reliability/test_keyring_faults.py::test_locked_collection",
    "tests/docs/test_site_in_browser.py",
    "tests/docs/test_examples.py::test_page_examples_run[docs/tutorial/first-login.md]",
    "tests/meta/test_fresh_context.py",
)
DEVELOPER_DISPLAY = ":7"
Item = tuple[str, str, tuple[tuple[str, str], ...], bytes]


def keyring_items(address: str) -> list[Item]:
    """Every item of every collection on the Secret Service at ``address``."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    found: list[Item] = []
    with open_dbus_connection(bus=address) as connection:
        for collection in secretstorage.get_all_collections(connection):
            for item in collection.get_all_items():
                attributes = tuple(sorted(item.get_attributes().items()))
                found.append(
                    (item.get_label(), collection.get_label(), attributes, item.get_secret())
                )
    return sorted(found)


def add_item(address: str, label: str, attributes: dict[str, str], secret: bytes) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus=address) as connection:
        secretstorage.get_default_collection(connection).create_item(label, attributes, secret)


@pytest.fixture
def desktop_keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceBus]:
    """A developer's keyring: a Secret Service on ``<runtime>/bus`` holding their items."""
    root = tmp_path_factory.mktemp("desktop")
    bus = start_secret_service(root, bus_socket=root / "run" / "bus")
    try:
        add_item(
            bus.address, "mail", {"service": "mail", "username": "ada"}, b"ada's mail password"
        )
        user = "token: default @ /home/ada/.tiledb/profiles.json [1f3a9c2e]"
        add_item(
            bus.address,
            f"Password for '{user}' on 'tiledb-client'",
            {"service": "tiledb-client", "username": user},
            b"ada's real tiledb token",
        )
        yield bus
    finally:
        stop_secret_service(bus)


def test_the_subset_covers_every_test_directory() -> None:
    directories = {path.relative_to(TESTS).parts[0] for path in TESTS.rglob("test_*.py")}
    covered = {Path(test).relative_to("tests").parts[0] for test in SUBSET}
    assert directories - covered == set()
    assert {"unit", "integration", "cli", "reliability", "docs", "meta"} <= directories


@pytest.mark.timeout(400)
def test_suite_leaves_the_desktop_keyring_alone(
    desktop_keyring: SecretServiceBus, tmp_path: Path
) -> None:
    before = keyring_items(desktop_keyring.address)
    assert len(before) == 2
    developer_home = tmp_path / "ada"
    developer_home.mkdir()
    witness = tmp_path / "witness.jsonl"
    env = {
        **os.environ,
        "HOME": str(developer_home),
        "DBUS_SESSION_BUS_ADDRESS": desktop_keyring.address,
        "XDG_RUNTIME_DIR": str(desktop_keyring.root / "run"),
        "DISPLAY": DEVELOPER_DISPLAY,
        "HERMETIC_WITNESS_FILE": str(witness),
    }
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env.pop(name, None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-p",
            "tests.meta.env_witness",
            *SUBSET,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=380,
        check=False,
    )
    assert keyring_items(desktop_keyring.address) == before, run.stdout[-6000:]
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    assert not list(developer_home.iterdir())  # nor the developer's HOME
    seen = [json.loads(line) for line in witness.read_text().splitlines()]
    assert [s for s in seen if s["leaks"]] == []
    wide = {s["what"].split(" (")[0] for s in seen if "(module," in s["what"]}
    assert {"site", "tutorial", "docs_server"} <= wide  # the fixtures set up before a test's own
    started = [s["what"] for s in seen if s["kind"] == "process"]
    assert any(program.endswith("chromium") for program in started), started
