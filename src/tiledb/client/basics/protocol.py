"""Facts of the TileDB REST v4 protocol that several layers need.

The token header, hosts as base URLs, the workspace a token names; HTTP is in
:mod:`tiledb.client.transport`.
"""

from __future__ import annotations

import re

from tiledb.client.errors import ConfigurationError

__all__ = [
    "API_KEY_HEADER",
    "MINTED_TOKEN_PREFIXES",
    "is_plain_http_remote",
    "MAX_HOST_LENGTH",
    "normalize_host",
    "quote_segment",
    "workspace_from_token",
]

API_KEY_HEADER = "X-TILEDB-REST-API-KEY"
"""The header that carries an API or session token (matched case-insensitively)."""


MINTED_TOKEN_PREFIXES = ("login-session-", "job-")
"""How the names of the tokens this tool mints begin: a login's, a child job's."""

MAX_HOST_LENGTH = 2048
"""The longest host (base URL) accepted, in characters."""

_SCHEME_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.DOTALL)
_HOST_NAME = re.compile(r"^[\w.-]+$")  # letters (IDN included), digits, '-', '.', '_'


_PLAIN_HOST = re.compile(
    r"(?:(?P<scheme>https?)://)?(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9._~%/-]*)?",
    re.IGNORECASE,
)
"""What nearly every host looks like; checked without parsing it as a URL."""


def _host_problem(host: str) -> str | None:
    """Say what makes the stripped ``host`` unusable as a server address, or ``None``."""
    if not host:
        return "it is empty"
    if len(host) > MAX_HOST_LENGTH:
        return f"it is {len(host)} characters long (the limit is {MAX_HOST_LENGTH})"
    plain = _PLAIN_HOST.fullmatch(host)
    if plain is not None and ".." not in plain["name"]:
        # The common case, on every login's path: no urllib.parse (docs/performance.md).
        port = plain["port"]
        return None if port is None or 1 <= int(port) <= 65535 else _BAD_PORT
    return _unusual_host_problem(host)


_BAD_PORT = "its port is not a number from 1 to 65535"


def _unusual_host_problem(host: str) -> str | None:
    """Check, with a URL parser, a host the plain pattern does not match."""
    import unicodedata
    from urllib.parse import urlsplit

    for position, char in enumerate(host, start=1):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            return (
                f"it contains whitespace or a control character (U+{ord(char):04X} at"
                f" character {position})"
            )
    scheme = _explicit_scheme(host)
    if scheme is not None and scheme.lower() not in ("http", "https"):
        return f"its scheme {scheme!r} is not supported: use https:// (or http://)"
    try:
        parts = urlsplit(host if scheme is not None else f"https://{host}")
    except ValueError:  # e.g. "https://[zz]": brackets around what is not an IPv6 address
        return "it is not a valid URL (brackets must hold an IPv6 address)"
    if "@" in parts.netloc:
        return (
            "it contains user information (user:password@): credentials never belong in the"
            " host, where they would be stored in plain text; configure them instead"
        )
    if parts.query or parts.fragment or "?" in host or "#" in host:
        return "it has a query or fragment ('?' or '#'): give only scheme, host, port and path"
    try:
        port = parts.port
    except ValueError:
        return _BAD_PORT
    if port == 0:
        return _BAD_PORT
    name = parts.hostname or ""
    if not name:
        return "it names no server"
    if parts.netloc.startswith("["):
        import ipaddress

        try:
            ipaddress.IPv6Address(name.split("%", 1)[0])
        except ValueError:
            return "its bracketed address is not an IPv6 address"
    elif not _HOST_NAME.match(name) or ".." in name:
        return f"its server name {name!r} is not a valid host name"
    return None


def _explicit_scheme(host: str) -> str | None:
    """The scheme ``host`` starts with, if any (``localhost:8080`` has none: a port)."""
    if "://" in host:
        return host.split("://", 1)[0]
    match = _SCHEME_PREFIX.match(host)
    if match is None:
        return None
    rest = match.group(2)
    port = rest.split("/", 1)[0]
    return None if port.isdigit() else match.group(1)


def normalize_host(host: str, *, source: str = "the host") -> str:
    """Return ``host`` as a base URL: ``https://`` added without a scheme, no trailing ``/``.

    The one check of a server address: http(s) only, no user information, a valid port, no
    whitespace, control characters, query or fragment; else a ConfigurationError naming
    ``source`` (user information masked).

    >>> normalize_host("api.example.com/")
    'https://api.example.com'
    """
    if not isinstance(host, str):
        raise ConfigurationError(f"{_capital(source)} must be text, not {type(host).__name__}.")
    stripped = host.strip()
    problem = _host_problem(stripped)
    if problem is not None:
        raise ConfigurationError(
            f"{_capital(source)} {_shown(stripped)} is not a usable server address: {problem}."
            " Give it as https://host[:port], e.g. https://api.tiledb.com."
        )
    stripped = stripped.rstrip("/")
    if _explicit_scheme(stripped) is None:
        stripped = f"https://{stripped}"
    return stripped


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shown(host: str) -> str:
    """``host`` safe to print: user information masked, control characters escaped."""
    if "@" in host:
        scheme, sep, rest = host.partition("://")
        rest = rest if sep else scheme
        prefix = f"{scheme}://" if sep else ""
        host = prefix + "****@" + rest.rsplit("@", 1)[1]
    return repr(host[:200] + ("..." if len(host) > 200 else ""))


def is_plain_http_remote(url: str) -> bool:
    """Return whether ``url`` is plain ``http://`` to a host that is not loopback.

    >>> is_plain_http_remote("http://tiledb.internal:8080"), is_plain_http_remote("http://[::1]")
    (True, False)
    """
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(normalize_host(url))
    if parts.scheme.lower() != "http":
        return False
    hostname = (parts.hostname or "").rstrip(".").lower()
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return True


def workspace_from_token(token: str) -> str | None:
    """Return the workspace id a token names, if it has the form ``a-ws_xxx-b``.

    >>> workspace_from_token("tdb1a2b-ws_2b7c9d1e3f4a5b6c-9z8y")
    'ws_2b7c9d1e3f4a5b6c'
    """
    parts = token.split("-")
    if len(parts) == 3 and parts[1].startswith("ws_") and len(parts[1]) > 3:
        return parts[1]
    return None


def quote_segment(value: str) -> str:
    """Quote one path segment of a URL, ``/`` included: ``a b/c`` gives ``a%20b%2Fc``."""
    from urllib.parse import quote  # not at import: a login with a token needs no URL quoting

    return quote(value, safe="")
