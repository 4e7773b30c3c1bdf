"""Masked forms of secrets, safe to print in tables, logs and error messages."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = ["mask", "printable", "scrub"]


def mask(secret: str | None, *, tail: bool = True) -> str:
    """Return a masked form of a secret that is safe to print.

    ``tail`` shows the last three characters and the length of a long secret, so that two
    tokens can be told apart; pass False for passwords and passphrases.

    >>> mask("tdb1a2b3c-ws_2b7c9d1e3f4a5b6c-9z8y7x6w5v")
    '****w5v (40 chars)'
    """
    if not secret:
        return "<none>"
    if not tail or len(secret) < 24:
        return "****"
    return f"****{secret[-3:]} ({len(secret)} chars)"


def printable(text: str, *, limit: int = 500) -> str:
    r"""``text`` for a terminal: control and format characters as ``?``, cut to ``limit``."""
    cleaned = "".join(
        "?" if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") else char
        for char in text[: limit + 1]
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def escaped(text: str) -> str:
    r"""``text`` with control and format characters escaped (line breaks kept), for a terminal."""
    return "".join(
        char
        if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
        else repr(char)[1:-1]
        for char in text
    )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` (4 characters or longer) replaced by ``****``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "****")
    return text
