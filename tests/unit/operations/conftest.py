"""Fixtures of the operation tests."""

from __future__ import annotations

from typing import Any

import pytest

from tiledb.client.storage import profiles as profiles_module


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The profile files opened for reading from here on."""
    opened: list[str] = []

    def counting_open(file: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(file)
        return open(file, *args, **kwargs)  # noqa: PTH123

    monkeypatch.setattr(profiles_module, "open", counting_open, raising=False)
    return opened
