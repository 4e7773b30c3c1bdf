"""``tiledb-client profile list | show | delete | rename | prune``."""

from __future__ import annotations

import argparse
from typing import Any

from tiledb.client.cli.common import CliError, Output, add_json, add_profile_dir, confirm
from tiledb.client.storage.profile_keys import SecretLocation, profile_entries

__all__ = ["register"]

_SECRET_WORDS = {"present": "yes", "missing": "MISSING", "none": "no"}  # else the state itself


def register(subparsers: Any) -> None:
    """Add ``profile`` and its subcommands."""
    parser = subparsers.add_parser(
        "profile",
        help="list, show, delete, rename profiles; prune orphan secrets",
        description="Manage stored profiles together with their secrets.",
    )
    commands = parser.add_subparsers(dest="profile_command", metavar="COMMAND", required=True)

    listing = commands.add_parser(
        "list",
        help="list profiles",
        description="List profiles: name, host, workspace, auth kind, backend, and whether the"
        " secret is really in its backend ('*' marks the default profile).",
    )
    _finish(listing, run_list)

    show = commands.add_parser("show", help="show one profile", description="Show one profile.")
    add_profile_selector(
        show, "name", "profile name (default: the default profile)", required=False
    )
    _finish(show, run_show)

    delete = commands.add_parser(
        "delete",
        help="delete a profile and its secret",
        description="Delete a profile and every secret it has in its backend (token, password,"
        " cached session token, which is revoked on the server first when possible). If the"
        " backend cannot delete, the profile is kept so that no secret is orphaned.",
    )
    add_profile_selector(delete, "name", "profile name", required=True)
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument(
        "--force",
        action="store_true",
        help="delete the profile even if its secret cannot be deleted (then warn)",
    )
    _finish(delete, run_delete)

    rename = commands.add_parser(
        "rename",
        help="rename a profile (its secret stays reachable)",
        description="Rename a profile. Its secret stays where it is, still reachable.",
    )
    add_profile_selector(rename, "old", "current name", required=True)
    rename.add_argument("new", help="new name")
    _finish(rename, run_rename)

    prune = commands.add_parser(
        "prune",
        help="delete orphan secrets (secrets no profile names)",
        description="Find the secrets stored for this profile file that no profile names any"
        " more (left by an interrupted configure, delete or migrate, or by another tool"
        " replacing a profile) in every backend that can list its entries, and delete them."
        " Secrets of other profile files are never touched.",
    )
    prune.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    prune.add_argument(
        "--dry-run", action="store_true", help="only list the orphan secrets; delete nothing"
    )
    prune.add_argument(
        "--everywhere",
        action="store_true",
        help="judge every profile file our secrets name, also those deleted since",
    )
    _finish(prune, run_prune)


def add_profile_selector(
    parser: argparse.ArgumentParser, positional: str, help_text: str, *, required: bool
) -> None:
    """Add ``NAME`` or ``--profile NAME`` (a ``profile`` subcommand); see :func:`chosen_profile`."""
    parser.add_argument(positional, nargs="?", metavar=positional.upper(), help=help_text)
    parser.add_argument(
        "--profile", metavar="NAME", dest="profile_option", help=f"the same as {positional.upper()}"
    )
    parser.set_defaults(profile_positional=positional, profile_required=required)


def chosen_profile(args: argparse.Namespace) -> str | None:
    """Return the profile :func:`add_profile_selector` read; CliError if two differ or none."""
    positional = args.profile_positional
    given, option = getattr(args, positional), args.profile_option
    if given is not None and option is not None and given != option:
        raise CliError(
            f"Two profiles given: {given!r} and --profile {option!r}.",
            hint="Give the profile once.",
        )
    name: str | None = given if given is not None else option
    if name is None and args.profile_required:
        raise CliError(
            "Which profile? None was given.",
            hint=f"Name it: {positional.upper()} or --profile {positional.upper()}.",
        )
    return name


def _finish(parser: argparse.ArgumentParser, handler: Any) -> None:
    """End a subcommand: ``--profile-dir``, ``--json``, and its handler."""
    add_profile_dir(parser)
    add_json(parser)
    parser.set_defaults(handler=handler)


def run_list(args: argparse.Namespace, out: Output) -> int:
    """Run ``profile list``."""
    from tiledb.client.operations.profile_admin import list_profiles
    from tiledb.client.storage.profiles import ProfileStore

    infos = list_profiles(args.profile_dir)
    path = ProfileStore(args.profile_dir).path
    if out.json_mode:
        out.json({"profile_file": str(path), "profiles": [info.to_json() for info in infos]})
        return 0
    if not infos and out.terminal:
        out.print(f"No profiles in {path}. Add one: tiledb-client configure")
        return 0
    rows = [
        (
            ("* " if info.is_default else "  ") + info.name if out.terminal else info.name,
            info.host,
            info.workspace,
            info.auth,
            info.backend,
            _SECRET_WORDS.get(info.state, info.state),
        )
        for info in infos
    ]
    out.table(("name", "host", "workspace", "auth", "backend", "secret"), rows)
    for info in infos:
        if info.state in ("missing", "unknown"):
            out.warn(f"profile {info.name!r}: {info.secret_detail}")
    return 0


def run_show(args: argparse.Namespace, out: Output) -> int:
    """Run ``profile show``."""
    from tiledb.client.operations.profile_admin import profile_info

    info = profile_info(chosen_profile(args), args.profile_dir)
    if out.json_mode:
        out.json(info.to_json())
        return 0
    detail = f" ({info.secret_detail})" if info.secret_detail else ""
    rows: list[tuple[str, Any]] = [
        ("name", info.name + (" (default)" if info.is_default else "")),
        ("file", info.profile_file),
        ("host", info.host),
        ("workspace", info.workspace),
        ("auth", info.auth),
        ("username", info.username),
        ("backend", info.backend),
        ("secret", _SECRET_WORDS.get(info.state, info.state) + detail),
        ("secret id", info.secret_id),
    ]
    # The keys the rows above show: those of the host, workspace, username and secret location.
    shown = profile_entries("-", "-", username="-", secret=SecretLocation("-", "-", "token"))
    rows.extend((key, value) for key, value in info.settings.items() if key not in shown)
    out.fields(rows)
    return 0


def run_delete(args: argparse.Namespace, out: Output) -> int:
    """Run ``profile delete``."""
    from tiledb.client.client import client
    from tiledb.client.operations.profile_admin import delete_profile, profile_info

    name = str(chosen_profile(args))  # required: never None
    info = profile_info(name, args.profile_dir, check_secret=False)
    where = f" and its {info.auth} in the {info.backend!r} backend" if info.backend else ""
    confirm(
        f"Delete profile {info.name!r}{where}?",
        assume_yes=args.yes,
        what=f"delete profile {info.name!r}",
    )
    result = delete_profile(name, args.profile_dir, factory=client, force=args.force)
    if result.revoke_problem:
        out.warn(f"the cached session token could not be revoked: {result.revoke_problem}")
    for problem in result.secret_problems:
        out.warn(
            f"a secret could not be deleted and is an orphan now ({problem}); once the backend"
            " works, tiledb-client profile prune removes it"
        )
    if out.json_mode:
        out.json(
            {
                "profile": info.name,
                "deleted": True,
                "secrets_deleted": result.secrets_deleted,
                "backend": info.backend,
                "session_token_revoked": result.revoked,
                "problems": [p for p in [result.revoke_problem, *result.secret_problems] if p],
            }
        )
        return 0
    detail = f"; its secrets were deleted from {info.backend!r}" if result.secrets_deleted else ""
    revoked = "; its session token was revoked" if result.revoked else ""
    out.print(f"Deleted profile {info.name!r}{detail}{revoked}.")
    return 0


def run_rename(args: argparse.Namespace, out: Output) -> int:
    """Run ``profile rename``."""
    from tiledb.client.operations.profile_admin import rename_profile
    from tiledb.client.storage.profiles import resolve_profile_name

    old = str(chosen_profile(args))
    if old == args.new:
        raise CliError("The old and new names are the same.")
    info = rename_profile(old, args.new, args.profile_dir)
    if out.json_mode:
        out.json({"old": old, "new": info.name, "profile": info.to_json()})
        return 0
    kept = f"; its secret stays in {info.backend!r}" if info.backend else ""
    out.print(f"Renamed profile {old!r} to {info.name!r}{kept}.")
    if info.is_default is False and old == resolve_profile_name(None):
        out.warn(f"{old!r} was the default profile; now use --profile {info.name}.")
    return 0


def run_prune(args: argparse.Namespace, out: Output) -> int:
    """Run ``profile prune``."""
    from tiledb.client.operations.profile_secrets import find_orphans, prune_orphans

    found = find_orphans(args.profile_dir, everywhere=args.everywhere)
    for backend, why in found.not_searched:
        out.warn(f"the {backend!r} backend was not searched: {why}")
    if found.orphans and not args.dry_run:
        confirm(
            f"Delete {len(found.orphans)} orphan secret(s)?",
            assume_yes=args.yes,
            what="delete orphan secrets",
        )
        from tiledb.client.client import client

        report = prune_orphans(  # again, under the lock
            args.profile_dir, factory=client, everywhere=args.everywhere
        )
    else:
        report = found
    for problem in report.problems:
        out.warn(f"could not delete {problem}")
    status = 1 if report.problems else 0
    if out.json_mode:
        out.json(
            {
                "profile_file": str(report.profile_file) if report.profile_file else None,
                "dry_run": bool(args.dry_run),
                "orphans": [{"backend": o.backend, "key": o.key} for o in report.orphans],
                "deleted": not args.dry_run,
                "not_searched": [{"backend": b, "why": w} for b, w in report.not_searched],
                "problems": list(report.problems),
            }
        )
        return status
    if not report.orphans:
        where = f"for {report.profile_file}" if report.profile_file else "of any profile file"
        more = "" if args.everywhere else " (--everywhere also judges deleted profile files)"
        out.print(f"No orphan secrets {where}{more}.")
        return status
    verb = "Orphan secret" if args.dry_run else "Deleted orphan secret"
    for orphan in report.orphans:
        out.print(f"{verb} in {orphan.backend!r}: {orphan.key}")
    return status
