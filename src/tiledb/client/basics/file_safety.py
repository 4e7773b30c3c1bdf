"""Who besides you can change or read a file: the checks behind refusals and warnings.

The policy is SECURITY.md's "Unsafe files". POSIX only: elsewhere every check is ``None``.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a login checks its profile file without importing pathlib
    from pathlib import Path
    from typing import TypeAlias

    AnyPath: TypeAlias = str | Path

__all__ = [
    "group_can_write",
    "mode_of",
    "others_can_change",
    "others_can_change_path",
    "others_can_read",
    "read_regular_file",
]


def _owner_name(uid: int) -> str:
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name!r} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _group_name(gid: int) -> str:
    try:
        import grp

        return f"group {grp.getgrgid(gid).gr_name!r}"
    except (ImportError, KeyError):
        return f"gid {gid}"


def _stat(path: AnyPath) -> os.stat_result | None:
    if os.name != "posix":
        return None
    try:
        return os.stat(path)  # noqa: PTH116 - a str or a Path
    except OSError:
        return None


def mode_of(path: AnyPath) -> str:
    """Return the permission bits of ``path`` in octal, e.g. ``"0644"`` (``"?"`` if unknown)."""
    try:
        return f"{stat.S_IMODE(os.stat(path).st_mode):04o}"  # noqa: PTH116
    except OSError:
        return "?"


def others_can_change(path: AnyPath) -> str | None:
    """Say why another user can replace or change ``path`` (links followed), or ``None``."""
    info = _stat(path)
    if info is None:
        return None
    if info.st_uid not in (os.geteuid(), 0):
        return f"it is owned by {_owner_name(info.st_uid)}, not by you"
    mode = stat.S_IMODE(info.st_mode)
    sticky_directory = stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX
    if mode & stat.S_IWOTH and not sticky_directory:
        return "other users can write to it"
    return None


def others_can_change_path(path: Path) -> str | None:
    """Like :func:`others_can_change`, for ``path`` and every directory above it (as ssh does)."""
    problem = others_can_change(path)
    if problem is not None:
        return problem
    given = path.absolute()
    for directory in dict.fromkeys([*given.parents, *given.resolve().parents]):
        problem = others_can_change(directory)
        if problem is not None:
            return f"its directory {directory}: {problem}"
    return None


def read_regular_file(path: Path, limit: int) -> bytes:
    """Read at most ``limit + 1`` bytes of the regular file ``path``; a pipe is refused unread."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    with open(os.open(path, flags), "rb") as handle:  # noqa: PTH123 - opened from a descriptor
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            kind = "a named pipe" if stat.S_ISFIFO(mode) else "a device, socket or directory"
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file")
        return handle.read(limit + 1)


def group_can_write(path: Path) -> str | None:
    """Say which group can write to ``path``, or ``None``."""
    info = _stat(path)
    if info is None:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_IWGRP:
        return f"members of {_group_name(info.st_gid)} can write to it"
    return None


def others_can_read(path: Path) -> str | None:
    """Say who besides the owner can read ``path``, or ``None``."""
    info = _stat(path)
    if info is None:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_IROTH:
        return "other users can read it"
    if mode & stat.S_IRGRP:
        return f"members of {_group_name(info.st_gid)} can read it"
    return None
