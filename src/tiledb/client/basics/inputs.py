r"""One check of every secret a person gives us: tokens and passwords.

:func:`clean_secret` is called wherever a secret enters the library: the arguments
of ``configure()``, the settings resolution (arguments, ``TILEDB_REST_TOKEN`` /
``TILEDB_REST_PASSWORD``, values stored in a backend or a legacy plain-text profile)
and the command line's standard-input reader. The rules:

- Surrounding whitespace of a **token** is removed (a trailing newline from a pipe or
  a file is normal; a token never contains whitespace). A **password** keeps its
  spaces: only surrounding line breaks (``\r``, ``\n``) are removed.
- Refused with :class:`~tiledb.client.errors.ConfigurationError`: an empty
  secret (or one of whitespace only); a control character anywhere (NUL, tab, a line
  break inside, DEL, C1 controls); text that is not valid Unicode (a lone surrogate,
  which is what undecodable bytes become); a token with any character outside
  visible ASCII (it travels in an HTTP header); more than :data:`MAX_SECRET_LENGTH`
  characters.

A message never repeats the secret, nor any part of it: it names where the secret
came from, the rule it broke, and at most the code point and position of an
offending character.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from tiledb.client.errors import ConfigurationError

__all__ = ["MAX_NAME_LENGTH", "MAX_SECRET_LENGTH", "CredentialKind", "check_name", "clean_secret"]

MAX_SECRET_LENGTH = 1024
"""The longest secret accepted, in UTF-16 code units (characters; an emoji counts two).

2,048 bytes of UTF-16 fit one entry of every OS keyring (Windows Credential Manager
holds 2,560), so no backend splits a secret. TileDB tokens are about 40 characters and
a cached session-token record about 300; anything longer is a mistake (a pasted file, a
certificate) that would only fail later, less clearly.
"""

MAX_NAME_LENGTH = 256
"""The longest username, workspace or profile name accepted, in characters."""

CredentialKind = Literal["token", "password"]

_LINE_BREAKS = "\r\n"


def _ascii_category(char: str) -> str:
    """The Unicode category of an ASCII character, as far as these checks need it."""
    return "Cc" if ord(char) < 32 or ord(char) == 127 else "L"


def _category_of(value: str) -> Callable[[str], str]:
    """``unicodedata.category``, or a cheap stand-in when ``value`` is ASCII.

    Every login checks its token here: ``unicodedata`` is loaded only for text that
    needs it.
    """
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

    Parameters
    ----------
    value : str
        The secret, e.g. ``"tdb1a2b-ws_2b7c9d1e3f4a5b6c-9z8y\n"``.
    kind : {"token", "password"}
        A token loses all surrounding whitespace; a password only surrounding line
        breaks (its spaces are kept: they may be part of it).
    source : str
        Where it came from, for the message, e.g. ``"TILEDB_REST_TOKEN"`` or
        ``"standard input (--token-stdin)"``.

    Returns
    -------
    str
        The cleaned secret.

    Raises
    ------
    ConfigurationError
        When it breaks a rule (see the module); the message names ``source`` and
        the rule, never the secret.

    Examples
    --------
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

    Refused: text with a control character or a lone surrogate (it could not be
    written as UTF-8, nor sent in a URL or a header), or longer than
    :data:`MAX_NAME_LENGTH`. A name is not a secret, so the message shows it.

    Parameters
    ----------
    value : str
        e.g. ``"ada"``.
    what : str
        e.g. ``"the username"``.

    Raises
    ------
    ConfigurationError
        Naming ``what`` and the problem.

    Examples
    --------
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
