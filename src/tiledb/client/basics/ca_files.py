"""CA files (``ssl.ca_file``): stored by absolute path, checked before they are needed.

A relative path means something else in every directory: ``configure`` stores the
absolute path of the file it was given, and refuses a file that is missing, unreadable
or holds no certificate. A file that goes missing later is reported by name (at login,
by ``whoami`` and ``doctor``) instead of surfacing as an ``OSError`` of the HTTP stack.

Only :mod:`os` is used (no :mod:`pathlib`): a login with ``TILEDB_SSL_CA_FILE`` checks its
file on the login path, which stays cheap.
"""

from __future__ import annotations

import os

from tiledb.client.errors import ConfigurationError

__all__ = ["absolute_ca_file", "ca_file_problem", "checked_ca_file"]

_PEM_MARKER = b"-----BEGIN CERTIFICATE-----"
_MAX_BYTES = 16 * 1024 * 1024  # a large CA bundle is about 200 KiB


def absolute_ca_file(path: str | os.PathLike[str]) -> str:
    """Return ``path`` made absolute (``~`` expanded, ``.``/``..`` removed; links kept).

    Examples
    --------
    >>> import os
    >>> absolute_ca_file("~/ca.pem") == os.path.join(os.path.expanduser("~"), "ca.pem")
    True
    """
    # os.path.abspath, not Path.resolve(): ".." goes, but a symlink such as
    # /etc/ssl/certs/ca-certificates.crt stays as named.
    return os.path.abspath(os.path.expanduser(os.fspath(path)))  # noqa: PTH100, PTH111


def ca_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Say why ``path`` cannot serve as a CA bundle, or return ``None`` when it can.

    Returns
    -------
    str or None
        e.g. ``"does not exist"``, ``"is a directory, not a file"``, ``"cannot be read
        (Permission denied)"`` or ``"holds no PEM certificate (no -----BEGIN CERTIFICATE-----
        line)"``.
    """
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
    """Return the absolute path of a usable CA file, or raise naming it.

    Parameters
    ----------
    path : str or path-like
        As given, e.g. ``"./local-ca.pem"``.
    hint : str, optional
        What to do when it cannot be used; says to give a PEM file by default.

    Returns
    -------
    str
        e.g. ``"/home/ada/project/local-ca.pem"``.

    Raises
    ------
    ConfigurationError
        When the file is missing, unreadable, or holds no certificate.
    """
    absolute = absolute_ca_file(path)
    problem = ca_file_problem(absolute)
    if problem is None:
        return absolute
    shown = absolute if os.fspath(path) == absolute else f"{os.fspath(path)} ({absolute})"
    raise ConfigurationError(
        f"The CA file {shown} {problem}.",
        hint=hint or "Give the server's CA certificate, a PEM file, with ca_file= (--ca-file).",
    )
