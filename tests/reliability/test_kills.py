"""SIGKILL at random moments during every write: configure, overwrite, rename, delete,
migrate, vault set and delete.

One worker process (forked ready-made by the zygote) runs random operations on one
profile file and one vault; it is killed after a random delay, its journal says which
operation it was in, and every property of :mod:`tests.reliability.storage_support`
is checked before the next worker starts on the same files: files parse, each holds
the old or the new version, no profile is stranded, no secret whose deletion completed
survives anywhere (temporary files included), and the orphans ``doctor`` lists are
exactly the unnamed entries, at most one new per kill and only from an operation that
stores or deletes a profile's secret. At the end, one more write removes every leftover
temporary file and ``profile prune`` removes every orphan.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.reliability.conftest import Figures, scaled
from tests.reliability.storage_support import Ledger, StorageSite, Zygote, check_site, observe
from tiledb.client.operations.doctor.diagnose import diagnose
from tiledb.client.operations.profile_secrets import prune_orphans
from tiledb.client.secrets import registry
from tiledb.client.storage.profiles import ProfileStore

ORPHANING = {"configure", "overwrite", "delete", "migrate"}
MAX_DELAY = 0.25  # seconds: several operations' worth, so kills land anywhere


@pytest.mark.timeout(420)
def test_sigkill_during_every_write_leaves_consistent_files(
    storage_site: StorageSite,
    zygote: Zygote,
    figures: Figures,
    tmp_path: Path,
    reliability_seed: int,
) -> None:
    kills = scaled(200)
    seed = reliability_seed
    rng = random.Random(seed)
    ledger = Ledger()
    interrupted: Counter[str] = Counter()
    orphans_by_op: Counter[str] = Counter()
    previous: set[str] = set()
    temporaries: set[str] = set()
    started = time.monotonic()
    for cycle in range(kills):
        journal = tmp_path / f"cycle-{cycle}.jsonl"
        pid = zygote.spawn(worker=0, seed=seed * 1000 + cycle, ops=100_000, journal=str(journal))
        time.sleep(rng.uniform(0.0, MAX_DELAY))
        os.kill(pid, signal.SIGKILL)
        assert zygote.wait(pid) == -signal.SIGKILL
        ledger.read(journal)
        record = ledger.in_flight.get(0)
        op = record["op"] if record else "no operation (before or between)"
        interrupted[op] += 1
        try:
            seen = check_site(storage_site, ledger)
        except AssertionError as exc:
            raise AssertionError(f"after kill {cycle} during {op} (seed {seed}): {exc}") from exc
        new = seen.orphans - previous
        assert previous <= seen.orphans, f"an orphan vanished (seed {seed})"
        assert len(new) <= 1, f"kill {cycle} during {op} left {new} (seed {seed})"
        if new:
            assert op in ORPHANING, f"kill {cycle} during {op} left {new} (seed {seed})"
            orphans_by_op[op] += 1
        previous = seen.orphans
        temporaries.update(path.name for path in seen.temporaries)
    elapsed = time.monotonic() - started

    # The next write of each file removes what the kills left there.
    registry.get_backend("encrypted-file").set("raw: final", "a last write")
    ProfileStore().save("final", {"rest.server_address": "https://h.example"})
    assert [p for p in observe(storage_site).temporaries if p.stat().st_size] == []
    pruned = prune_orphans(backends=["encrypted-file"])
    assert {o.key for o in pruned.orphans} == previous
    assert observe(storage_site).orphans == set()
    report = diagnose(profile_dir=storage_site.profile_dir, network=False)
    assert not [f for f in report.findings if f.message.startswith("orphan secret")]

    during = ", ".join(f"{n} during {op}" for op, n in sorted(interrupted.items()))
    figures.record(
        "SIGKILLs during writes",
        f"{kills} kills in {elapsed:.0f} s (seed {seed}; {during});"
        f" {sum(ledger.completed.values())} operations completed between them; files parsed"
        f" and held the old or new version after every kill; 0 stranded profiles; 0 deleted"
        f" secrets left in any file but listed orphans"
        f" ({len(ledger.deleted)} deleted); {len(previous)} orphans, all listed by doctor"
        f" ({dict(sorted(orphans_by_op.items()))}) and removed by prune; {len(temporaries)}"
        " temporary files left by kills, none with content left after the next write",
    )


def test_a_journal_line_torn_by_the_kill_is_an_operation_not_begun(tmp_path: Path) -> None:
    # A SIGKILL may stop the worker's write(2) of a journal line at a page boundary.
    journal = tmp_path / "journal.jsonl"
    done = '{"worker": 0, "op": "delete", "name": "w0-1", "phase": "begin"}\n'
    journal.write_text(done + '{"worker": 0, "op": "rename", "name": "w0-', encoding="utf-8")
    ledger = Ledger()
    ledger.read(journal)
    assert ledger.in_flight[0]["op"] == "delete"
