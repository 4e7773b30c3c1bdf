"""The registry finds plugins as importlib.metadata does, without importing it."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tiledb.client.secrets import registry


def _distribution(site: Path, name: str, text: str) -> None:
    (site / name).mkdir(parents=True)
    (site / name / "entry_points.txt").write_text(text)


@pytest.mark.parametrize(
    "group", [registry.ENTRY_POINT_GROUP, "console_scripts", "pytest11", "keyring.backends"]
)
def test_finds_what_importlib_metadata_finds(group: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "ENTRY_POINT_GROUP", group)
    # extras ("module:attr [extra]") are not part of a target
    expected = {e.name: e.value.partition(" [")[0] for e in entry_points(group=group)}
    assert expected
    assert registry._entry_points() == expected


def test_first_distribution_on_the_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = f"[{registry.ENTRY_POINT_GROUP}]\n"
    _distribution(
        tmp_path / "a",
        "My_Plugin-2.0.dist-info",
        f"[console_scripts]\nx = a:b\n\n{group}# a comment\nmine = my_plugin.new:Backend [extra]\n",
    )
    _distribution(tmp_path / "b", "my.plugin-1.0.dist-info", f"{group}mine = old:Backend\n")
    _distribution(
        tmp_path / "b", "other-1.0.egg-info", f"{group}other=other.mod:Other\n[x]\ny = z:w\n"
    )
    monkeypatch.setattr(
        sys, "path", [str(tmp_path / "missing"), str(tmp_path / "a"), str(tmp_path / "b")]
    )
    assert registry._entry_points() == {
        "mine": "my_plugin.new:Backend",
        "other": "other.mod:Other",
    }
    assert registry.backend_names() == ["keyring", "encrypted-file", "mine", "other"]
