"""The ``requests.Session`` of a REST client: headers, auth, pool, redirects."""

from __future__ import annotations

import requests
import requests.adapters
import requests.auth

from tiledb.client.basics.protocol import API_KEY_HEADER

__all__ = ["TokenSession", "new_http_session"]


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
