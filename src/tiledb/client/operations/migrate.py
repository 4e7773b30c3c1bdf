"""Move plaintext secrets of existing profiles into a secret backend, and scrub them.

Sources: profiles of ``profiles.json`` holding ``rest.token`` / ``rest.password`` (as
TileDB core or the vendor's package write them), and the legacy ``cloud.json`` of
TileDB-Cloud-Py (see :mod:`tiledb.client.storage.legacy_files`), which becomes a profile.

:func:`plan_migration` reads and decides; it changes nothing (``--dry-run``).
:func:`apply_migration` carries a plan out in an order that loses nothing:

1. the content of each file to change, kept in memory (a copy on disk would outlive a
   kill, holding plaintext secrets);
2. each secret stored in the backend under a fresh secret id;
3. ``profiles.json`` rewritten atomically (``ProfileStore.edit``) without
   ``rest.token``/``rest.password``, naming the backend, id and kind of secret; then
   ``cloud.json`` rewritten atomically without its secrets;
4. everything read back and compared;
5. the secrets of ids that were replaced deleted.

Steps 1 to 5 run under one hold of the profile file's lock.

On a failure the secrets stored so far are deleted and the files are put back as they
were; only when something cannot be undone are 0600 backups of the original files
written next to them, and :class:`MigrationError` says where they are.
Profiles without plaintext are skipped, so running it again is harmless. An item
that cannot move as things are (e.g. a ``cloud.json`` that names no workspace)
does not stop the others: it stays as it was, listed in
:attr:`MigrationResult.remaining` with the option that resolves it.
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
    """What :func:`apply_migration` did.

    Attributes
    ----------
    moved : tuple of MigrationItem
        The items whose secrets are now in ``backend``.
    remaining : tuple of MigrationItem
        The items left as they were; each ``fix`` says what resolves it.
    cleanup_problems : tuple of str
        Non-fatal leftovers (a backup that could not be deleted, ...).
    """

    plan: MigrationPlan
    moved: tuple[MigrationItem, ...]
    backend: str | None
    cleanup_problems: tuple[str, ...] = ()
    remaining: tuple[MigrationItem, ...] = ()


def apply_migration(plan: MigrationPlan) -> MigrationResult:
    """Carry out a plan: store the secrets, scrub the files, verify, drop replaced secrets.

    Every item that can move does; the plan's errors are left as they were and
    returned in :attr:`MigrationResult.remaining`.

    Returns
    -------
    MigrationResult

    Raises
    ------
    MigrationError
        When a step failed; everything done was undone (backups written if not).
    ConfigurationError
        When there is something to move but no backend (nothing was changed).
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
