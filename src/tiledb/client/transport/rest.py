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
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from tiledb.client.basics.masking import scrub
from tiledb.client.basics.protocol import API_KEY_HEADER, normalize_host
from tiledb.client.basics.retry_modes import RetryMode, RetryOrStr
from tiledb.client.transport.answers import decode, read_body
from tiledb.client.transport.call_budget import (
    DEADLINE_ENV,
    CallBudget,
    request_deadline,
    running,
)
from tiledb.client.transport.errors import RestError
from tiledb.client.transport.retries import make_retry

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


@dataclass(frozen=True)
class BasicAuth:
    """Username and password for HTTP Basic auth; the password is never shown."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=<hidden>)"

    def encoded(self) -> tuple[bytes, bytes]:
        """Username and password as UTF-8, as RFC 7617 (``charset="UTF-8"``) sends them.

        ``requests`` would encode text as Latin-1 and fail on any other character.
        """
        return self.username.encode("utf-8"), self.password.encode("utf-8")


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
        self._secrets = tuple(s for s in (token, basic.password if basic else None) if s)
        self._renew_token: Callable[[], str] | None = None
        self._verify: bool | str = ca_file if (verify_ssl and ca_file) else verify_ssl
        from tiledb.client.transport.http_session import new_http_session

        self._http = new_http_session(
            token=token,
            basic=basic.encoded() if basic is not None else None,
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

    def post(self, path: str, body: Mapping[str, Any], *, idempotent: bool = False) -> Any:
        """``POST`` a JSON ``body`` to ``path`` and return the ``data`` of the answer.

        A ``POST`` is not retried once it may have reached the server (on an HTTP
        status or a lost answer) unless ``idempotent`` is true: ``POST /v4/tokens``
        retried could mint two tokens.
        """
        return self.request("POST", path, body=body, idempotent=idempotent)

    def delete(self, path: str) -> Any:
        """``DELETE`` ``path``; return the ``data`` of the answer, if any."""
        return self.request("DELETE", path)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send a request and return the ``data`` member of the JSON answer.

        The call, retries included, ends within its total deadline
        (``$TILEDB_CLIENT_REQUEST_DEADLINE``, default 60 s); when it expires, the
        error says what was tried.

        Parameters
        ----------
        method, path : str
            e.g. ``"GET"``, ``"/v4/users/self"``.
        body : mapping, optional
            Sent as JSON.
        idempotent : bool, optional
            Whether the request may be sent again after it may have reached the
            server; default: every method but ``POST``.

        Raises
        ------
        RestError
            When the server cannot be reached, TLS fails, the answer is an HTTP
            error, the body is not the expected JSON, or the deadline passes. The
            message never quotes what was sent (no header value, no secret).
        """
        url = f"{self.host}/{path.lstrip('/')}"
        what = f"{method} {url}"
        if idempotent is None:
            idempotent = method.upper() != "POST"
        status, reason, content, budget = self._send(method, url, body, what, idempotent)
        if status == 401 and self._renew_token is not None:
            token = self._renew_token()
            self._secrets = (*self._secrets, token)
            self._http.headers[API_KEY_HEADER] = token
            status, reason, content, budget = self._send(method, url, body, what, idempotent)
        return decode(status, reason, content, what=what, budget=budget, secrets=self._secrets)

    def _send(
        self,
        method: str,
        url: str,
        body: Mapping[str, Any] | None,
        what: str,
        idempotent: bool,
    ) -> tuple[int, str | None, bytes, CallBudget]:
        """One call, retries included, within its deadline: status, reason, body, budget."""
        import requests

        from tiledb.client.transport.deadline_retry import DeadlineTimeout, attempt_outcome
        from tiledb.client.transport.failures import describe_failure

        budget = CallBudget(request_deadline(), idempotent=idempotent)
        timeout = DeadlineTimeout(
            connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS, budget=budget
        )
        try:
            with running(budget):
                response = self._http.request(
                    method,
                    url,
                    json=body,
                    timeout=cast(Any, timeout),  # a urllib3.Timeout: requests passes it on
                    # Per request: requests lets $REQUESTS_CA_BUNDLE override Session.verify.
                    verify=self._verify,
                    stream=True,
                )
                try:
                    content = read_body(response, budget)
                finally:
                    response.close()
        except (requests.exceptions.RequestException, ValueError, UnicodeError) as exc:
            if not budget.last_recorded:
                budget.record(attempt_outcome(None, exc))
            raise self._failure(exc, what, budget, describe_failure(exc)) from None
        except OSError as exc:
            # requests raises a bare OSError, before connecting, for a CA file it cannot use.
            raise RestError(
                f"Cannot use the CA file {self._verify} to verify {self._origin} ({what}):"
                f" {exc.strerror or 'it does not exist or is not a file'}.",
                hint="Point ca_file (--ca-file) at the server's CA certificate, by an absolute"
                " path.",
            ) from None
        if not budget.last_recorded:
            budget.record(f"HTTP {response.status_code}", last=True)
        return response.status_code, response.reason, content, budget

    def _failure(self, exc: BaseException, what: str, budget: CallBudget, reason: str) -> RestError:
        """The :class:`RestError` for a request that got no usable answer."""
        import requests

        tried = budget.report()
        if isinstance(exc, ValueError | UnicodeError) and "header" in reason:
            message = f"Cannot send {what}: {reason}."
            hint = (
                "Store the credential again, exactly as issued (tiledb-client configure"
                " --overwrite)."
            )
        elif budget.expired or budget.remaining() <= 0:
            stopped = budget.stop_reason or f"no time left before the {budget.seconds:g} s deadline"
            message = f"{what} got no answer: stopped retrying, {stopped} ({tried})."
            hint = f"Check the host and network, or allow more time with {DEADLINE_ENV}."
        elif isinstance(exc, requests.exceptions.SSLError):
            message = f"TLS verification failed for {self._origin} ({what}): {reason} ({tried})."
            hint = "If the server uses a private CA, set ca_file (--ca-file) to its certificate."
        elif isinstance(exc, requests.exceptions.Timeout):
            message = f"{self._origin} did not answer in time ({what}; {tried})."
            hint = "Check the host and network."
        else:
            message = f"Cannot reach {self._origin} ({what}): {reason} ({tried})."
            hint = "Check the profile's host setting and your network."
        return RestError(scrub(message, self._secrets), hint=hint)
