"""One check of what a person gives us: tokens and passwords, names, durations.

:func:`clean_secret` runs wherever a secret enters (``configure()``, the settings
resolution, the command line's standard input), with the rules of docs/api.md (login(); a
token is visible ASCII only: it travels in an HTTP header). A message names the source and
the rule, at most an offending character's code point and position, never the secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from tiledb.client.errors import ConfigurationError

if TYPE_CHECKING:
    from datetime import timedelta

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_SECRET_LENGTH",
    "CredentialKind",
    "check_name",
    "clean_secret",
    "parse_duration",
]

MAX_SECRET_LENGTH = 1024
"""The longest secret accepted, in UTF-16 code units (an emoji counts two).

2,048 bytes of UTF-16 fit one entry of every OS keyring. TileDB tokens are about 40
characters, a cached session-token record about 300: longer is a mistake (a pasted file).
"""

MAX_NAME_LENGTH = 256
"""The longest username, workspace or profile name accepted, in characters."""

CredentialKind = Literal["token", "password"]

_LINE_BREAKS = "\r\n"


def _ascii_category(char: str) -> str:
    """The Unicode category of an ASCII character, as far as these checks need it."""
    return "Cc" if ord(char) < 32 or ord(char) == 127 else "L"


def _category_of(value: str) -> Callable[[str], str]:
    """``unicodedata.category``, or a cheap stand-in for ASCII (every login checks a token)."""
    if value.isascii():
        return _ascii_category
    import unicodedata

    return unicodedata.category


def _problem(value: str, kind: CredentialKind) -> str | None:
    """What is wrong with a secret (already stripped), or ``None``."""
    if not value:
        return "is empty" if kind == "password" else "is empty (or only whitespace)"
    length = len(value) if value.isascii() else len(value) + sum(c > "\uffff" for c in value)
    if length > MAX_SECRET_LENGTH:
        return (
            f"is {length} characters long; the limit is {MAX_SECRET_LENGTH}"
            " (is it the right value, not a file or a certificate?)"
        )
    if value.strip() == "":
        return "consists of whitespace only"
    category = _category_of(value)
    for position, char in enumerate(value, start=1):
        point = ord(char)
        if 0xD800 <= point <= 0xDFFF:
            return (
                f"is not valid Unicode text (a lone surrogate U+{point:04X} at character"
                f" {position}: the input was not valid UTF-8)"
            )
        if char in _LINE_BREAKS:
            return f"spans several lines (a line break at character {position})"
        if category(char) == "Cc":
            return f"contains the control character U+{point:04X} at character {position}"
        if kind == "token" and not 0x21 <= point <= 0x7E:
            shown = "a space" if char.isspace() else f"U+{point:04X}"
            return (
                f"contains {shown} at character {position}; a token is visible ASCII"
                " (it is sent in an HTTP header)"
            )
    return None


def clean_secret(value: str, kind: CredentialKind, *, source: str) -> str:
    r"""Return ``value`` without surrounding whitespace, or refuse it.

    A ``kind="token"`` loses all surrounding whitespace, a ``"password"`` only line breaks.
    ``source`` names where it came from in the message, e.g. ``"TILEDB_REST_TOKEN"``.
    Raises ConfigurationError when it breaks a rule (module docstring), naming ``source``
    and the rule, never the secret.

    >>> clean_secret("tdb1a2b-ws_2b7c9d1e3f4a5b6c-9z8y\n", "token", source="stdin")
    'tdb1a2b-ws_2b7c9d1e3f4a5b6c-9z8y'
    >>> clean_secret(" correct horse \r\n", "password", source="stdin")
    ' correct horse '
    """
    if not isinstance(value, str):
        raise ConfigurationError(
            f"The {kind} from {source} must be text (str), not {type(value).__name__}."
        )
    cleaned = value.strip() if kind == "token" else value.strip(_LINE_BREAKS)
    problem = _problem(cleaned, kind)
    if problem is not None:
        raise ConfigurationError(
            f"The {kind} from {source} {problem}. Give the secret again, exactly as issued"
            " (one line of text)."
        )
    return cleaned


def check_name(value: str, what: str) -> str:
    """Return a name that is not secret (username, workspace, profile name), or refuse it.

    Raises ConfigurationError naming ``what`` (e.g. ``"the username"``) and the name, no
    secret, for a control character or a lone surrogate (not writable as UTF-8, nor sent in
    a URL or a header), or more than :data:`MAX_NAME_LENGTH` characters.

    >>> check_name("acme", "the workspace")
    'acme'
    """
    if not isinstance(value, str):
        raise ConfigurationError(f"{_capital(what)} must be text, not {type(value).__name__}.")
    if len(value) > MAX_NAME_LENGTH:
        raise ConfigurationError(
            f"{_capital(what)} is {len(value)} characters long; the limit is {MAX_NAME_LENGTH}."
        )
    category_of = _category_of(value)
    for position, char in enumerate(value, start=1):
        category = category_of(char)
        if category in ("Cc", "Cs"):
            kind = "a lone surrogate" if category == "Cs" else "the control character"
            raise ConfigurationError(
                f"{_capital(what)} {value!r} contains {kind} U+{ord(char):04X} at character"
                f" {position}."
            )
    return value


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_duration(text: str, *, what: str = "--ttl", allow_zero: bool = False) -> timedelta:
    """Parse ``text`` as a duration (a bare number is seconds); ConfigurationError if not.

    >>> parse_duration("90s"), parse_duration("8h")
    (datetime.timedelta(seconds=90), datetime.timedelta(seconds=28800))
    """
    from datetime import timedelta

    match = _DURATION.fullmatch(text.strip().lower())
    seconds = float(match[1]) * _UNITS[match[2] or "s"] if match else -1.0
    if seconds < 0 or (seconds == 0 and not allow_zero) or seconds > 366 * 86400:
        raise ConfigurationError(
            f"{what} {text!r} is not a duration.",
            hint="Give a number with a unit: 90s, 10m, 8h or 2d (at most a year).",
        )
    return timedelta(seconds=seconds)
