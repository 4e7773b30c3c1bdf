"""The one atomic writer (basics.files.replace_atomically): success, and what a failure leaves.

Failures are made at the boundary: a file size limit (a full disk, to the writer) in
a child process, and a directory where the file should be.
"""

from __future__ import annotations

import errno
import stat
from pathlib import Path

import pytest

from tests.faults import run_with_file_size_limit
from tiledb.client.basics.files import replace_atomically


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty directory of the test's own (tmp_path also holds the test's HOME)."""
    path = tmp_path / "folder"
    path.mkdir()
    return path


def test_replaces_with_mode_0600_and_leaves_nothing_else(folder: Path) -> None:
    target = folder / "profiles.json"
    target.write_text("old")
    target.chmod(0o644)
    replace_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert names(folder) == ["profiles.json"]
    replace_atomically(target, b"shared", mode=0o640)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    replace_atomically(folder / "new.json", b"{}")  # a new file too
    assert names(folder) == ["new.json", "profiles.json"]


def test_full_disk_leaves_the_target_and_no_temporary_file(folder: Path) -> None:
    target = folder / "profiles.json"
    target.write_bytes(b"the old contents\n")
    result = run_with_file_size_limit(
        f"""
        from pathlib import Path
        from tiledb.client.basics.files import replace_atomically
        try:
            replace_atomically(Path({str(target)!r}), b"x" * 100_000)
        except OSError as exc:
            report(errno=exc.errno)
        else:
            report(errno=None)
        """,
        limit=4096,
    )
    assert result["errno"] == errno.EFBIG
    assert target.read_bytes() == b"the old contents\n"
    assert names(folder) == ["profiles.json"]


def test_a_directory_in_the_way_leaves_it_and_no_temporary_file(folder: Path) -> None:
    target = folder / "secrets.vault"
    target.mkdir()
    (target / "inside").write_text("kept")
    with pytest.raises(OSError, match=str(target)) as caught:
        replace_atomically(target, b"{}")
    assert caught.value.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST)
    assert (target / "inside").read_text() == "kept"
    assert names(folder) == ["secrets.vault"]


def test_a_missing_directory_is_an_error(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):
        replace_atomically(folder / "missing" / "profiles.json", b"{}")
    assert names(folder) == []
