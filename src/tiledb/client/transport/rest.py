"""HTTP client for the TileDB REST API: one ``requests.Session`` per client.

Retries follow the retry mode (``urllib3.Retry``), the connection pool follows the
number of threads, every call has a timeout, and ``verify_ssl``/``ca_file`` apply
to every request. Failures of the network, of TLS, of the server or of its JSON
become :class:`RestError` (a :class:`~tiledb.client.errors.ClientError`) with a
hint, never a raw exception of the HTTP stack.

``requests`` and ``urllib3`` are imported when the first client is made, not when
this module is imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from tiledb.client.basics.errors import ClientError
from tiledb.client.basics.protocol import API_KEY_HEADER, normalize_host
from tiledb.client.basics.retry_modes import RetryMode, RetryOrStr
from tiledb.client.transport.retries import make_retry

if TYPE_CHECKING:
    import requests

__all__ = [
    "BasicAuth",
    "RestClient",
    "RestError",
    "RestFactory",
    "default_pool_size",
]

CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0


def default_pool_size() -> int:
    """Return the default number of threads and pooled connections (as ``concurrent.futures``)."""
    return min(32, (os.cpu_count() or 1) + 4)


class RestError(ClientError):
    """A request to the server failed.

    Attributes
    ----------
    status : int or None
        The HTTP status, or ``None`` when no answer arrived.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class BasicAuth:
    """Username and password for HTTP Basic auth; the password is never shown."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=<hidden>)"


class RestFactory(Protocol):
    """Makes REST clients with the caller's retry mode and pool size.

    :class:`tiledb.client.client.Client` is one; the session and the operations
    receive it from their caller rather than importing it.
    """

    def new_rest(
        self,
        host: str,
        *,
        token: str | None = None,
        basic: BasicAuth | None = None,
        verify_ssl: bool = True,
        ca_file: str | None = None,
    ) -> RestClient:
        """Return a new REST client for ``host``."""


class RestClient:
    """A client of one TileDB REST server.

    Parameters
    ----------
    host : str
        Base URL, e.g. ``"https://api.example.com"``.
    token : str, optional
        API or session token, sent as ``X-TILEDB-REST-API-KEY``.
    basic : BasicAuth, optional
        Username and password for HTTP Basic auth (used to create session tokens).
    verify_ssl : bool
        Verify the server's TLS certificate.
    ca_file : str, optional
        CA bundle to verify it with.
    retry_mode : RetryMode or str
        See :class:`RetryMode`.
    pool_size : int, optional
        Connections kept per host; defaults to :func:`default_pool_size`.
    """

    def __init__(
        self,
        host: str,
        *,
        token: str | None = None,
        basic: BasicAuth | None = None,
        verify_ssl: bool = True,
        ca_file: str | None = None,
        retry_mode: RetryOrStr = RetryMode.DEFAULT,
        pool_size: int | None = None,
    ) -> None:
        self.host = normalize_host(host)
        self._origin = urlsplit(self.host).netloc
        self._renew_token: Callable[[], str] | None = None
        self._verify: bool | str = ca_file if (verify_ssl and ca_file) else verify_ssl
        from tiledb.client.transport.http_session import new_http_session

        self._http = new_http_session(
            token=token,
            basic=(basic.username, basic.password) if basic is not None else None,
            verify=self._verify,
            retry=make_retry(retry_mode),
            pool_size=pool_size or default_pool_size(),
        )

    def __repr__(self) -> str:
        return f"RestClient({self.host!r})"

    def renew_token_with(self, renew: Callable[[], str]) -> None:
        """On HTTP 401, get a new token from ``renew`` and repeat the request once with it.

        Parameters
        ----------
        renew : callable
            Returns the new token, e.g. a session token made from the stored password;
            raises (e.g. :class:`~tiledb.client.errors.LoginError`) when it cannot.
        """
        self._renew_token = renew

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, path: str) -> Any:
        """``GET`` ``path`` and return the ``data`` of the JSON answer."""
        return self.request("GET", path)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """``POST`` a JSON ``body`` to ``path`` and return the ``data`` of the answer."""
        return self.request("POST", path, body=body)

    def delete(self, path: str) -> Any:
        """``DELETE`` ``path``; return the ``data`` of the answer, if any."""
        return self.request("DELETE", path)

    def request(self, method: str, path: str, *, body: Mapping[str, Any] | None = None) -> Any:
        """Send a request and return the ``data`` member of the JSON answer.

        Raises
        ------
        RestError
            When the server cannot be reached, TLS fails, the answer is an HTTP
            error, or the body is not the expected JSON.
        """
        url = f"{self.host}/{path.lstrip('/')}"
        what = f"{method} {url}"
        response = self._send(method, url, body, what)
        if response.status_code == 401 and self._renew_token is not None:
            self._http.headers[API_KEY_HEADER] = self._renew_token()
            response = self._send(method, url, body, what)
        return _decode(response, what)

    def _send(
        self, method: str, url: str, body: Mapping[str, Any] | None, what: str
    ) -> requests.Response:
        import requests

        try:
            response = self._http.request(
                method,
                url,
                json=body,
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                # Per request: requests lets $REQUESTS_CA_BUNDLE override Session.verify.
                verify=self._verify,
            )
        except requests.exceptions.SSLError as exc:
            raise RestError(
                f"TLS verification failed for {self._origin} ({what}): {_short(exc)}. "
                "If the server uses a private CA, set ca_file (--ca-file) to its certificate."
            ) from None
        except requests.exceptions.Timeout:
            raise RestError(
                f"{self._origin} did not answer in time ({what}). Check the host and network."
            ) from None
        except requests.exceptions.RequestException as exc:
            raise RestError(
                f"Cannot reach {self._origin} ({what}): {_short(exc)}. "
                "Check the profile's host setting and your network."
            ) from None
        return response


def _decode(response: requests.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise RestError(
            f"{what} failed: HTTP {response.status_code}: {_server_message(response)}",
            status=response.status_code,
        )
    if response.status_code == 204 or not response.content:
        return None
    try:
        payload = response.json()
    except ValueError:
        raise RestError(
            f"{what} returned a body that is not JSON (HTTP {response.status_code}). "
            "Is the host a TileDB REST server?",
            status=response.status_code,
        ) from None
    if not isinstance(payload, dict) or "data" not in payload:
        raise RestError(
            f"{what} returned JSON without a 'data' member. Is the host a TileDB REST server?",
            status=response.status_code,
        )
    return payload["data"]


def _server_message(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.reason or "no details"
    if isinstance(payload, dict) and payload.get("message"):
        return str(payload["message"])[:500]
    return response.reason or "no details"


def _short(exc: BaseException) -> str:
    """The innermost reason of a requests exception, without its long URL chain."""
    reason: BaseException = exc
    while True:
        inner = (
            reason.args[0] if reason.args and isinstance(reason.args[0], BaseException) else None
        )
        inner = getattr(reason, "reason", None) or inner
        if not isinstance(inner, BaseException) or inner is reason:
            break
        reason = inner
    text = str(reason)
    return text if len(text) <= 200 else text[:197] + "..."
