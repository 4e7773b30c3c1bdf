"""The tokens this tool minted, as the server lists them (``tokens``, ``logout --everywhere``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tiledb.client.basics.api_token import APIToken
from tiledb.client.basics.protocol import MINTED_TOKEN_PREFIXES, quote_segment
from tiledb.client.errors import ClientError

if TYPE_CHECKING:
    from tiledb.client.transport.rest import RestClient

__all__ = ["ServerToken", "minted_tokens", "revoke_tokens"]

_PER_PAGE = 100
_MAX_PAGES = 1000  # a server that never ends its pages cannot hold us forever


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
            items = (
                [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
            )
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
    revoked: list[ServerToken] = []
    failed: list[tuple[ServerToken, str]] = []
    for item in sorted(tokens, key=lambda t: t.token.token_id == current_id):
        try:
            rest.delete(f"/v4/tokens/{quote_segment(item.token.token_id)}")
        except ClientError as exc:
            if getattr(exc, "status", None) != 404:
                failed.append((item, exc.problem))
                continue
        revoked.append(item)
    return revoked, failed
