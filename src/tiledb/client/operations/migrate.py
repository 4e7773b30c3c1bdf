"""Move plaintext secrets of profiles (and ``cloud.json``) into a secret backend, and scrub them.

:func:`plan_migration` changes nothing (``--dry-run``); :func:`apply_migration` carries a
plan out in the order docs/cli.md ("migrate") gives, under one hold of the profile lock,
and undoes a failed run (0600 backups only when it cannot).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.migration_plan import MigrationItem, MigrationPlan, plan_migration
from tiledb.client.operations.migration_run import MigrationError, MigrationRun

__all__ = [
    "MigrationError",
    "MigrationItem",
    "MigrationPlan",
    "MigrationResult",
    "apply_migration",
    "plan_migration",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`apply_migration` did; each item ``remaining`` has a ``fix`` that resolves it."""

    plan: MigrationPlan
    moved: tuple[MigrationItem, ...]
    backend: str | None
    cleanup_problems: tuple[str, ...] = ()
    remaining: tuple[MigrationItem, ...] = ()


def apply_migration(plan: MigrationPlan) -> MigrationResult:
    """Carry out a plan: store the secrets, scrub the files, verify, drop replaced secrets.

    Raises MigrationError when a step failed (undone, or backups written), ConfigurationError
    when there is something to move but no backend (nothing changed).
    """
    moves = plan.moves
    remaining = tuple(plan.errors)
    if not moves:
        return MigrationResult(plan, (), plan.backend, remaining=remaining)
    if plan.backend is None:
        raise ConfigurationError(plan.backend_problem or "No secret backend is available.")
    run = MigrationRun(plan, moves)
    # One hold of the profile lock from the first secret stored to the replaced ones
    # deleted: a concurrent prune never sees the new secrets as orphans.
    with run.store.locked():
        try:
            run.back_up()
            run.store_secrets()
            run.rewrite_files()
            run.verify()
        except BaseException as exc:
            failure = run.undo(exc)
            if isinstance(exc, Exception):
                raise failure from exc
            raise
        leftovers = run.finish()
    for problem in leftovers:
        logger.warning("%s", problem)
    return MigrationResult(plan, tuple(moves), plan.backend, tuple(leftovers), remaining)
