"""``tiledb-client migrate``: move plaintext secrets into a secret backend."""

from __future__ import annotations

import argparse
from typing import Any

from tiledb.client.cli.common import CliError, Output, add_json, add_profile_options

__all__ = ["register"]

DESCRIPTION = """\
Move the plaintext secrets of existing profiles into a secret backend and scrub them
from the files: rest.token / rest.password in profiles.json (as TileDB core or the
vendor's package write them), and the legacy ~/.tiledb/cloud.json of TileDB-Cloud-Py,
which becomes a profile ('default', or 'cloud-json' when 'default' exists).

Everything that can move does. What cannot (e.g. a cloud.json that names no
workspace) stays as it was and is listed with the option that resolves it; the exit
status is then 1, else 0 (also for --dry-run: 1 when something would remain).

A 0600 backup of each file is kept until the run succeeds. If a step fails, the
secrets stored so far are deleted and the files are left as they were. Profiles
already migrated are skipped, so it is safe to run again.
"""


def register(subparsers: Any) -> None:
    """Add the ``migrate`` command."""
    parser = subparsers.add_parser(
        "migrate",
        help="move plaintext secrets of existing profiles into a secret backend",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_profile_options(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would move; change nothing"
    )
    parser.add_argument("--backend", metavar="NAME", help="the secret backend to move secrets to")
    parser.add_argument(
        "--cloud-json", metavar="FILE", help="the legacy file (default: ~/.tiledb/cloud.json)"
    )
    parser.add_argument(
        "--workspace", help="workspace of the profile made from cloud.json (it names none)"
    )
    add_json(parser)
    parser.set_defaults(handler=run)


def _detail(item: Any) -> str:
    return f"{item.reason}; fix: {item.fix}" if item.fix else item.reason


def _print_plan(out: Output, plan: Any) -> None:
    rows = [
        (item.profile, item.origin, "+".join(item.kinds) or "-", item.action, _detail(item))
        for item in plan.items
    ]
    if rows:
        out.table(("profile", "from", "secrets", "action", "detail"), rows)
    elif out.terminal:
        out.print(
            f"Nothing to migrate: no profile in {plan.profile_file} and no {plan.cloud_json}."
        )


def _report_remaining(out: Output, remaining: list[Any], *, dry_run: bool, moved_any: bool) -> int:
    """Say what was not migrated and how to resolve each; return the exit status."""
    if not remaining:
        return 0
    items = "; ".join(
        f"{item.profile} from {item.source}: {item.reason} (run again with {item.fix})"
        if item.fix and item.fix.startswith("--")
        else f"{item.profile} from {item.source}: {item.reason} ({item.fix})"
        for item in remaining
    )
    what = "Would not be migrated" if dry_run else "Not migrated"
    out.error(f"{what}: {items}.", "Everything else was migrated." if moved_any else None)
    return 1


def run(args: argparse.Namespace, out: Output) -> int:
    """Run ``migrate``."""
    from tiledb.client.operations.migrate import apply_migration, plan_migration

    plan = plan_migration(
        args.profile,
        args.profile_dir,
        cloud_json=args.cloud_json,
        workspace=args.workspace,
        backend=args.backend,
    )
    document: dict[str, Any] = {
        "dry_run": bool(args.dry_run),
        **plan.to_json(),
        "migrated": [],
        "remaining": [item.profile for item in plan.errors],
    }
    if args.profile and not plan.items:
        raise CliError(
            f"There is no profile {args.profile!r} in {plan.profile_file}, and no secret in"
            f" {plan.cloud_json} to make it from."
        )
    if plan.moves and plan.backend is None:
        _print_plan(out, plan)
        raise CliError(str(plan.backend_problem), hint="See: tiledb-client backends")
    if args.dry_run or not plan.moves:
        if out.json_mode:
            out.json(document)
        _print_plan(out, plan)  # nothing in JSON mode
        if plan.moves:
            out.print(f"Dry run: {len(plan.moves)} profile(s) would move to {plan.backend!r}.")
        elif plan.items and not plan.errors:
            out.print("Nothing to migrate: no plaintext secret left.")
        return _report_remaining(out, plan.errors, dry_run=bool(args.dry_run), moved_any=False)
    result = apply_migration(plan)
    for problem in result.cleanup_problems:
        out.warn(problem)
    document["migrated"] = [item.profile for item in result.moved]
    if out.json_mode:
        out.json(document)
    else:
        _print_plan(out, plan)
        names = ", ".join(repr(item.profile) for item in result.moved)
        leftovers = "; see the warnings above" if result.cleanup_problems else ""
        out.print(
            f"Moved the secrets of {names} into {result.backend!r} and scrubbed the plain"
            f" text{leftovers}."
        )
    return _report_remaining(out, list(result.remaining), dry_run=False, moved_any=True)
