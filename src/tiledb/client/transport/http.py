"""What touches ``requests``: a client's session, and its failures described without quoting.

The texts of ``requests``, ``urllib3`` and ``http.client`` may repeat a header (the
token) or the URL, so messages are built only from facts of the chain of causes: the kind
of failure, an OS error string, an OpenSSL reason.
"""

from __future__ import annotations

import ssl

import requests
import requests.adapters
import requests.auth
import urllib3
from urllib3 import exceptions as u3

from tiledb.client.basics.masking import printable
from tiledb.client.basics.protocol import API_KEY_HEADER

__all__ = ["TokenSession", "attempt_outcome", "describe_failure", "new_http_session"]

_Kinds = type[BaseException] | tuple[type[BaseException], ...]
_KNOWN: tuple[tuple[_Kinds, str], ...] = (
    (
        (requests.exceptions.InvalidHeader, UnicodeError),
        "a credential cannot be sent in an HTTP header (it holds a line break, a control"
        " character or a character that is not ASCII)",
    ),
    (u3.NameResolutionError, "the host name cannot be resolved"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "the connection was reset"),
)
_GENERAL: tuple[tuple[_Kinds, str], ...] = (
    (requests.exceptions.TooManyRedirects, "too many redirects"),
    (requests.exceptions.ProxyError, "the proxy failed"),
    ((requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema), "the URL is not valid"),
    (requests.exceptions.ChunkedEncodingError, "the answer was cut off"),
    (requests.exceptions.ContentDecodingError, "the answer could not be decoded"),
    ((TimeoutError, urllib3.exceptions.TimeoutError), "no answer in time"),
)
# What one attempt got, and how it may be retried: "connect" (nothing was sent),
# "read" (the request may have reached the server), "" (retrying cannot help).
_OUTCOMES: tuple[tuple[_Kinds, str, str], ...] = (
    ((ssl.SSLError, u3.SSLError), "TLS failure", ""),
    (u3.ProxyError, "proxy failure", ""),
    (u3.NameResolutionError, "host name not resolved", "connect"),
    (u3.NewConnectionError, "connection failed", "connect"),
    (u3.ConnectTimeoutError, "no connection in time", "connect"),
    ((u3.ReadTimeoutError, requests.exceptions.ReadTimeout), "no answer in time", "read"),
    ((u3.ProtocolError, requests.exceptions.ChunkedEncodingError), "connection dropped", "read"),
)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (``reason``, first argument, ``__cause__``/``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 12:
        chain.append(current)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException) and current.args:
            first = current.args[0]
            inner = first if isinstance(first, BaseException) else None
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        current = inner
    return chain


def attempt_outcome(exc: BaseException) -> tuple[str, str]:
    """What a failed attempt got (e.g. ``"connection failed"``) and how it may be retried."""
    chain = _causes(exc)
    for kinds, text, retry in _OUTCOMES:
        if any(isinstance(error, kinds) for error in chain):
            return text, retry
    return type(exc).__name__, ""


def describe_failure(exc: BaseException) -> str:
    """What ``requests`` raised, said without quoting it, e.g. ``"connection refused"``."""
    chain = _causes(exc)
    for kinds, text in _KNOWN:  # most specific first, along the whole chain
        if any(isinstance(error, kinds) for error in chain):
            return text
    tls = next((error for error in chain if isinstance(error, ssl.SSLError)), None)
    if isinstance(tls, ssl.SSLCertVerificationError) and tls.verify_message:
        return f"certificate verify failed: {tls.verify_message}"
    if tls is not None:
        reason = getattr(tls, "reason", None)
        return (
            f"TLS error {reason}"
            if isinstance(reason, str) and reason.isidentifier()
            else "TLS error"
        )
    for kinds, text in _GENERAL:
        if any(isinstance(error, kinds) for error in chain):
            return text
    for error in chain:
        if type(error).__name__ == "RemoteDisconnected":
            return "the server closed the connection without an answer"
        if isinstance(error, OSError) and error.errno is not None and error.strerror:
            return printable(error.strerror, limit=100)
    return type(chain[-1]).__name__


class TokenSession(requests.Session):
    """A ``requests.Session`` that drops the API key on a redirect to another host."""

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """Drop credentials, the API key included, when a redirect leaves the host."""
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        old_url, new_url = response.request.url, prepared_request.url
        if self.should_strip_auth(old_url, new_url):  # type: ignore[no-untyped-call]
            prepared_request.headers.pop(API_KEY_HEADER, None)


def new_http_session(
    *, token: str | None, basic: tuple[bytes, bytes] | None, verify: bool | str, pool_size: int
) -> TokenSession:
    """A one-attempt-per-request session sending ``token`` (or HTTP Basic ``basic``, UTF-8)."""
    session = TokenSession()
    session.verify = verify
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "tiledb-client-keyring"
    if token:
        session.headers[API_KEY_HEADER] = token
    if basic is not None:
        session.auth = requests.auth.HTTPBasicAuth(*basic)
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
