"""``tiledb-client exec``: run a command with the session's credentials in its environment.

On POSIX COMMAND replaces this process, as ``env(1)`` does: every signal reaches it
directly, its exit status is the caller's, and nothing of Python (a password) stays in
memory. Where that is not possible (Windows), :func:`run_child` forwards signals to a child.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from tiledb.client.cli.common import Output, add_profile_options

if TYPE_CHECKING:
    import subprocess

__all__ = ["FORWARDED_SIGNALS", "register", "replace_process", "run_child"]

EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_NOT_FOUND = 2, 126, 127  # as env(1) and the shells report them

DESCRIPTION = """\
Log in as `tiledb-client login` does (a password becomes a session token, reused
from its cache), then run COMMAND with the session in the environment variables
TileDB core reads, for programs that do not go through tiledb.client: another
Python process, TileDB-R, the TileDB CLI, Spark or Dask workers.

COMMAND gets TILEDB_REST_TOKEN (an API token or a session token, never a password),
TILEDB_REST_SERVER_ADDRESS, TILEDB_REST_WORKSPACE, TILEDB_SSL_VERIFY,
TILEDB_SSL_CA_FILE, and TILEDB_PROFILE_NAME / TILEDB_PROFILE_DIR naming the profile;
TILEDB_REST_USERNAME and TILEDB_REST_PASSWORD are set empty. Nothing is put on a
command line or written to a file. Everything else of the environment is passed
on unchanged.

With --ttl, COMMAND gets a job token of its own instead of the session's: named
after COMMAND, expiring after the TTL, narrowed to --scope (default *). tiledb-client
then waits for COMMAND and revokes the token when it exits, however it exits.

Without --ttl, on POSIX, tiledb-client replaces itself with COMMAND: signals reach
COMMAND directly and its exit status (or the signal that ended it) is the caller's.
Otherwise COMMAND runs as a child; SIGINT, SIGTERM and SIGHUP are forwarded, and its
exit status is passed through (128 + N when signal N ended it).
"""

EPILOG = """\
examples:
  tiledb-client exec -- python analysis.py
  tiledb-client exec --profile prod -- Rscript report.R
  tiledb-client exec -- sh -c 'echo "$TILEDB_REST_SERVER_ADDRESS"'
  tiledb-client exec --ttl 1h --scope array:read -- python nightly.py

Exit status: COMMAND's; 1 when the login fails, 126 when COMMAND cannot be run,
127 when it is not found.
"""


def register(subparsers: Any) -> None:
    """Add the ``exec`` command."""
    parser = subparsers.add_parser(
        "exec",
        help="run a command with the session's token in its environment",
        usage="%(prog)s [-h] [--profile NAME] [--profile-dir DIR] [--ttl DURATION]"
        " [--scope SCOPE] -- COMMAND [ARG...]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_profile_options(parser)
    parser.add_argument(
        "--ttl",
        metavar="DURATION",
        help="give COMMAND a job token that expires after DURATION (90s, 10m, 8h) and is"
        " revoked when COMMAND exits",
    )
    parser.add_argument(
        "--scope", default="*", help="the job token's scope, e.g. array:read (default *)"
    )
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARG...]",
        help="the command to run, after --",
    )
    parser.set_defaults(handler=run)


def _signals(*names: str) -> tuple[int, ...]:
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))


FORWARDED_SIGNALS = _signals("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
"""The signals :func:`run_child` passes on to COMMAND (those that exist here)."""
_RESTORED_SIGNALS = _signals("SIGPIPE", "SIGXFZ", "SIGXFSZ")


def replace_process(argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """Replace this process with ``argv`` (on ``env["PATH"]``); OSError leaves it unchanged."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    for number in _RESTORED_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    try:
        os.execvpe(argv[0], list(argv), dict(env))  # noqa: S606 - COMMAND is the user's
    except BaseException:
        for number in _RESTORED_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise


def run_child(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv`` as a child with environment ``env``, forwarding signals; return its status.

    Outside the main thread no handler can be installed: the child gets only what the
    operating system sends it.
    """
    import subprocess  # only here: every command builds this module's parser

    pending: list[int] = []
    child: list[subprocess.Popen[bytes]] = []

    def forward(number: int, _frame: FrameType | None) -> None:
        if not child:
            pending.append(number)
            return
        if os.name == "nt" and number == signal.SIGINT:
            return  # the console already sent Ctrl-C to every process attached to it
        with contextlib.suppress(OSError, ValueError):  # it has ended: nothing to forward to
            child[0].send_signal(number)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for number in FORWARDED_SIGNALS:
            previous[number] = signal.signal(number, forward)
    try:
        child.append(subprocess.Popen(list(argv), env=dict(env)))  # noqa: S603 - the user's
        for number in pending:
            forward(number, None)
        returncode = child[0].wait()
        return 128 - returncode if returncode < 0 else returncode  # -15 (SIGTERM) gives 143
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run(args: argparse.Namespace, out: Output) -> int:
    """Run ``exec``."""
    from tiledb.client import client as api
    from tiledb.client.basics.inputs import parse_duration
    from tiledb.client.operations.child_env import prepare_child

    command = list(args.command or [])
    command = command[1:] if command[:1] == ["--"] else command
    if not command or not command[0]:
        out.error(
            "No command given.", "Name it after --, e.g. `tiledb-client exec -- python app.py`."
        )
        return EXIT_USAGE
    ttl = parse_duration(args.ttl) if args.ttl is not None else None
    env, _, finish = prepare_child(
        None, profile_name=args.profile, profile_dir=args.profile_dir, factory=api.client,
        ttl=ttl, scope=args.scope, job=command[0].rsplit("/", 1)[-1],
    )  # fmt: skip
    try:
        if ttl is None and os.name == "posix":
            replace_process(command, env)
        return run_child(command, env)
    except FileNotFoundError:
        out.error(f"{command[0]}: command not found.", "Check the name and PATH.")
        return EXIT_NOT_FOUND
    except PermissionError:
        out.error(f"{command[0]}: permission denied; it cannot be run.")
        return EXIT_CANNOT_RUN
    except OSError as exc:
        out.error(f"{command[0]}: cannot be run ({exc.strerror or type(exc).__name__}).")
        return EXIT_CANNOT_RUN
    finally:
        problem = finish()
        if problem is not None:
            out.warn(f"the job token could not be revoked ({problem}); it expires at its TTL")
