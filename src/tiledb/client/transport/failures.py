"""Describe a failure of the HTTP stack without quoting it.

Exception texts of ``requests``, ``urllib3`` and ``http.client`` may quote what was
being sent: ``requests`` refuses a header value with a line break by repeating the
value (the token!), ``http.client`` does the same, a URL error repeats the URL.
So no message of ours is built from such a text: :func:`describe_failure` walks the
chain of causes and picks only facts that cannot hold a header value (the kind of
failure, an OS error string, an OpenSSL verification reason), else the type name.
:func:`~tiledb.client.basics.masking.scrub` is the second line of defence: it masks
the caller's own secrets in any text (e.g. a server's error message echoing the token).

Imports ``requests`` and ``urllib3``: loaded with the first REST client only.
"""

from __future__ import annotations

import ssl

import requests
import urllib3

from tiledb.client.basics.masking import printable

__all__ = ["describe_failure"]

_MAX_DEPTH = 12


_KNOWN: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (
        (requests.exceptions.InvalidHeader, UnicodeError),
        "a credential cannot be sent in an HTTP header (it holds a line break, a control"
        " character or a character that is not ASCII)",
    ),
    (urllib3.exceptions.NameResolutionError, "the host name cannot be resolved"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "the connection was reset"),
)

_GENERAL: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (requests.exceptions.TooManyRedirects, "too many redirects"),
    (requests.exceptions.ProxyError, "the proxy failed"),
    ((requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema), "the URL is not valid"),
    (requests.exceptions.ChunkedEncodingError, "the answer was cut off"),
    (requests.exceptions.ContentDecodingError, "the answer could not be decoded"),
    ((TimeoutError, urllib3.exceptions.TimeoutError), "no answer in time"),
)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (``reason``, first argument, ``__cause__``/``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < _MAX_DEPTH:
        chain.append(current)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException) and current.args:
            first = current.args[0]
            inner = first if isinstance(first, BaseException) else None
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        current = inner
    return chain


def _tls_reason(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return f"certificate verify failed: {error.verify_message}"
    reason = getattr(error, "reason", None)
    return (
        f"TLS error {reason}" if isinstance(reason, str) and reason.isidentifier() else "TLS error"
    )


def describe_failure(exc: BaseException) -> str:
    """Say what failed, e.g. ``"connection refused"``, never quoting a request's data.

    Parameters
    ----------
    exc : BaseException
        What ``requests`` raised (or a ``ValueError``/``UnicodeError`` of the HTTP
        stack about a header).

    Returns
    -------
    str
        A short phrase, e.g. ``"connection refused"``, ``"the host name cannot be
        resolved"``, ``"certificate verify failed: unable to get local issuer
        certificate"``.
    """
    chain = _causes(exc)
    for kinds, text in _KNOWN:  # most specific first, looked for along the whole chain
        if any(isinstance(error, kinds) for error in chain):
            return text
    tls = next((error for error in chain if isinstance(error, ssl.SSLError)), None)
    if tls is not None:
        return _tls_reason(tls)
    for kinds, text in _GENERAL:
        if any(isinstance(error, kinds) for error in chain):
            return text
    for error in chain:
        if type(error).__name__ == "RemoteDisconnected":
            return "the server closed the connection without an answer"
        if isinstance(error, OSError) and error.errno is not None and error.strerror:
            return printable(error.strerror, limit=100)
    return f"{type(chain[-1]).__name__}"
