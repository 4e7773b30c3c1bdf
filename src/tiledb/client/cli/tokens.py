"""``tiledb-client tokens`` and ``logout --everywhere``: the tokens this tool minted."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tiledb.client.cli.common import Output, add_json, add_profile_options, confirm, login

if TYPE_CHECKING:
    from tiledb.client.operations.server_tokens import ServerToken
    from tiledb.client.transport.rest import RestClient

__all__ = ["register", "run_logout_everywhere"]


def register(subparsers: Any) -> None:
    """Add ``tokens``."""
    tokens = subparsers.add_parser(
        "tokens",
        help="list the tokens this tool minted for you, on the server",
        description="Log in with a profile and list the user's active tokens that this"
        " tool minted (logins' session tokens, child jobs' tokens), on every machine:"
        " name, kind, created, expires, scope. Never a secret. `tiledb-client logout"
        " --everywhere` revokes them.",
    )
    add_profile_options(tokens)
    add_json(tokens)
    tokens.set_defaults(handler=run_tokens)


def _session(args: argparse.Namespace) -> tuple[RestClient, str | None]:
    from tiledb.client import client as api

    session = login(args)
    return api.client.rest_client(), session.session_token_id


def _rows(tokens: list[ServerToken]) -> list[dict[str, Any]]:
    return [
        {
            "name": t.token.name,
            "token_id": t.token.token_id,
            "kind": t.kind,
            "created_at": t.token.created_at.isoformat() if t.token.created_at else None,
            "expires_at": t.token.expires_at.isoformat() if t.token.expires_at else None,
            "scope": t.token.scope,
        }
        for t in tokens
    ]


def _show(rows: list[dict[str, Any]], out: Output) -> None:
    keys = ("name", "kind", "created_at", "expires_at", "scope")
    out.table(["NAME", "KIND", "CREATED", "EXPIRES", "SCOPE"], [[r[k] for k in keys] for r in rows])


def run_tokens(args: argparse.Namespace, out: Output) -> int:
    """Run ``tokens``."""
    from tiledb.client.operations.server_tokens import minted_tokens

    rest, _ = _session(args)
    rows = _rows(minted_tokens(rest))
    if out.json_mode:
        out.json({"tokens": rows})
    elif rows:
        _show(rows, out)
    else:
        out.print("No active token minted by tiledb-client.")
    return 0


def run_logout_everywhere(args: argparse.Namespace, out: Output) -> int:
    """Run ``logout --everywhere``: revoke every token this tool minted for the user."""
    from tiledb.client.operations.server_tokens import minted_tokens, revoke_tokens

    rest, current_id = _session(args)
    tokens = minted_tokens(rest)
    if tokens:
        confirm(
            f"Revoke {len(tokens)} token(s) minted by tiledb-client, on every machine?",
            assume_yes=args.yes,
            what="revoke tokens on every machine",
        )
    revoked, failed = revoke_tokens(rest, tokens, current_id=current_id)
    if out.json_mode:
        out.json(
            {
                "revoked": _rows(revoked),
                "failed": [{**_rows([t])[0], "reason": why} for t, why in failed],
            }
        )
    else:
        out.print(f"Revoked {len(revoked)} token(s) minted by tiledb-client.")
        if revoked:
            _show(_rows(revoked), out)
        for item, why in failed:
            out.warn(f"could not revoke {item.token.name} ({item.token.token_id}): {why}")
    return 1 if failed else 0
