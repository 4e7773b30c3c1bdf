"""The profile file: ``profiles.json`` in TileDB core's own format, without secrets.

``{"version": 1, "<name>": {"rest.server_address": "...", ...}}``, so that
``tiledb.Config()`` reads the profiles we write; unknown keys are kept. Every change
locks the file, reads it, and replaces it atomically (:meth:`ProfileStore.edit`). A file
that is not profile JSON, or that another user can change (SECURITY.md, "Unsafe
files"), raises :class:`~tiledb.client.errors.ConfigurationError` and is never written.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tiledb.client.basics.file_safety import mode_of, others_can_change
from tiledb.client.basics.files import (
    LockBusyError,
    NotJsonError,
    hold_lock,
    make_private_directories,
    parse_json,
    replace_atomically,
)
from tiledb.client.basics.inputs import check_name
from tiledb.client.errors import ConfigurationError
from tiledb.client.storage.profile_keys import (
    DEFAULT_PROFILE_NAME,
    PROFILE_DIR_ENV,
    PROFILE_NAME_ENV,
)

__all__ = [
    "FILE_NAME",
    "Profile",
    "ProfileStore",
    "resolve_profile_dir",
    "resolve_profile_name",
]

FILE_NAME = "profiles.json"
FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 30.0

Profile = dict[str, str]

if TYPE_CHECKING:
    from pathlib import Path


def _directory_text(profile_dir: str | os.PathLike[str] | None) -> str:
    """The profile directory as an absolute path string (no ``pathlib``: see ProfileStore)."""
    chosen = profile_dir or os.environ.get(PROFILE_DIR_ENV) or os.path.join("~", ".tiledb")  # noqa: PTH118
    return os.path.abspath(os.path.expanduser(os.fspath(chosen)))  # noqa: PTH100, PTH111


def resolve_profile_dir(profile_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return ``profile_dir``, else ``$TILEDB_PROFILE_DIR``, else ``~/.tiledb``, absolute."""
    from pathlib import Path

    return Path(_directory_text(profile_dir))


def resolve_profile_name(profile_name: str | None = None) -> str:
    """Return ``profile_name``, else ``$TILEDB_PROFILE_NAME`` (if not empty), else ``"default"``.

    Raises ConfigurationError for an invalid name: an empty ``profile_name``
    (``--profile ""``) is a mistake, not a request for the default profile.
    """
    name = profile_name if profile_name is not None else os.environ.get(PROFILE_NAME_ENV)
    if not name and profile_name is None:
        return DEFAULT_PROFILE_NAME
    _check_profile_name(str(name))
    return str(name)


def _check_profile_name(name: str) -> None:
    if not name or name == "version" or name != name.strip():
        raise ConfigurationError(
            f"Invalid profile name {name!r}: use a non-empty name without leading or trailing"
            " spaces, other than 'version'."
        )
    check_name(name, "invalid profile name")  # "Invalid profile name 'a\tb' contains ..."


class ProfileStore:
    """The ``profiles.json`` file of one profile directory (:func:`resolve_profile_dir`)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        # Strings: a login does not import pathlib (docs/performance.md).
        self._directory = _directory_text(directory)
        self.file = os.path.join(self._directory, FILE_NAME)  # noqa: PTH118

    @property
    def directory(self) -> Path:
        """The profile directory."""
        from pathlib import Path

        return Path(self._directory)

    @property
    def path(self) -> Path:
        """The profile file."""
        from pathlib import Path

        return Path(self.file)

    def __repr__(self) -> str:
        return f"ProfileStore({self._directory!r})"

    # -- reading ---------------------------------------------------------------

    def exists(self) -> bool:
        """Return whether the profile file exists."""
        return os.path.isfile(self.file)  # noqa: PTH113

    def read(self) -> dict[str, Profile]:
        """Return every profile by name (``{}`` without a file); ConfigurationError if bad."""
        return self._read_document()[1]

    def get(self, name: str) -> Profile | None:
        """Return the profile ``name``, or ``None`` when it does not exist."""
        profile = self.read().get(name)
        return dict(profile) if profile is not None else None

    def names(self) -> list[str]:
        """Return the profile names, in file order."""
        return list(self.read())

    def _read_document(self) -> tuple[dict[str, Any], dict[str, Profile]]:
        self._refuse_if_others_can_change()
        try:
            with open(self.file, encoding="utf-8") as handle:  # noqa: PTH123
                text = handle.read()
        except FileNotFoundError:
            return {"version": FORMAT_VERSION}, {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"Cannot read the profile file {self.file}: {exc}. Check its permissions."
            ) from exc
        return self._parse(text)

    def _parse(self, text: str) -> tuple[dict[str, Any], dict[str, Profile]]:
        problem = None
        try:
            document = parse_json(text)
        except NotJsonError as exc:
            problem = str(exc)
        else:
            if not isinstance(document, dict):
                problem = "it does not hold a JSON object"
            elif not isinstance(document.get("version", FORMAT_VERSION), int):
                problem = "its 'version' is not a number"
            elif document.get("version", FORMAT_VERSION) > FORMAT_VERSION:
                problem = f"it has version {document['version']}, newer than this library reads"
            else:
                for name, profile in document.items():
                    if name == "version":
                        continue
                    if not isinstance(profile, dict) or not all(
                        isinstance(value, str) for value in profile.values()
                    ):
                        problem = f"profile {name!r} is not an object of string values"
                        break
        if problem is not None:
            raise ConfigurationError(
                f"The profile file {self.file} is not a TileDB profile file: {problem}. "
                "It was left untouched; fix or move it, then try again."
            )
        profiles = {name: value for name, value in document.items() if name != "version"}
        return document, profiles

    # -- writing ---------------------------------------------------------------

    @contextlib.contextmanager
    def edit(self) -> Iterator[dict[str, Profile]]:
        """Lock the file and yield its profiles to change in place; write them if they changed.

        Nothing is written when the block raises. Raises ConfigurationError when the file
        is corrupt, locked for longer than 30 s, or cannot be written.
        """
        with self.locked():
            document, profiles = self._read_document()
            working = copy.deepcopy(profiles)
            yield working
            if working != profiles:
                for name in working:
                    _check_profile_name(name)
                new_document: dict[str, Any] = {"version": document.get("version", 1)}
                new_document.update(working)
                self._write_atomically(new_document)

    def save(self, name: str, profile: Mapping[str, str], *, overwrite: bool = False) -> None:
        """Create the profile ``name`` (replace it only with ``overwrite``)."""
        _check_profile_name(name)
        with self.edit() as profiles:
            if name in profiles and not overwrite:
                raise ConfigurationError(
                    f"Profile {name!r} already exists in {self.path}. "
                    "Pass overwrite=True (--overwrite) to replace it."
                )
            profiles[name] = dict(profile)

    def delete(self, name: str) -> Profile:
        """Remove the profile ``name`` and return what it held."""
        with self.edit() as profiles:
            if name not in profiles:
                raise ConfigurationError(f"There is no profile {name!r} in {self.path}.")
            return profiles.pop(name)

    def rename(self, old: str, new: str) -> None:
        """Rename the profile ``old`` to ``new``, keeping its place in the file."""
        _check_profile_name(new)
        with self.edit() as profiles:
            if old not in profiles:
                raise ConfigurationError(f"There is no profile {old!r} in {self.path}.")
            if new in profiles:
                raise ConfigurationError(f"Profile {new!r} already exists in {self.path}.")
            renamed = {(new if key == old else key): value for key, value in profiles.items()}
            profiles.clear()
            profiles.update(renamed)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's cross-process lock (re-entrant in a thread) around a longer step.

        A caller reads a profile, changes its secrets, and writes it with no other process
        in between; others wait up to 30 s. Creates the directory (0700) when missing.
        """
        self._ensure_directory()
        lock_path = self.directory / f".{FILE_NAME}.lock"
        try:
            with hold_lock(lock_path, timeout=LOCK_TIMEOUT_SECONDS):
                yield
        except LockBusyError as exc:
            raise ConfigurationError(
                f"The profile file {self.path} is locked by another process (lock file"
                f" {lock_path}); waited {LOCK_TIMEOUT_SECONDS:.0f} s."
            ) from exc
        except OSError as exc:
            link = " It is a symbolic link: remove it." if lock_path.is_symlink() else ""
            raise ConfigurationError(
                f"Cannot lock the profile file {self.path}: the lock file {lock_path} cannot"
                f" be opened ({exc.strerror or type(exc).__name__}).{link}"
            ) from exc

    # -- file mechanics -----------------------------------------------------------

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            try:
                make_private_directories(self.directory)
            except OSError as exc:
                raise ConfigurationError(
                    f"Cannot create the profile directory {self.directory}: {exc}"
                ) from exc
        self._refuse_if_others_can_change()

    def _refuse_if_others_can_change(self) -> None:
        for what, path in (("directory", self._directory), ("file", self.file)):
            problem = others_can_change(path)
            if problem is not None:
                fix = "make it yours (chown)" if "owned by" in problem else f"chmod go-w {path}"
                raise ConfigurationError(
                    f"Refusing to use the profile {what} {path}: {problem} (mode"
                    f" {mode_of(path)}). Another user could"
                    f" point your profiles at a server of theirs and receive your token: {fix}."
                )

    def _write_atomically(self, document: Mapping[str, Any]) -> None:
        data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
        try:
            replace_atomically(self.path, data)
        except OSError as exc:
            raise ConfigurationError(f"Cannot write the profile file {self.path}: {exc}") from exc
