"""Command line: ``python -m tiledb.client.testing [options]``.

Prints the URL on the first line of standard output (and ``CA file: PATH`` on the
second with ``--tls``), logs one masked line per request on standard error, and
serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from .seed import ROLES, Role, Seed, SeedToken, SeedUser, SeedWorkspace, new_api_key
from .server import LocalServer

SEED_ENV = "TILEDB_CLIENT_TESTING_SEED"

_EPILOG = f"""\
Secrets given as VALUE may be literal (visible to other local users in `ps`),
env:VAR (read from an environment variable) or file:PATH (first line of a file);
left out, a random one is generated (see --write-seed).

The seed is --seed FILE (- for stdin), else ${SEED_ENV}, else the default
seed (user ada in workspace acme; see --print-seed); --seed default names it.
--user/--workspace/--token add to --seed, or to an empty seed without one.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tiledb.client.testing",
        description="A loopback TileDB REST v4 server for tests and offline use.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = p.add_argument
    add("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    add("--tls", action="store_true", help="serve HTTPS with a freshly generated CA")
    add("--ca-file", type=Path, help="where to write the CA certificate (with --tls)")
    add("--state-dir", type=Path, help="directory for TLS files (default: a temp dir)")
    add("--seed", metavar="FILE", help="seed JSON file, '-' for stdin, or 'default'")
    add(
        "--user",
        action="append",
        default=[],
        metavar="NAME[:VALUE[:ROLE]]",
        help="add a user with password VALUE and deployment ROLE (owner|admin|member)",
    )
    add(
        "--workspace",
        action="append",
        default=[],
        metavar="NAME[:USER=ROLE,...]",
        help="add a workspace; without members, every user joins (the first as owner)",
    )
    add(
        "--token",
        action="append",
        default=[],
        metavar="USER[@WORKSPACE][=VALUE]",
        help="add an API token for USER in WORKSPACE (default: the user's first one)",
    )
    add(
        "--token-ttl",
        type=float,
        default=30.0,
        metavar="DAYS",
        help="lifetime of tokens created by POST /v4/tokens (default 30)",
    )
    add(
        "--max-token-ttl",
        type=float,
        metavar="SECONDS",
        help="the longest lifetime a created token gets, whatever it asks (e.g. 3)",
    )
    add("--print-seed", action="store_true", help="print the seed JSON (with secrets) and exit")
    add("--write-seed", type=Path, metavar="FILE", help="write the seed JSON (mode 0600)")
    add("--url-file", type=Path, metavar="FILE", help="write the URL (and CA path) to FILE")
    add("--record", type=Path, metavar="FILE", help="append requests as JSON lines (masked)")
    add("--delay", type=float, default=0.0, metavar="SECONDS", help="delay every response")
    add(
        "--fail-next",
        metavar="COUNT[:STATUS]",
        help="answer the first COUNT requests with STATUS (default 503)",
    )
    add(
        "--redirect-to",
        metavar="URL",
        help="answer every request with a 307 redirect to the same path under URL",
    )
    add("--quiet", action="store_true", help="no request log on stderr")
    return p


def _secret(value: str, what: str) -> str:
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise ValueError(f"{what}: environment variable {name} is not set")
        return os.environ[name]
    if value.startswith("file:"):
        lines = Path(value[5:]).read_text(encoding="utf-8").splitlines()
        return lines[0].strip() if lines else ""
    print(
        f"warning: {what} given literally on the command line is visible in `ps`; "
        "prefer env:VAR or file:PATH",
        file=sys.stderr,
    )
    return value


def _add_user(seed: Seed, spec: str) -> None:
    name, _, rest = spec.partition(":")
    role: str = "member"
    if ":" in rest and rest.rsplit(":", 1)[1] in ROLES:
        rest, role = rest.rsplit(":", 1)
    password = _secret(rest, f"password of {name}") if rest else secrets.token_urlsafe(12)
    seed.users.append(SeedUser(name, password, role=_as_role(role)))


def _as_role(value: str) -> Role:
    for role in ROLES:
        if role == value:
            return role
    raise ValueError(f"unknown role {value!r} (owner, admin or member)")


def _add_workspace(seed: Seed, spec: str) -> None:
    name, _, member_spec = spec.partition(":")
    members: dict[str, Role] = {}
    for item in filter(None, member_spec.split(",")):
        user, _, role = item.partition("=")
        members[user] = _as_role(role or "member")
    if not member_spec:
        members = {u.username: "member" for u in seed.users}
        if seed.users:
            members[seed.users[0].username] = "owner"
    seed.workspaces.append(SeedWorkspace(name, members=members))


def _add_token(seed: Seed, spec: str) -> None:
    who, _, value = spec.partition("=")
    user, _, workspace = who.partition("@")
    api_key = _secret(value, f"token of {user}") if value else None
    named = SeedToken(api_key, user).named_workspace() if api_key else None
    candidates = [w for w in seed.workspaces if user in w.members]
    if workspace:
        candidates = [w for w in seed.workspaces if workspace in (w.id, w.name)]
    elif named:
        candidates = [w for w in seed.workspaces if w.id == named] or candidates
    if not candidates:
        raise ValueError(f"token of {user}: no workspace {workspace or 'with this user'}")
    ws_id = candidates[0].id
    seed.tokens.append(SeedToken(api_key or new_api_key(ws_id), user, ws_id, name="cli-token"))


def build_seed(args: argparse.Namespace) -> Seed:
    """Build the seed the options describe (see the command's epilog)."""
    source = args.seed or os.environ.get(SEED_ENV)
    adding = bool(args.user or args.workspace or args.token)
    if source == "default" or (source is None and not adding):
        seed = Seed.default()
    else:
        seed = Seed.load(source) if source else Seed()
    for spec in args.user:
        _add_user(seed, spec)
    for spec in args.workspace:
        _add_workspace(seed, spec)
    for spec in args.token:
        _add_token(seed, spec)
    seed.validate()
    return seed


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        seed = build_seed(args)
        count, _, status = (args.fail_next or "0").partition(":")
        fail_count, fail_status = int(count), int(status or 503)
    except (OSError, ValueError, TypeError) as exc:
        parser.error(str(exc))
    if args.print_seed:
        sys.stdout.write(json.dumps(seed.to_dict(), indent=2) + "\n")
        return 0
    if args.write_seed:
        seed.write(args.write_seed)
    server = LocalServer(
        seed,
        tls=args.tls,
        port=args.port,
        state_dir=args.state_dir,
        ca_file=args.ca_file,
        token_ttl=timedelta(days=args.token_ttl),
        max_token_ttl=None if args.max_token_ttl is None else timedelta(seconds=args.max_token_ttl),
        delay=args.delay,
        log=None if args.quiet else sys.stderr,
        record_file=args.record,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        server.fail_next(fail_status, fail_count)
        server.redirect_all(args.redirect_to)
        lines = [server.url] + ([str(server.ca_file)] if args.tls else [])
        if args.url_file:  # first: once the URL is printed, everything is in place
            _write_atomic(args.url_file, "\n".join(lines) + "\n")
        print(server.url, flush=True)
        if args.tls:
            print(f"CA file: {server.ca_file}", flush=True)
        users = ", ".join(u.username for u in seed.users) or "none"
        server.log(f"serving {server.url} (users: {users}); SIGINT or SIGTERM stops")
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    server.log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
