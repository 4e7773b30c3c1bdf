"""The profile file: ``profiles.json`` in TileDB core's own format.

``{"version": 1, "<name>": {"rest.server_address": "...", ...}, ...}``, so that
``tiledb.Config()`` and ``tiledb.Profile.load()`` read the host, workspace and TLS
options of the profiles we write. Secrets are never written here: the profile
records which backend holds them (``client.secret_backend``) and under what id
(``client.secret_id``).

Every change goes through :meth:`ProfileStore.edit`: a cross-process lock, a read
of the current file, the change, and an atomic replace (temporary file in the
same directory, fsync, ``os.replace``). :meth:`ProfileStore.locked` holds the same
lock around a caller's longer step (a profile change together with its secrets).
Keys this module does not know, written by TileDB core or other tools, are kept. A
file that is not valid profile JSON raises
:class:`~tiledb.client.errors.ConfigurationError` naming it, and is never
overwritten; so does a profile file or directory that another user can change
(they could point a profile's host at their own server and receive its token).
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
    hold_lock,
    make_private_directories,
    replace_atomically,
)
from tiledb.client.basics.inputs import check_name
from tiledb.client.basics.json_text import NotJsonError, parse_json
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
    """Return the profile directory in use.

    Parameters
    ----------
    profile_dir : str or path-like, optional
        An explicit directory; wins over everything else.

    Returns
    -------
    pathlib.Path
        ``profile_dir``, else ``$TILEDB_PROFILE_DIR``, else ``~/.tiledb``; absolute,
        e.g. ``Path("/home/ada/.tiledb")``.
    """
    from pathlib import Path

    return Path(_directory_text(profile_dir))


def resolve_profile_name(profile_name: str | None = None) -> str:
    """Return the profile name in use.

    Parameters
    ----------
    profile_name : str, optional
        An explicit name; wins over everything else.

    Returns
    -------
    str
        ``profile_name``, else ``$TILEDB_PROFILE_NAME`` (an empty value counts as
        unset), else ``"default"``.

    Raises
    ------
    ConfigurationError
        When the name given is not a valid profile name: an empty ``profile_name``
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
    """The ``profiles.json`` file of one profile directory.

    Parameters
    ----------
    directory : str or path-like, optional
        The profile directory; resolved by :func:`resolve_profile_dir`.

    Examples
    --------
    >>> store = ProfileStore("/tmp/profiles")
    >>> with store.edit() as profiles:
    ...     profiles["default"] = {"rest.server_address": "https://api.example.com"}
    >>> store.get("default")["rest.server_address"]
    'https://api.example.com'
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        # Strings, and Path objects only when asked for: pathlib (with urllib.parse and
        # ipaddress) is a noticeable part of a login, which only reads the file.
        self._directory = _directory_text(directory)
        self.file = os.path.join(self._directory, FILE_NAME)  # noqa: PTH118
        """The profile file, e.g. ``"/home/ada/.tiledb/profiles.json"``."""

    @property
    def directory(self) -> Path:
        """The profile directory, e.g. ``Path("/home/ada/.tiledb")``."""
        from pathlib import Path

        return Path(self._directory)

    @property
    def path(self) -> Path:
        """The profile file, e.g. ``Path("/home/ada/.tiledb/profiles.json")``."""
        from pathlib import Path

        return Path(self.file)

    def __repr__(self) -> str:
        return f"ProfileStore({self._directory!r})"

    # -- reading ---------------------------------------------------------------

    def exists(self) -> bool:
        """Return whether the profile file exists."""
        return os.path.isfile(self.file)  # noqa: PTH113

    def read(self) -> dict[str, Profile]:
        """Return every profile in the file, by name (``{}`` when there is no file).

        Raises
        ------
        ConfigurationError
            When the file cannot be read or is not a profile file.
        """
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
        """Lock the file, yield its profiles for changing, then write them atomically.

        The yielded dict maps profile names to profiles; change it in place. When
        the block ends without an exception and something changed, the file is
        replaced atomically; otherwise it is left as it was.

        Raises
        ------
        ConfigurationError
            When the file is corrupt, locked for longer than 30 s, or cannot be
            written.
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
        """Create or replace the whole profile ``name``.

        Raises
        ------
        ConfigurationError
            When the profile exists and ``overwrite`` is false.
        """
        _check_profile_name(name)
        with self.edit() as profiles:
            if name in profiles and not overwrite:
                raise ConfigurationError(
                    f"Profile {name!r} already exists in {self.path}. "
                    "Pass overwrite=True (--overwrite) to replace it."
                )
            profiles[name] = dict(profile)

    def delete(self, name: str) -> Profile:
        """Remove the profile ``name`` and return what it held.

        Raises
        ------
        ConfigurationError
            When there is no such profile.
        """
        with self.edit() as profiles:
            if name not in profiles:
                raise ConfigurationError(f"There is no profile {name!r} in {self.path}.")
            return profiles.pop(name)

    def rename(self, old: str, new: str) -> None:
        """Rename the profile ``old`` to ``new``, keeping its place in the file.

        Raises
        ------
        ConfigurationError
            When ``old`` does not exist or ``new`` already does.
        """
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
        """Hold the profile file's cross-process lock for the duration of the block.

        Re-entrant within a thread: reads and :meth:`edit` inside the block run under
        the same hold, so a caller can read a profile, change its secrets elsewhere and
        write the profile as one step that no other process interleaves with. Other
        processes (and threads) wait, up to 30 s. Creates the profile directory (0700)
        when missing.

        Raises
        ------
        ConfigurationError
            When the lock is held elsewhere for longer than 30 s, or the lock file
            cannot be used (e.g. it is a symbolic link).

        Examples
        --------
        >>> store = ProfileStore("/tmp/profiles")
        >>> with store.locked():
        ...     profile = store.get("default")
        ...     # delete its secret from the backend, then:
        ...     store.delete("default")  # doctest: +SKIP
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
