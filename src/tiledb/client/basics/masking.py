"""Masked forms of secrets, safe to print in tables, logs and error messages."""

from __future__ import annotations

__all__ = ["mask"]


def mask(secret: str | None, *, tail: bool = True) -> str:
    """Return a masked form of a secret that is safe to print.

    Parameters
    ----------
    secret : str or None
        The secret.
    tail : bool
        Show the last three characters and the length of a long secret, so that two
        tokens can be told apart. Pass False for passwords and passphrases, of which
        nothing is shown.

    Examples
    --------
    >>> mask("tdb1a2b3c-ws_2b7c9d1e3f4a5b6c-9z8y7x6w5v")
    '****w5v (41 chars)'
    >>> mask("correct horse battery staple", tail=False)
    '****'
    """
    if not secret:
        return "<none>"
    if not tail or len(secret) < 24:
        return "****"
    return f"****{secret[-3:]} ({len(secret)} chars)"
