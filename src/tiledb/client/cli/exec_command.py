"""``tiledb-client exec``: run a command with the session's credentials in its environment."""

from __future__ import annotations

import argparse
from typing import Any

from tiledb.client.cli.common import add_profile_options
from tiledb.client.cli.output import Output

__all__ = ["EXIT_CANNOT_RUN", "EXIT_NOT_FOUND", "register"]

EXIT_USAGE = 2
EXIT_CANNOT_RUN, EXIT_NOT_FOUND = 126, 127  # as env(1) and the shells report them

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

On POSIX, tiledb-client replaces itself with COMMAND: signals reach COMMAND
directly and its exit status (or the signal that ended it) is the caller's.
Elsewhere COMMAND runs as a child; SIGINT, SIGTERM and SIGHUP are forwarded.
"""

EPILOG = """\
examples:
  tiledb-client exec -- python analysis.py
  tiledb-client exec --profile prod -- Rscript report.R
  tiledb-client exec -- sh -c 'echo "$TILEDB_REST_SERVER_ADDRESS"'

Exit status: COMMAND's; 1 when the login fails, 126 when COMMAND cannot be run,
127 when it is not found.
"""


def register(subparsers: Any) -> None:
    """Add the ``exec`` command."""
    parser = subparsers.add_parser(
        "exec",
        help="run a command with the session's token in its environment",
        usage="%(prog)s [-h] [--profile NAME] [--profile-dir DIR] -- COMMAND [ARG...]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_profile_options(parser)
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARG...]",
        help="the command to run, after --",
    )
    parser.set_defaults(handler=run)


def _command(args: argparse.Namespace) -> list[str]:
    command = list(args.command or [])
    return command[1:] if command[:1] == ["--"] else command


def run(args: argparse.Namespace, out: Output) -> int:
    """Run ``exec``."""
    from tiledb.client import client as api
    from tiledb.client.cli.child_process import can_replace_process, replace_process, run_child
    from tiledb.client.operations.child_env import child_env

    command = _command(args)
    if not command:
        out.error(
            "No command given.", "Name it after --, e.g. `tiledb-client exec -- python app.py`."
        )
        return EXIT_USAGE
    env = child_env(profile_name=args.profile, profile_dir=args.profile_dir, factory=api.client)
    try:
        if can_replace_process():
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
