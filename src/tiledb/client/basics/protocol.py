"""Facts of the TileDB REST v4 protocol that several layers need.

The header that carries a token, how a host becomes a base URL, and the workspace
a token names. HTTP itself lives in :mod:`tiledb.client.transport`.
"""

from __future__ import annotations

__all__ = ["API_KEY_HEADER", "normalize_host", "quote_segment", "workspace_from_token"]

API_KEY_HEADER = "X-TILEDB-REST-API-KEY"
"""The header that carries an API or session token (matched case-insensitively)."""


def normalize_host(host: str) -> str:
    """Return ``host`` as a base URL: ``https://`` added without a scheme, no trailing ``/``.

    Examples
    --------
    >>> normalize_host("api.example.com/")
    'https://api.example.com'
    """
    host = host.strip().rstrip("/")
    if not host.lower().startswith(("http://", "https://")):
        host = f"https://{host}"
    return host


def workspace_from_token(token: str) -> str | None:
    """Return the workspace id a token names, if it has the form ``a-ws_xxx-b``.

    Examples
    --------
    >>> workspace_from_token("tdb1a2b-ws_2b7c9d1e3f4a5b6c-9z8y")
    'ws_2b7c9d1e3f4a5b6c'
    >>> workspace_from_token("plain-token") is None
    True
    """
    parts = token.split("-")
    if len(parts) == 3 and parts[1].startswith("ws_") and len(parts[1]) > 3:
        return parts[1]
    return None


def quote_segment(value: str) -> str:
    """Quote one path segment of a URL (``/`` included).

    Examples
    --------
    >>> quote_segment("a b/c")
    'a%20b%2Fc'
    """
    from urllib.parse import quote  # not at import: a login with a token needs no URL quoting

    return quote(value, safe="")
