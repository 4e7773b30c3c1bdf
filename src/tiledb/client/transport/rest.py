"""HTTP client for the TileDB REST API: one ``requests.Session`` per client.

A call is a loop of attempts within a total deadline (``$TILEDB_CLIENT_REQUEST_DEADLINE``,
default 60 s), each attempt's timeouts cut to the time left. The retry mode's statuses
are retried after a back-off (0.25 s, doubling) or the server's ``Retry-After``,
connection failures three times; a call that is not idempotent (``POST /v4/tokens``)
is not sent again once it may have reached the server. Every failure is a
:class:`RestError` with a hint that never quotes what was sent. ``requests`` is
imported with the first client.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

from tiledb.client.basics.deadline import timeout_from_env
from tiledb.client.basics.masking import printable, scrub
from tiledb.client.basics.protocol import API_KEY_HEADER, normalize_host
from tiledb.client.basics.retry_modes import RetryMode, RetryOrStr
from tiledb.client.basics.tls import Tls
from tiledb.client.errors import RestError

if TYPE_CHECKING:
    import requests

__all__ = ["BasicAuth", "RestClient", "RestError", "RestFactory", "default_pool_size"]

DEADLINE_ENV = "TILEDB_CLIENT_REQUEST_DEADLINE"
DEFAULT_DEADLINE_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 60.0
CONNECT_RETRIES = 3  # an unreachable host is reported in seconds, not after 100 tries
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # this API's answers are a few KiB
_MIN_ATTEMPT = 0.05  # never start an attempt with less time left
_LAST_ATTEMPT = 1.0  # kept for a last attempt when a back-off is cut to fit
_NOT_JSON = object()


def default_pool_size() -> int:
    """Return the default number of threads and pooled connections (as ``concurrent.futures``)."""
    return min(32, (os.cpu_count() or 1) + 4)


def request_deadline() -> float:
    """Seconds a call may take, retries included: ``$TILEDB_CLIENT_REQUEST_DEADLINE``, else 60."""
    return timeout_from_env(DEADLINE_ENV, DEFAULT_DEADLINE_SECONDS)


@dataclass(frozen=True)
class BasicAuth:
    """Username and password for HTTP Basic auth; the password is never shown."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=<hidden>)"

    def encoded(self) -> tuple[bytes, bytes]:
        """Both as UTF-8, as RFC 7617 sends them (``requests`` would use Latin-1)."""
        return self.username.encode("utf-8"), self.password.encode("utf-8")


class RestFactory(Protocol):
    """Makes REST clients with the caller's retry mode and pool size (``Client`` is one)."""

    def new_rest(
        self,
        host: str,
        *,
        token: str | None = None,
        basic: BasicAuth | None = None,
        tls: Tls | None = None,
        renew: Callable[[], str] | None = None,
    ) -> RestClient:
        """Return a new REST client for ``host`` (see :class:`RestClient`)."""


@dataclass
class Attempts:
    """The deadline of one call, on ``clock``, and what each attempt got."""

    seconds: float
    clock: Callable[[], float]
    started: float = field(init=False)
    outcomes: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the deadline ended the retries

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative)."""
        return self.seconds - (self.clock() - self.started)

    def pause(self, wanted: float, *, server_asked: bool) -> float | None:
        """The pause before one more attempt, or ``None`` (setting :attr:`stopped`).

        A ``Retry-After`` that does not fit ends the call; a back-off is cut to keep time for one
        last attempt.
        """
        left = self.remaining()
        reserve = min(_LAST_ATTEMPT, self.seconds / 4)
        if left - wanted >= reserve or (wanted == 0 and left >= _MIN_ATTEMPT):
            return wanted
        if not server_asked and left >= 2 * reserve:
            return left - reserve
        self.stopped = (
            f"no time left before the {self.seconds:g} s deadline"
            if left < _MIN_ATTEMPT
            else f"the pause before the next try ({wanted:g} s, back-off or the server's"
            f" Retry-After) would pass the {self.seconds:g} s deadline"
        )
        return None

    def report(self) -> str:
        """What was tried, e.g. ``"3 attempts in 1.8 s: HTTP 503 x3"``."""
        tried = ", ".join(f"{o} x{n}" if n > 1 else o for o, n in Counter(self.outcomes).items())
        n = len(self.outcomes)
        spent = self.clock() - self.started
        return f"{n} attempt{'' if n == 1 else 's'} in {spent:.1f} s" + (
            f": {tried}" if tried else ""
        )


_Answer = tuple[int, str | None, bytes, str | None]  # status, reason, body, Retry-After


class RestClient:
    """A client of one TileDB REST server (``host`` a base URL).

    ``basic`` is for minting session tokens; ``renew``, on HTTP 401, returns a new token to
    repeat the request with once, or raises; ``clock`` and ``sleep`` drive the attempt loop;
    ``deadline`` (seconds) replaces ``$TILEDB_CLIENT_REQUEST_DEADLINE`` for each call.
    """

    def __init__(
        self,
        host: str,
        *,
        token: str | None = None,
        basic: BasicAuth | None = None,
        tls: Tls | None = None,
        retry_mode: RetryOrStr = RetryMode.DEFAULT,
        pool_size: int | None = None,
        renew: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        deadline: float | None = None,
    ) -> None:
        self.host = normalize_host(host)
        self._deadline = deadline
        self._origin = urlsplit(self.host).netloc
        self._secrets = tuple(s for s in (token, basic.password if basic else None) if s)
        self._mode = RetryMode.maybe_from(retry_mode)
        self._renew, self._clock, self._sleep = renew, clock, sleep
        self._verify = (tls or Tls()).requests_verify
        from tiledb.client.transport.http import new_http_session

        self._http = new_http_session(
            token=token,
            basic=basic.encoded() if basic is not None else None,
            verify=self._verify,
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

    def post(self, path: str, body: Mapping[str, Any], *, idempotent: bool = False) -> Any:
        """``POST`` a JSON ``body``, sent once unless ``idempotent`` (``POST /v4/tokens`` mints)."""
        return self.request("POST", path, body=body, idempotent=idempotent)

    def delete(self, path: str) -> Any:
        """``DELETE`` ``path``; accept any success answer (``{}``, no body); its ``data`` if any."""
        return self.request("DELETE", path, expect_data=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        expect_data: bool = True,
    ) -> Any:
        """Send a request and return the ``data`` member of the JSON answer, within the deadline.

        ``idempotent`` (default: not for ``POST``) allows sending it again after it may have
        reached the server; ``expect_data=False`` accepts any success answer. Every failure
        (unreachable, TLS, HTTP error, not the expected JSON, the deadline) is a RestError.
        """
        url = f"{self.host}/{path.lstrip('/')}"
        what = f"{method} {url}"
        if idempotent is None:
            idempotent = method.upper() != "POST"
        (status, reason, content, _), call = self._call(method, url, body, what, idempotent)
        if status == 401 and self._renew is not None:
            token = self._renew()
            self._secrets = (*self._secrets, token)
            self._http.headers[API_KEY_HEADER] = token
            (status, reason, content, _), call = self._call(method, url, body, what, idempotent)
        if status >= 400:
            detail = scrub(server_message(content, reason), self._secrets)
            after = f" (stopped retrying, {call.stopped}; {call.report()})" if call.stopped else ""
            raise RestError(f"{what} failed: HTTP {status}: {detail}{after}", status=status)
        payload = _json(content) if content else None
        if not expect_data:
            return payload.get("data") if isinstance(payload, dict) else None
        if status == 204 or payload is None:
            return None
        if payload is _NOT_JSON:
            problem = "a body that is not JSON"
        elif not isinstance(payload, dict) or "data" not in payload:
            problem = "JSON without a 'data' member"
        else:
            return payload["data"]
        raise RestError(
            f"{what} returned {problem} (HTTP {status}). Is the host a TileDB REST server?",
            status=status,
        )

    def _call(
        self, method: str, url: str, body: Mapping[str, Any] | None, what: str, idempotent: bool
    ) -> tuple[_Answer, Attempts]:
        """Attempts until an answer that is not retried, the retries or the deadline end."""
        from tiledb.client.transport.http import attempt_outcome

        call = Attempts(self._deadline or request_deadline(), self._clock)
        left = {"connect": CONNECT_RETRIES, "read": CONNECT_RETRIES, "status": 100}
        if self._mode is RetryMode.DISABLED:
            left.clear()
        elif not idempotent:
            del left["read"], left["status"]
        for attempt in count():
            answer = self._attempt(method, url, body, call)
            if isinstance(answer, BaseException):
                (outcome, kind), asked = attempt_outcome(answer), None
            else:
                status, asked = answer[0], _retry_after(answer[3])
                outcome, kind = f"HTTP {status}", "status" if status in self._mode.statuses else ""
            call.outcomes.append(outcome)
            if left.get(kind, 0) <= 0:
                break
            backoff = min(0.25 * 2**attempt, 120.0)
            pause = call.pause(backoff if asked is None else asked, server_asked=asked is not None)
            if pause is None:
                break
            left[kind] -= 1
            self._sleep(pause)
        if isinstance(answer, BaseException):
            raise self._failure(answer, what, call)
        return answer, call

    def _attempt(
        self, method: str, url: str, body: Mapping[str, Any] | None, call: Attempts
    ) -> _Answer | BaseException:
        """One attempt, its timeouts cut to the time left: the answer, or what failed."""
        import requests
        import urllib3

        left = max(call.remaining(), _MIN_ATTEMPT)
        timeout = urllib3.Timeout(
            connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS, total=left
        )
        try:
            response = self._http.request(
                method,
                url,
                json=body,
                timeout=cast(Any, timeout),  # requests passes a urllib3.Timeout on
                verify=self._verify,  # per request: $REQUESTS_CA_BUNDLE overrides Session.verify
                stream=True,
            )
            with response:
                content = _read_body(response, call)
        except (requests.exceptions.RequestException, ValueError, UnicodeError) as exc:
            return exc
        except OSError as exc:  # requests' bare OSError, before connecting, for a CA file
            raise RestError(
                f"Cannot use the CA file {self._verify} to verify {self._origin} ({method} {url}):"
                f" {exc.strerror or 'it does not exist or is not a file'}.",
                hint="Point ca_file (--ca-file) at the server's CA certificate, by an absolute"
                " path.",
            ) from None
        return response.status_code, response.reason, content, response.headers.get("Retry-After")

    def _failure(self, exc: BaseException, what: str, call: Attempts) -> RestError:
        """The :class:`RestError` of a call that got no usable answer."""
        import requests

        from tiledb.client.transport.http import describe_failure

        reason, tried = describe_failure(exc), call.report()
        if isinstance(exc, ValueError | UnicodeError) and "header" in reason:
            message = f"Cannot send {what}: {reason}."
            hint = "Store the credential again, as issued (tiledb-client configure --overwrite)."
        elif call.stopped or call.remaining() <= 0:
            stopped = call.stopped or f"no time left before the {call.seconds:g} s deadline"
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


def _retry_after(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` header asks for; ``None`` when absent or malformed."""
    if not value or value.strip().isdigit():
        return float(value) if value else None
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _read_body(response: requests.Response, call: Attempts) -> bytes:
    """The body, read in pieces so that the deadline and the size limit hold."""
    chunks: list[bytes] = []
    size = 0
    what = f"{response.request.method} {response.url}"
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise RestError(
                f"The answer of {what} is larger than {MAX_ANSWER_BYTES // 2**20} MiB: is the"
                " host a TileDB REST server?",
                status=response.status_code,
            )
        if call.remaining() <= 0:
            raise RestError(
                f"{what} stopped reading the answer at the {call.seconds:g} s deadline"
                f" ({call.report()}). Allow more time with {DEADLINE_ENV}.",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return _NOT_JSON


def server_message(content: bytes, reason: str | None) -> str:
    """The server's ``message``, printable and short; else the HTTP reason phrase."""
    payload = _json(content) if content else _NOT_JSON
    if isinstance(payload, dict) and payload.get("message"):
        return printable(str(payload["message"]), limit=500)
    return printable(reason or "no details", limit=100)
