"""Who besides you can change or read a file: the checks behind refusals and warnings.

The policy (SECURITY.md, "Unsafe files") follows OpenSSH's ``StrictModes``: a file or
directory that another user can **change** is refused where changing it would hand
them your credentials (the profile directory and file: a rewritten host receives your
token; the passphrase file: a chosen passphrase opens a new vault). That is a file or
directory owned by another user (root excepted), or writable by everyone (a
directory with the sticky bit, like ``/tmp``, excepted: others cannot replace what is
yours in it). Group write access is reported, not refused: with per-user groups
(Debian's default ``umask 002``) the group is only you. Read access by others is
reported too; only the passphrase file is secret.

POSIX only: elsewhere every check answers ``None`` (Windows ACLs are not modes).
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
    """Return why another user can replace or change ``path``, or ``None``.

    Parameters
    ----------
    path : str or pathlib.Path
        A file or directory, e.g. ``Path("/home/ada/.tiledb")``; symbolic links are
        followed. A path that cannot be examined gives ``None``.

    Returns
    -------
    str or None
        e.g. ``"it is owned by user 'bob' (uid 1001), not by you"`` or ``"other users can
        write to it"``.
    """
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
    """Like :func:`others_can_change`, for ``path`` and every directory above it.

    As OpenSSH checks the directories of its keys: a directory another user can write
    lets them swap the file for a link to one they chose. The directories are those of
    the path as given and of the path with its links resolved.

    Returns
    -------
    str or None
        e.g. ``"its directory /srv/drop: other users can write to it"``.
    """
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
    """Read at most ``limit + 1`` bytes of ``path``, which must be a regular file.

    The file is opened without blocking, so a named pipe with no writer is refused at
    once instead of hanging, and is never read (nor consumed) at all.

    Raises
    ------
    OSError
        When the file cannot be opened or read, or is not a regular file (``strerror``
        says why, e.g. ``"it is a named pipe, not a regular file"``).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    with open(os.open(path, flags), "rb") as handle:  # noqa: PTH123 - opened from a descriptor
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            kind = "a named pipe" if stat.S_ISFIFO(mode) else "a device, socket or directory"
            raise OSError(errno.EINVAL, f"it is {kind}, not a regular file")
        return handle.read(limit + 1)


def group_can_write(path: Path) -> str | None:
    """Return who of the file's group can write to ``path``, or ``None``.

    Returns
    -------
    str or None
        e.g. ``"members of group 'staff' can write to it"``.
    """
    info = _stat(path)
    if info is None:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_IWGRP:
        return f"members of {_group_name(info.st_gid)} can write to it"
    return None


def others_can_read(path: Path) -> str | None:
    """Return who besides the owner can read ``path``, or ``None``.

    Returns
    -------
    str or None
        e.g. ``"other users can read it"`` or ``"members of group 'ops' can read it"``.
    """
    info = _stat(path)
    if info is None:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if mode & stat.S_IROTH:
        return "other users can read it"
    if mode & stat.S_IRGRP:
        return f"members of {_group_name(info.st_gid)} can read it"
    return None
