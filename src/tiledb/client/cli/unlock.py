"""``tiledb-client unlock`` and ``lock``: the unlock agent of the encrypted file."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from tiledb.client.cli.common import Output, add_json

__all__ = ["register"]

UNLOCK_DESCRIPTION = """\
Read the passphrase of the encrypted secrets vault once (a hidden prompt,
--passphrase-file, --passphrase-stdin, $TILEDB_CLIENT_PASSPHRASE(_FILE), or the systemd
credential $CREDENTIALS_DIRECTORY/tiledb-client-passphrase), check it against the vault,
and hand the unlocked vault to a per-user agent (started if none runs). Until `lock` or
the TTL, every login of this user reads its secret through the agent: no passphrase in
the environment, no key derivation per process. --status says what the agent holds.
"""


def register(subparsers: Any) -> None:
    """Add ``unlock`` and ``lock``."""
    unlock = subparsers.add_parser(
        "unlock",
        help="unlock the encrypted file for a while, through a per-user agent",
        description=UNLOCK_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    unlock.add_argument(
        "--ttl",
        metavar="DURATION",
        default="8h",
        help="forget the key after DURATION (90s, 10m, 8h; default 8h; 0: no limit)",
    )
    unlock.add_argument("--vault", metavar="FILE", help="the vault (default: the one in use)")
    given = unlock.add_mutually_exclusive_group()
    given.add_argument("--passphrase-file", metavar="FILE", help="read the passphrase from FILE")
    given.add_argument(
        "--passphrase-stdin", action="store_true", help="read the passphrase from standard input"
    )
    unlock.add_argument("--status", action="store_true", help="say what the agent holds")
    add_json(unlock)
    unlock.set_defaults(handler=run_unlock)
    lock = subparsers.add_parser(
        "lock", help="make the unlock agent forget the key (it exits)", description=lock_help
    )
    add_json(lock)
    lock.set_defaults(handler=run_lock)


lock_help = "Make the unlock agent forget every key it holds; it then exits."


def _until(expires: float | None) -> str:
    if expires is None:
        return "no time limit"
    moment = datetime.datetime.fromtimestamp(expires, tz=datetime.timezone.utc)
    return f"until {moment.isoformat(timespec='seconds')}"


def run_unlock(args: argparse.Namespace, out: Output) -> int:
    """Run ``unlock``."""
    from pathlib import Path

    from tiledb.client.basics.inputs import parse_duration
    from tiledb.client.operations import unlock as operation
    from tiledb.client.secrets.passphrase import PassphraseSource

    if args.status:
        return _show_status(operation.agent_status(), out)
    ttl = parse_duration(args.ttl, allow_zero=True).total_seconds()
    source = None
    if args.passphrase_file:
        path = Path(args.passphrase_file).expanduser().absolute()
        source = PassphraseSource("file", f"the file {path} (--passphrase-file)", path)
    elif args.passphrase_stdin:
        source = PassphraseSource("stdin", "standard input (--passphrase-stdin)")
    vault = Path(args.vault).expanduser().absolute() if args.vault else None
    answer = operation.unlock(vault=vault, source=source, ttl=ttl)
    if out.json_mode:
        out.json(answer)
    else:
        out.print(f"Unlocked the secrets vault {answer['vault']}, {_until(answer['expires'])}.")
    return 0


def _show_status(status: dict[str, Any] | None, out: Output) -> int:
    held = (status or {}).get("unlocked", [])
    if out.json_mode:
        out.json({"running": status is not None, **(status or {}), "unlocked": held})
        return 0
    if not held:
        out.print("locked: no unlock agent holds a vault" if status else "locked: no agent runs")
        return 0
    for item in held:
        out.print(f"unlocked: {item['vault']}, {_until(item['expires'])}")
    memory = "locked in memory" if status and status.get("memory_locked") else "memory not locked"
    out.print(f"agent: pid {(status or {}).get('pid')}, {memory}")
    return 0


def run_lock(args: argparse.Namespace, out: Output) -> int:
    """Run ``lock``."""
    from tiledb.client.operations.unlock import lock

    running = lock()
    if out.json_mode:
        out.json({"locked": True, "agent_was_running": running})
    else:
        out.print("Locked: the unlock agent forgot the key." if running else "No agent ran.")
    return 0
