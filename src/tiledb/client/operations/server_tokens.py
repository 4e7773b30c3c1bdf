"""Tokens on the server: a job's own token, and those this tool minted (``tokens``, ``logout``).

A job token is for one child or worker, named ``job-...``, scoped and expiring.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from tiledb.client.basics.api_token import APIToken
from tiledb.client.basics.protocol import MINTED_TOKEN_PREFIXES, quote_segment
from tiledb.client.errors import ClientError, LoginError

if TYPE_CHECKING:
    from tiledb.client.transport.rest import RestClient

__all__ = ["ServerToken", "mint_job_token", "minted_tokens", "revoke_token", "revoke_tokens"]

_PER_PAGE = 100
_MAX_PAGES = 1000  # a server that never ends its pages cannot hold us forever


def mint_job_token(
    rest: RestClient, *, job: str, ttl: timedelta, scope: str, workspace_id: str | None
) -> APIToken:
    """Mint a token for one job, expiring after ``ttl``, narrowed to ``scope`` (else LoginError)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", job)[:40].strip("-") or "job"
    expires = datetime.now(timezone.utc) + ttl
    body = {
        "name": f"job-{slug}-{uuid.uuid4().hex[:8]}",
        "scope": scope,
        "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if workspace_id:
        body["workspace_id"] = workspace_id
    try:
        token = APIToken.from_json(rest.post("/v4/tokens", body))
    except ClientError as exc:
        raise LoginError(
            f"The server did not mint a job token (scope {scope!r}): {exc.problem}",
            hint=exc.hint or "Check the scope, or run without --ttl.",
        ) from None
    if not token.api_key or not token.token_id:
        raise LoginError("The server's answer to the job token request holds no token.")
    return token


def revoke_token(rest: RestClient, token: APIToken) -> str | None:
    """Revoke ``token``; return why it could not be, or ``None`` (already gone counts)."""
    try:
        rest.delete(f"/v4/tokens/{quote_segment(token.token_id)}")
    except ClientError as exc:
        return None if getattr(exc, "status", None) == 404 else exc.problem
    return None


@dataclass(frozen=True)
class ServerToken:
    """A token as the server lists it (never with its key), and its kind."""

    kind: str  # "session" (minted with a password) or "api"
    token: APIToken


def minted_tokens(rest: RestClient) -> list[ServerToken]:
    """List the user's active tokens whose names say this tool minted them."""
    found: list[ServerToken] = []
    for kind in ("session", "api"):
        for page in range(1, _MAX_PAGES + 1):
            data = rest.get(f"/v4/tokens?type={kind}&page={page}&per_page={_PER_PAGE}")
            items = [i for i in data if isinstance(i, dict)] if isinstance(data, list) else []
            found += [
                ServerToken(kind, APIToken.from_json(item))
                for item in items
                if str(item.get("name") or "").startswith(MINTED_TOKEN_PREFIXES)
            ]
            if len(items) < _PER_PAGE:
                break
    return found


def revoke_tokens(
    rest: RestClient, tokens: list[ServerToken], *, current_id: str | None = None
) -> tuple[list[ServerToken], list[tuple[ServerToken, str]]]:
    """Revoke ``tokens``, ``current_id`` last; return the revoked (or gone), the others and why."""
    ordered = sorted(tokens, key=lambda item: item.token.token_id == current_id)
    outcomes = [(item, revoke_token(rest, item.token)) for item in ordered]
    failed = [(item, problem) for item, problem in outcomes if problem is not None]
    return [item for item, problem in outcomes if problem is None], failed
