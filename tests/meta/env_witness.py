"""A pytest plugin for the hermetic meta-test: what saw the developer's desktop session.

``tests/meta/test_hermetic.py`` loads it in its child pytest (``-p tests.meta.env_witness``),
so it is imported before the suite's conftest seals the environment: it keeps the
developer's values of the variables below as the child started. Then, for every fixture
set up (whatever its scope: a docs server, a site build, Chromium) and every process
started (an audit hook), it notes which of those variables still held the developer's
value. At the end it writes one JSON line per observation to ``$HERMETIC_WITNESS_FILE``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

FILE_ENV = "HERMETIC_WITNESS_FILE"
WATCHED = (
    "HOME",
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
)
_DEVELOPER = {name: os.environ[name] for name in WATCHED if os.environ.get(name)}
_FILE = os.environ.get(FILE_ENV)
_SEEN: list[dict[str, Any]] = []


def _leaks(env: Mapping[str, str]) -> list[str]:
    """The watched variables of ``env`` that hold the developer's value (or a path in HOME)."""
    home = _DEVELOPER.get("HOME")
    return sorted(
        name
        for name in WATCHED
        if (value := env.get(name))
        and (value == _DEVELOPER.get(name) or (home is not None and value.startswith(home + "/")))
    )


def _environment_of(event: str, args: tuple[Any, ...]) -> Mapping[str, str] | None:
    env = args[3] if event == "subprocess.Popen" else args[2]
    if env is None:
        return os.environ
    if isinstance(env, Mapping):
        return {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}
    return None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in ("subprocess.Popen", "os.posix_spawn", "os.exec"):
        env = _environment_of(event, args)
        if env is not None:
            _SEEN.append({"kind": "process", "what": str(args[0]), "leaks": _leaks(env)})


sys.addaudithook(_audit)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> None:
    what = f"{fixturedef.argname} ({fixturedef.scope}, {fixturedef.baseid or 'plugin'})"
    _SEEN.append({"kind": "fixture", "what": what, "leaks": _leaks(os.environ)})


def pytest_unconfigure(config: pytest.Config) -> None:
    if _FILE:
        Path(_FILE).write_text("".join(json.dumps(seen) + "\n" for seen in _SEEN))
