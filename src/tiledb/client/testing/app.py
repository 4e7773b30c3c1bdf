"""The REST v4 routes of the local server, independent of the HTTP mechanics.

:func:`handle` maps one request to a :class:`Response`; ``server.py`` does the I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .state import ApiError, Auth, ServerState

__all__ = ["API_KEY_HEADER", "Response", "error_body", "handle"]

API_KEY_HEADER = "X-TILEDB-REST-API-KEY"

_UNAUTHORIZED = {"WWW-Authenticate": 'Basic realm="tiledb", charset="UTF-8"'}
_REASONS = {
    "unknown token": "the API token is not valid",
    "revoked": "the API token has been revoked",
    "expired": "the API token has expired",
    "bad username or password": "invalid username or password",
    "malformed": "malformed Basic credentials",
    "unsupported scheme": "unsupported Authorization scheme (use Basic or an API key)",
}


@dataclass
class Response:
    """What to answer: a status, a JSON payload (``None``: no body) and extra headers.

    ``raw`` replaces the JSON body by these bytes (an injected malformed answer);
    ``silent`` means: never answer at all (an injected hang).
    """

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    silent: bool = False

    def body(self) -> bytes:
        """Return the encoded JSON body (empty when there is no payload)."""
        if self.raw is not None:
            return self.raw
        if self.payload is None:
            return b""
        return json.dumps(self.payload, indent=2).encode("utf-8") + b"\n"


def error_body(status: int, message: str) -> dict[str, Any]:
    """Return the error object ``{"errorCode": status, "message": message}``."""
    return {"errorCode": status, "message": message}


def _error(exc: ApiError) -> Response:
    return Response(exc.status, error_body(exc.status, exc.message), exc.headers)


_Handler = Callable[[ServerState, Auth, Mapping[str, str], bytes], Response]


def _get_self(state: ServerState, auth: Auth, _: Mapping[str, str], __: bytes) -> Response:
    return Response(200, {"data": state.self_document(str(auth.username))})


def _get_workspace(state: ServerState, auth: Auth, args: Mapping[str, str], _: bytes) -> Response:
    return Response(200, {"data": state.workspace_document(str(auth.username), args["ws"])})


def _create_token(state: ServerState, auth: Auth, _: Mapping[str, str], body: bytes) -> Response:
    try:
        payload = json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return Response(200, {"data": state.create_token(auth, payload)})


def _list_tokens(state: ServerState, auth: Auth, args: Mapping[str, str], _: bytes) -> Response:
    try:
        page, per_page = int(args.get("page", "1")), int(args.get("per_page", "100"))
    except ValueError:
        raise ApiError(400, "page and per_page must be integers") from None
    return Response(200, state.list_tokens(auth, args.get("type", ""), page, per_page))


def _revoke_token(state: ServerState, auth: Auth, args: Mapping[str, str], _: bytes) -> Response:
    state.revoke(auth, args["token_id"])
    return Response(204)


_ROUTES: list[tuple[re.Pattern[str], dict[str, _Handler]]] = [
    (re.compile(r"/v4/users/self/?"), {"GET": _get_self}),
    (re.compile(r"/v4/workspaces/(?P<ws>[^/]+)/?"), {"GET": _get_workspace}),
    (re.compile(r"/v4/tokens/?"), {"POST": _create_token, "GET": _list_tokens}),
    (re.compile(r"/v4/tokens/(?P<token_id>[^/]+)/?"), {"DELETE": _revoke_token}),
]


def _check(auth: Auth | None) -> Auth:
    if auth is None:
        raise ApiError(
            401, "authentication required: send an API key or Basic credentials", _UNAUTHORIZED
        )
    if not auth.ok:
        raise ApiError(401, _REASONS.get(str(auth.error), "unauthorized"), _UNAUTHORIZED)
    return auth


def handle(
    state: ServerState, method: str, target: str, headers: Mapping[str, str], body: bytes
) -> tuple[Response, Auth | None]:
    """Answer one request.

    Parameters
    ----------
    state
        The server's users, workspaces and tokens.
    method, target
        The HTTP method and the request target (path and query).
    headers
        The request headers; names must match case-insensitively.
    body
        The request body.

    Returns
    -------
    tuple[Response, Auth | None]
        The response, and the credentials the request carried (``None``: none).
    """
    auth = state.authenticate(headers.get(API_KEY_HEADER), headers.get("Authorization"))
    try:
        parts = urlsplit(target)
        handler, args = _route(method, unquote(parts.path), auth)
        args = {**dict(parse_qsl(parts.query)), **args}
        return handler(state, _check(auth), args, body), auth
    except ApiError as exc:
        return _error(exc), auth


def _route(method: str, path: str, auth: Auth | None) -> tuple[_Handler, dict[str, str]]:
    for pattern, methods in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        handler = methods.get(method.upper())
        if handler is None:
            allowed = ", ".join(sorted(methods))
            raise ApiError(
                405, f"{method} is not allowed on {path} (allowed: {allowed})", {"Allow": allowed}
            )
        return handler, match.groupdict()
    _check(auth)  # an unknown path still needs valid credentials: 401 before 404
    raise ApiError(404, f"not found: {method} {path} is not served by the local test server")
