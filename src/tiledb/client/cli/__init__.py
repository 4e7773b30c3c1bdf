"""The ``tiledb-client`` command line (also ``python -m tiledb.client``), thin over the library.

Exit status: 0 success, 1 failure (``Error:`` and a hint, a traceback only with
``--verbose``), 2 usage error, 130 interrupted; ``exec`` passes on its command's.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from tiledb.client.cli.common import Output

if TYPE_CHECKING:
    from tiledb.client.errors import ExplainedError

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
Manage TileDB credentials: profiles in profiles.json, tokens and passwords in a secret
backend (the OS keyring, or an AES-GCM encrypted file), never in plain files.
"""

EPILOG = """\
common commands:
  tiledb-client configure --host api.example.com --workspace acme   (prompts for the token)
  tiledb-client login          who and where
  tiledb-client whoami         user, workspaces, and where each setting came from
  tiledb-client exec -- CMD    run CMD with the session's token in its environment
  tiledb-client doctor         what is wrong, and how to fix it

Exit status: 0 ok, 1 failure, 2 usage error. Secrets are read from a hidden prompt or
standard input (--token-stdin, --password-stdin), never from arguments.
"""

# Options that would carry a secret on the command line: refused with an explanation.
_SECRET_OPTIONS = ("--token", "--password", "--api-key", "--passphrase", "--secret")


class _Parser(argparse.ArgumentParser):
    """An argument parser that never repeats argument values in errors, nor abbreviates options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument COMMAND: invalid choice:"):
            import difflib

            typed = message.split("'")[1]
            choices = [c for c in message.partition("choose from ")[2].split("'") if c.strip(", )")]
            close = difflib.get_close_matches(typed, choices, n=1)
            message = f"unknown command {typed!r}" + (
                f"; did you mean {close[0]!r}?" if close else ""
            )
            message += " (tiledb-client --help lists the commands)"
        if message.startswith("unrecognized arguments:"):
            words = message.split(":", 1)[1].split()
            shown = [w.split("=", 1)[0] if w.startswith("-") else "<value>" for w in words]
            message = f"unrecognized arguments: {' '.join(shown)}"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``tiledb-client`` with every command registered."""
    from tiledb.client import __version__
    from tiledb.client.cli import (
        auth,
        configure,
        doctor,
        exec_command,
        migrate,
        profile,
        tokens,
        unlock,
    )

    parser = _Parser(
        prog="tiledb-client",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show debug logs, and tracebacks on errors"
    )
    parser.add_argument("--profile", metavar="NAME", dest="global_profile", help=argparse.SUPPRESS)
    parser.add_argument("--profile-dir", metavar="DIR", dest="global_dir", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (configure, auth, tokens, exec_command, unlock, profile, migrate, doctor):
        module.register(commands)
    for command in commands.choices.values():  # `tiledb-client login -v` works as well
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
    return parser


def _apply_options_given_before_the_command(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> None:
    """``tiledb-client --profile lab login`` means ``tiledb-client login --profile lab``."""
    for option, given, dests in (
        ("--profile", args.global_profile, ("profile", "profile_option")),
        ("--profile-dir", args.global_dir, ("profile_dir",)),
    ):
        dest = next((d for d in dests if hasattr(args, d)), None)
        if given is None:
            continue
        if dest is None:
            parser.error(f"{args.command} takes no {option}")
        if getattr(args, dest) not in (None, given):
            parser.error(f"{option} was given twice, with two values")
        setattr(args, dest, given)


def _refuse_secret_arguments(argv: list[str]) -> str | None:
    """The first option before ``--`` that would carry a secret, if any."""
    words = argv[: argv.index("--")] if "--" in argv else argv
    options = [word.split("=", 1)[0] for word in words]
    return next((option for option in options if option in _SECRET_OPTIONS), None)


class _StderrHandler(logging.Handler):
    """Library log records on standard error, through the run's :class:`Output`."""

    def __init__(self, out: Output, *, verbose: bool) -> None:
        super().__init__(logging.DEBUG if verbose else logging.WARNING)
        self.out, self.verbose = out, verbose

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.verbose:
            self.out.stderr.write(f"{record.levelname} {record.name}: {message}\n")
        elif record.levelno >= logging.WARNING:
            self.out.warn(message)


def _problem_and_hint(exc: ExplainedError) -> tuple[str, str | None]:
    """What failed, and the error's own hint, else one by its class pointing at ``doctor``."""
    from tiledb.client import errors

    problem = exc.problem or type(exc).__name__
    if exc.hint:
        return problem, exc.hint
    if isinstance(exc, errors.SecretBackendError):
        return problem, "Run `tiledb-client doctor` to see each backend and what it needs."
    if isinstance(exc, errors.ClientError):
        return problem, "Run `tiledb-client doctor` to check that the host answers."
    if isinstance(exc, (errors.LoginError, errors.ConfigurationError)):
        return problem, "Run `tiledb-client doctor` for a diagnosis."
    return problem, None


def _run(args: argparse.Namespace, out: Output, verbose: bool) -> int:
    from tiledb.client.errors import ExplainedError

    try:
        status = int(args.handler(args, out) or 0)
        out.stdout.flush()
    except BrokenPipeError:  # e.g. `tiledb-client profile list | head -1`
        # Standard output to the null device, so that the exit flush cannot fail again.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except KeyboardInterrupt:
        if out.stderr.isatty():
            out.stderr.write("\n")  # off the line of a prompt, or of the "^C" the terminal echoed
        out.error("Interrupted.")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if isinstance(exc, ExplainedError):
            out.error(*_problem_and_hint(exc))
        else:  # not a message we wrote: it might quote anything, so only its type is shown
            out.error(
                f"Unexpected internal error ({type(exc).__name__}).",
                "Run again with --verbose for the traceback, and report it.",
            )
        if verbose:
            traceback.print_exception(exc, file=out.stderr)
        return EXIT_FAILURE
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tiledb-client`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Output()
    refused = _refuse_secret_arguments(argv)
    if refused is not None:
        out.error(
            f"{refused} is not accepted: a secret on the command line lands in shell history"
            " and in `ps`.",
            "Type it at the hidden prompt, or pipe it with --token-stdin / --password-stdin.",
        )
        return EXIT_USAGE
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:  # a bare `tiledb-client`: the help, as gh and aws show it
            parser.print_help()
            return EXIT_OK if not (args.global_profile or args.global_dir) else EXIT_USAGE
        _apply_options_given_before_the_command(args, parser)
    except SystemExit as exc:  # --help, --version, usage errors
        if exc.code is None:
            return EXIT_OK
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from tiledb.client.operations.coexistence import REINSTALL, find_vendor_package

    verbose = bool(getattr(args, "verbose", False))
    out = Output(json_mode=bool(getattr(args, "json", False)))
    handler = _StderrHandler(out, verbose=verbose)
    library_logger = logging.getLogger("tiledb.client")
    saved = (library_logger.level, library_logger.propagate)
    library_logger.addHandler(handler)
    library_logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    library_logger.propagate = False

    def show_warning(message: Any, *_: Any, **__: Any) -> None:
        out.warn(str(message))

    try:
        with warnings.catch_warnings():  # restores showwarning and the filters afterwards
            warnings.simplefilter("default")
            warnings.showwarning = show_warning
            vendor = find_vendor_package()  # the vendor's tiledb-client shares tiledb/client/
            if vendor is not None:
                out.warn(f"{vendor.message()} Run: {REINSTALL}")
            return _run(args, out, verbose)
    finally:
        library_logger.removeHandler(handler)
        library_logger.setLevel(saved[0])
        library_logger.propagate = saved[1]
