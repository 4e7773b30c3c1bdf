"""Job tokens: a token for one child or worker, named ``job-...``, scoped and expiring."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from tiledb.client.basics.api_token import APIToken
from tiledb.client.basics.protocol import quote_segment
from tiledb.client.errors import ClientError, LoginError

if TYPE_CHECKING:
    from tiledb.client.transport.rest import RestClient

__all__ = ["mint_job_token", "revoke_job_token"]


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


def revoke_job_token(rest: RestClient, token: APIToken) -> str | None:
    """Revoke ``token``; return why it could not be, or ``None`` (already gone counts)."""
    try:
        rest.delete(f"/v4/tokens/{quote_segment(token.token_id)}")
    except ClientError as exc:
        return None if getattr(exc, "status", None) == 404 else exc.problem
    return None
