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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from tiledb.client.errors import ClientError
from tiledb.client.retry import RetryMode, RetryOrStr, make_retry

if TYPE_CHECKING:
    import requests
    import urllib3

__all__ = [
    "API_KEY_HEADER",
    "RestClient",
    "RestError",
    "RetryMode",
    "RetryOrStr",
    "default_pool_size",
    "make_retry",
    "normalize_host",
]

API_KEY_HEADER = "X-TILEDB-REST-API-KEY"
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0


def default_pool_size() -> int:
    """Return the default number of threads and pooled connections (as ``concurrent.futures``)."""
    return min(32, (os.cpu_count() or 1) + 4)


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
        self._verify: bool | str = ca_file if (verify_ssl and ca_file) else verify_ssl
        self._http = _new_session(
            token=token,
            basic=basic,
            verify=self._verify,
            retry=make_retry(retry_mode),
            pool_size=pool_size or default_pool_size(),
        )

    def __repr__(self) -> str:
        return f"RestClient({self.host!r})"

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
        import requests

        url = f"{self.host}/{path.lstrip('/')}"
        what = f"{method} {url}"
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
        return _decode(response, what)


def quote_segment(value: str) -> str:
    """Quote one path segment of a URL (``/`` included)."""
    return quote(value, safe="")


def _new_session(
    *,
    token: str | None,
    basic: BasicAuth | None,
    verify: bool | str,
    retry: urllib3.Retry | bool,
    pool_size: int,
) -> requests.Session:
    import requests
    import requests.adapters

    class _Session(requests.Session):
        """Drops the API key, like ``Authorization``, on a redirect to another host."""

        def rebuild_auth(
            self, prepared_request: requests.PreparedRequest, response: requests.Response
        ) -> None:
            super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
            old_url, new_url = response.request.url, prepared_request.url
            if self.should_strip_auth(old_url, new_url):  # type: ignore[no-untyped-call]
                prepared_request.headers.pop(API_KEY_HEADER, None)

    session = _Session()
    session.trust_env = True
    session.verify = verify
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "tiledb-client-keyring"
    if token:
        session.headers[API_KEY_HEADER] = token
    if basic is not None:
        session.auth = (basic.username, basic.password)
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4, pool_maxsize=pool_size, max_retries=retry
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


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
