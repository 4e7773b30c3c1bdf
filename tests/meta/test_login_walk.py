"""A login by profile name walks down the layers, climbing back up at most once.

Every call between two modules of ``tiledb.client`` is traced (``sys.setprofile``); a call
from a lower layer into a higher one is a climb (the layer map of docs/development.md).
Run with ``-s`` to see the walk: the modules in the order the login first enters them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import tiledb.client
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)

LAYERS = {
    "errors": 0, "basics": 1, "storage": 2, "secrets": 2, "transport": 3, "session": 4,
    "operations": 5, "client": 6, "workspaces": 6, "cli": 7, "testing": 7, "dask": 7,
}  # fmt: skip


def _ours(frame: FrameType | None) -> FrameType | None:
    """The nearest frame, from ``frame`` outwards, of a module of ``tiledb.client``."""
    while frame is not None and not frame.f_globals.get("__name__", "").startswith(
        "tiledb.client."
    ):
        frame = frame.f_back
    return frame


def _layer(frame: FrameType) -> int:
    return LAYERS[frame.f_globals["__name__"].split(".")[2]]


def walk(call: Callable[[], Any]) -> tuple[list[str], list[str]]:
    """The modules ``call`` enters, in order, and its climbs (``caller -> callee``)."""
    modules: list[str] = []
    climbs: list[str] = []

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event != "call":
            return
        name = frame.f_globals.get("__name__", "")
        if not name.startswith("tiledb.client."):
            return
        if name not in modules:
            modules.append(name)
        caller = _ours(frame.f_back)
        caller_name = caller.f_globals["__name__"] if caller else name
        if caller and caller_name != name and _layer(frame) > _layer(caller):
            edge = f"{caller_name}.{caller.f_code.co_name} -> {name}.{frame.f_code.co_name}"
            if edge not in climbs:
                climbs.append(edge)

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return modules, climbs


def test_a_password_login_by_profile_name_climbs_back_up_at_most_once(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, workspace=DEFAULT_WORKSPACE,
        host=local_server.url, profile_name="walk",
    )  # fmt: skip
    modules, climbs = walk(lambda: tiledb.client.login(profile_name="walk"))
    print("\nwalk:", " -> ".join(m.removeprefix("tiledb.client.") for m in modules))
    print("climbs:", climbs)
    assert "tiledb.client.secrets.encrypted_file" in modules  # the walk reached the secret
    assert len(climbs) <= 1, climbs


def test_a_token_login_by_profile_name_climbs_back_up_at_most_once(
    local_server: LocalServer, vault: Path
) -> None:
    tiledb.client.configure(
        token=DEFAULT_TOKEN, workspace=DEFAULT_WORKSPACE, host=local_server.url,
        profile_name="walk",
    )  # fmt: skip
    modules, climbs = walk(lambda: tiledb.client.login(profile_name="walk"))
    print("\nwalk:", " -> ".join(m.removeprefix("tiledb.client.") for m in modules))
    print("climbs:", climbs)
    assert "tiledb.client.session.tiledb_config" in modules
    assert len(climbs) <= 1, climbs
