"""File mechanics: 0700 directories, locks, atomic writes, and JSON read back safely.

An atomic write goes to a 0600, ``flock``-ed temporary file beside the target, fsynced and
renamed over it; temporaries of dead writers are removed by the next write of that file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # paths come from the callers: reading a profile needs no pathlib
    from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there, which keeps it safe
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LockBusyError",
    "NotJsonError",
    "hold_lock",
    "make_private_directories",
    "parse_json",
    "remove_stale_temporaries",
    "replace_atomically",
    "temporary_name_pattern",
]

_FRESH_SECONDS = 5.0


def make_private_directories(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents 0700 whatever the umask; return those made."""
    missing: list[Path] = []
    current = directory
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    created = []
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)  # the umask can only take bits away from 0700
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # made meanwhile by someone else: theirs, not ours to change
        created.append(path)
    return created


class LockBusyError(TimeoutError):
    """Another process held the lock file for longer than the timeout."""


@contextlib.contextmanager
def hold_lock(lock_path: Path, *, timeout: float) -> Iterator[None]:
    """Hold the re-entrant cross-process lock ``lock_path`` (0600, no symlink) for the block."""
    import filelock

    lock = filelock.FileLock(lock_path, timeout=timeout, mode=0o600, is_singleton=True)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise LockBusyError(f"lock file {lock_path} held for {timeout:g} s") from exc
    try:
        yield
    finally:
        lock.release()


def temporary_name_pattern(path: Path) -> re.Pattern[str]:
    """Return the pattern of temporary names for ``path``: ``.profiles.json.<16 hex>.tmp``."""
    return re.compile(rf"\.{re.escape(path.name)}\.(?:[0-9a-f]{{16}}|[a-z0-9_]{{8}})\.tmp")


def _new_temporary(path: Path) -> tuple[int, Path]:
    """Create a new, empty, 0600, ``flock``-ed temporary file next to ``path``."""
    import secrets  # with random: only when a file is written

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            descriptor = os.open(temp, flags, 0o600)
        except FileExistsError:
            continue
        if fcntl is not None:
            # Held until the file is closed (after the rename): tells a live writer's
            # temporary file from a dead one's (see remove_stale_temporaries).
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return descriptor, temp
    raise FileExistsError(f"no free temporary name next to {path}")


def _remove_if_stale(candidate: Path) -> bool:
    """Remove ``candidate`` if it is our regular file and no writer holds it."""
    if fcntl is None:
        try:
            candidate.unlink()  # fails while another process has it open
        except OSError:
            return False
        return True
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(candidate, flags)
    except OSError:
        return False  # a symbolic link, gone meanwhile, or not readable: not ours to judge
    try:
        opened = os.fstat(descriptor)
        if not stat.S_ISREG(opened.st_mode) or opened.st_uid != os.geteuid():
            return False
        if opened.st_size == 0 and time.time() - opened.st_mtime < _FRESH_SECONDS:
            return False  # holds nothing, and may be a writer's before it took its flock
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it
        current = os.lstat(candidate)
        if (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
            return False
        candidate.unlink()
    except OSError:
        return False
    finally:
        os.close(descriptor)
    return True


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove temporary files of dead writers of ``path``; return them; never raises."""
    pattern = temporary_name_pattern(path)
    try:
        names = [entry.name for entry in os.scandir(path.parent) if pattern.fullmatch(entry.name)]
    except OSError:
        return []
    return [path.parent / name for name in names if _remove_if_stale(path.parent / name)]


def replace_atomically(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically; on OSError ``path`` is unchanged."""
    remove_stale_temporaries(path)
    descriptor, temp = _new_temporary(path)
    handle = os.fdopen(descriptor, "wb")
    try:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        if mode != 0o600:
            temp.chmod(mode)
        if fcntl is None:
            handle.close()  # Windows renames only closed files
        temp.replace(path)  # with the flock held: no cleaner takes the file mid-write
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    finally:
        handle.close()
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class NotJsonError(ValueError):
    """The text is not JSON this library can read; the message never quotes it."""


def parse_json(text: str | bytes) -> Any:
    """Return the JSON value of ``text``; NotJsonError for bad JSON or too deep a nesting."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # JSONDecodeError.msg and the position never include the document's text.
        where = f"line {exc.lineno} column {exc.colno} (char {exc.pos})"
        raise NotJsonError(f"it is not JSON ({exc.msg}: {where})") from None
    except UnicodeDecodeError:
        raise NotJsonError("it is not UTF-8 text") from None
    except RecursionError:
        raise NotJsonError("it nests arrays or objects too deeply to be read") from None
