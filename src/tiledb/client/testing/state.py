"""What a running local server knows: users, workspaces, tokens, and who is asking.

:class:`ServerState` is thread-safe; the HTTP layer (``server.py``) and the routes
(``app.py``) call into it, and tests may change it while the server runs.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal

from ._documents import token_document, user_document, workspace_document
from .seed import (
    Role,
    Seed,
    SeedToken,
    SeedUser,
    SeedWorkspace,
    format_time,
    new_api_key,
    parse_time,
    utcnow,
)

__all__ = ["ApiError", "Auth", "ServerState", "TokenInfo"]


class ApiError(Exception):
    """An error answered to the client as ``{"errorCode": status, "message": ...}``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Auth:
    """The credentials a request carried, and whether they were accepted.

    ``str(auth)`` is safe to log: it names the user and token id, never a secret.
    """

    scheme: Literal["token", "basic"]
    username: str | None = None
    token_id: str | None = None
    workspace_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the credentials were accepted."""
        return self.error is None

    def __str__(self) -> str:
        who = ":".join(part for part in (self.scheme, self.username, self.token_id) if part)
        return who if self.ok else f"{who}:rejected({self.error})"


@dataclass(frozen=True)
class TokenInfo:
    """A snapshot of one API token as the server sees it."""

    token_id: str
    api_key: str
    name: str
    username: str
    workspace_id: str | None
    scope: str
    created_at: str
    expires_at: str | None
    revoked: bool

    @property
    def expired(self) -> bool:
        """Whether ``expires_at`` has passed."""
        return self.expires_at is not None and parse_time(self.expires_at) <= utcnow()

    @property
    def active(self) -> bool:
        """Whether the token is accepted (neither revoked nor expired)."""
        return not self.revoked and not self.expired


class ServerState:
    """Thread-safe users, workspaces and tokens of one server, seeded from a :class:`Seed`.

    Parameters
    ----------
    seed
        The initial data; it is copied, never modified.
    token_ttl
        Lifetime of tokens created through ``POST /v4/tokens`` without ``expires_at``.
    max_token_ttl
        The longest lifetime a created token gets, whatever ``expires_at`` asks (a few
        seconds let tests watch renewals); ``None``: no limit.
    """

    def __init__(
        self,
        seed: Seed,
        *,
        token_ttl: timedelta = timedelta(days=30),
        max_token_ttl: timedelta | None = None,
    ) -> None:
        seed = copy.deepcopy(seed)
        seed.validate()
        self._lock = threading.RLock()
        self._seed = seed
        self._revoked: set[str] = set()
        self.token_ttl = token_ttl
        self.max_token_ttl = max_token_ttl

    # -- lookups -------------------------------------------------------------------------
    def _user(self, username: str) -> SeedUser:
        for user in self._seed.users:
            if user.username == username:
                return user
        raise ApiError(404, f"user {username!r} not found")

    def _workspace(self, name_or_id: str) -> SeedWorkspace:
        for ws in self._seed.workspaces:
            if name_or_id in (ws.id, ws.name):
                return ws
        raise ApiError(404, f"workspace {name_or_id!r} not found")

    def _member_workspace(self, username: str, name_or_id: str) -> SeedWorkspace:
        ws = self._workspace(name_or_id)
        if username not in ws.members:  # do not reveal workspaces to non-members
            raise ApiError(404, f"workspace {name_or_id!r} not found")
        return ws

    def authenticate(self, api_key: str | None, authorization: str | None) -> Auth | None:
        """Check the credentials of a request; ``None`` when it carried none.

        An API key header wins over an ``Authorization`` header.
        """
        with self._lock:
            if api_key is not None:
                return self._auth_token(api_key.strip())
            if authorization is not None:
                return self._auth_basic(authorization.strip())
            return None

    def _auth_token(self, api_key: str) -> Auth:
        for tok in self._seed.tokens:
            if hmac.compare_digest(tok.api_key.encode(), api_key.encode()):
                info = self._info(tok)
                error = "revoked" if info.revoked else "expired" if info.expired else None
                return Auth("token", tok.user, tok.token_id, tok.workspace_id, error)
        return Auth("token", error="unknown token")

    def _auth_basic(self, header: str) -> Auth:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return Auth("basic", error="unsupported scheme")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return Auth("basic", error="malformed")
        username, sep, password = decoded.partition(":")
        user = next((u for u in self._seed.users if u.username == username), None)
        if not sep or user is None or user.password is None:
            return Auth("basic", error="bad username or password")
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            return Auth("basic", error="bad username or password")
        return Auth("basic", username)

    # -- documents (shaped by _documents) ------------------------------------------------
    def self_document(self, username: str) -> dict[str, Any]:
        """Return the ``data`` of ``GET /v4/users/self`` for ``username``."""
        with self._lock:
            workspaces = [
                workspace_document(ws, username, self._user)
                for ws in self._seed.workspaces
                if username in ws.members
            ]
            return {"user": user_document(self._user(username)), "workspaces": workspaces}

    def workspace_document(self, username: str, name_or_id: str) -> dict[str, Any]:
        """Return the ``data`` of ``GET /v4/workspaces/{name_or_id}`` for ``username``."""
        with self._lock:
            ws = self._member_workspace(username, name_or_id)
            return workspace_document(ws, username, self._user)

    # -- tokens --------------------------------------------------------------------------
    def _info(self, tok: SeedToken) -> TokenInfo:
        return TokenInfo(
            tok.token_id,
            tok.api_key,
            tok.name,
            tok.user,
            tok.workspace_id,
            tok.scope,
            tok.created_at,
            tok.expires_at,
            tok.token_id in self._revoked,
        )

    SCOPES = frozenset(
        ["*", "password_reset", "confirm_email"]
        + [f"{what}:{level}" for what in ("user", "array", "organization", "group")
           for level in ("read", "read-write", "admin")]
    )  # fmt: skip
    """The scopes the vendor's API knows (its ``TokenScope``)."""

    def create_token(self, auth: Auth, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a token for the authenticated user (``POST /v4/tokens``)."""
        name = body.get("name", "api-token")
        scope = body.get("scope", "*")
        workspace = body.get("workspace_id", auth.workspace_id)
        expires = body.get("expires_at")
        for key, value in (("name", name), ("scope", scope), ("workspace_id", workspace)):
            if not isinstance(value, str) or not value:
                raise ApiError(400, f"{key} must be a non-empty string")
        if scope not in self.SCOPES:
            raise ApiError(400, f"unknown token scope {scope!r}")
        with self._lock:
            ws = self._member_workspace(str(auth.username), str(workspace))
            if expires is None:
                expires_at = format_time(utcnow() + self.token_ttl)
            else:
                try:
                    expires_at = format_time(parse_time(str(expires)))
                except ValueError:
                    raise ApiError(400, "expires_at must be an ISO 8601 time") from None
                if parse_time(expires_at) <= utcnow():
                    raise ApiError(400, "expires_at must be in the future")
            if self.max_token_ttl is not None:
                latest = utcnow() + self.max_token_ttl
                expires_at = format_time(min(parse_time(expires_at), latest))
            tok = SeedToken(
                new_api_key(ws.id),
                str(auth.username),
                ws.id,
                name=str(name),
                scope=str(scope),
                expires_at=expires_at,
                kind="session" if auth.scheme == "basic" else "api",
            )
            self._seed.tokens.append(tok)
            return self.token_document(tok)

    token_document = staticmethod(token_document)  # the APIToken object of a SeedToken

    def list_tokens(self, auth: Auth, kind: str, page: int, per_page: int) -> dict[str, Any]:
        """The user's active tokens of ``kind`` (``GET /v4/tokens``), without their keys."""
        if kind not in ("api", "session"):
            raise ApiError(400, "type must be 'api' or 'session'")
        if page < 1 or per_page < 1:
            raise ApiError(400, "page and per_page must be positive")
        with self._lock:
            mine = [
                {k: v for k, v in self.token_document(t).items() if k != "api_key"}
                for t in self._seed.tokens
                if t.user == auth.username and t.kind == kind and self._info(t).active
            ]
        total_pages = max(1, -(-len(mine) // per_page))
        meta = {"page": page, "per_page": per_page, "total_pages": total_pages}
        return {
            "data": mine[(page - 1) * per_page : page * per_page],
            "pagination_metadata": {**meta, "total_items": len(mine)},
        }

    def revoke(self, auth: Auth, token_id: str) -> None:
        """Revoke ``token_id`` on behalf of its owner (``DELETE /v4/tokens/{token_id}``)."""
        with self._lock:
            tok = next((t for t in self._seed.tokens if t.token_id == token_id), None)
            if tok is None or token_id in self._revoked:
                raise ApiError(404, f"token {token_id!r} not found")
            if tok.user != auth.username:
                raise ApiError(403, "only the owner of a token may revoke it")
            self._revoked.add(token_id)

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token administratively (no ownership check)."""
        with self._lock:
            if not any(t.token_id == token_id for t in self._seed.tokens):
                raise KeyError(token_id)
            self._revoked.add(token_id)

    def tokens(self) -> list[TokenInfo]:
        """Return a snapshot of every token, revoked and expired ones included."""
        with self._lock:
            return [self._info(tok) for tok in self._seed.tokens]

    # -- changes at run time -------------------------------------------------------------
    def _commit(self, candidate: Seed) -> None:
        candidate.validate()
        self._seed = candidate

    def add_user(self, user: SeedUser) -> SeedUser:
        """Add a user; raises ``ValueError`` on a duplicate name or id."""
        with self._lock:
            self._commit(replace(self._seed, users=[*self._seed.users, user]))
            return user

    def add_workspace(self, workspace: SeedWorkspace) -> SeedWorkspace:
        """Add a workspace; its members must exist."""
        with self._lock:
            self._commit(replace(self._seed, workspaces=[*self._seed.workspaces, workspace]))
            return workspace

    def add_member(self, workspace: str, username: str, role: Role = "member") -> None:
        """Add ``username`` to ``workspace`` (name or id) or change their role."""
        with self._lock:
            self._user(username)
            self._workspace(workspace).members[username] = role

    def add_token(self, token: SeedToken) -> SeedToken:
        """Add an API token; its user (and workspace, if any) must exist."""
        with self._lock:
            self._commit(replace(self._seed, tokens=[*self._seed.tokens, token]))
            return token

    def to_seed(self) -> Seed:
        """Return the current data as a seed (revoked tokens left out)."""
        with self._lock:
            seed = copy.deepcopy(self._seed)
            seed.tokens = [t for t in seed.tokens if t.token_id not in self._revoked]
        return seed
