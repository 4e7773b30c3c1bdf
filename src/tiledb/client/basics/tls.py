"""TLS options: one :class:`Tls` value, and CA files stored by absolute path, checked early.

Only :mod:`os`, no :mod:`pathlib`: a ``TILEDB_SSL_CA_FILE`` login checks its file.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from tiledb.client.errors import ConfigurationError

__all__ = ["Tls", "absolute_ca_file", "ca_file_problem", "checked_ca_file"]


class Tls(NamedTuple):
    """How a client checks the server: ``verify`` and ``ca_file`` (``None``: unset).

    A profile's ``verify`` is its stored text (``"false"``); a session's is a bool.
    """

    verify: str | bool | None = None
    ca_file: str | None = None

    @property
    def requests_verify(self) -> bool | str:
        """``requests``' ``verify``: ``False`` only when verification is off, else the CA file."""
        return False if self.verify is False else (self.ca_file or True)


_PEM_MARKER = b"-----BEGIN CERTIFICATE-----"
_MAX_BYTES = 16 * 1024 * 1024  # a large CA bundle is about 200 KiB


def absolute_ca_file(path: str | os.PathLike[str]) -> str:
    """Return ``path`` absolute, ``~`` expanded and ``..`` removed, symbolic links kept."""
    return os.path.abspath(os.path.expanduser(os.fspath(path)))  # noqa: PTH100, PTH111


def ca_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Say why ``path`` cannot be a CA bundle (e.g. ``"does not exist"``), or ``None``."""
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - no pathlib on the login path
            head = handle.read(_MAX_BYTES)
    except FileNotFoundError:
        return "does not exist"
    except IsADirectoryError:
        return "is a directory, not a file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if _PEM_MARKER not in head:
        return f"holds no PEM certificate (no {_PEM_MARKER.decode()} line)"
    return None


def checked_ca_file(path: str | os.PathLike[str], *, hint: str | None = None) -> str:
    """Return the absolute path of a usable CA file, or raise ConfigurationError naming it."""
    absolute = absolute_ca_file(path)
    problem = ca_file_problem(absolute)
    if problem is None:
        return absolute
    shown = absolute if os.fspath(path) == absolute else f"{os.fspath(path)} ({absolute})"
    raise ConfigurationError(
        f"The CA file {shown} {problem}.",
        hint=hint or "Give the server's CA certificate, a PEM file, with ca_file= (--ca-file).",
    )
