"""Many processes configuring, renaming and deleting in one profile file and one vault.

Six worker processes (tests.reliability.storage_worker) each run random operations on
profiles and vault entries of their own, and on four shared profiles they all
configure, rename and delete (so a delete races a rename of the same profile). Then
every property of :mod:`tests.reliability.storage_support` is checked: nothing lost,
nothing stranded, no deleted secret left in any file, and, with no crash, no orphan.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability.conftest import Figures, scaled
from tests.reliability.storage_support import (
    OWN_PROFILE_OPS,
    Ledger,
    StorageSite,
    Zygote,
    check_site,
)
from tiledb.client.operations.doctor.diagnose import diagnose

WORKERS = 6
SHARED_PROFILES = 4


@pytest.mark.timeout(300)
def test_concurrent_writers_lose_nothing_and_strand_nothing(
    storage_site: StorageSite, zygote: Zygote, figures: Figures, tmp_path: Path
) -> None:
    operations = scaled(80)
    journals = [tmp_path / f"journal-{worker}.jsonl" for worker in range(WORKERS)]
    started = time.monotonic()
    pids = [
        zygote.spawn(
            worker=worker, seed=worker, ops=operations, journal=str(journal), shared=SHARED_PROFILES
        )
        for worker, journal in enumerate(journals)
    ]
    assert [zygote.wait(pid) for pid in pids] == [0] * WORKERS
    elapsed = time.monotonic() - started

    ledger = Ledger()
    for journal in journals:
        ledger.read(journal)
    assert ledger.in_flight == {}
    assert not [op for op in ledger.refused if not op.startswith("shared_")]  # only conflicts
    seen = check_site(storage_site, ledger)
    assert seen.orphans == set()
    assert seen.temporaries == []
    report = diagnose(profile_dir=storage_site.profile_dir, network=False)
    assert not [f for f in report.findings if f.message.startswith("orphan secret")]

    done = sum(ledger.completed.values())
    conflicts = sum(ledger.refused.values())
    own = sum(n for op, n in ledger.completed.items() if op in OWN_PROFILE_OPS)
    figures.record(
        "concurrent writers",
        f"{WORKERS} processes x {operations} operations = {WORKERS * operations}"
        f" ({done} done, {own} on own profiles, {conflicts} refused as conflicts on shared"
        f" profiles) in {elapsed:.1f} s: 0 lost, 0 stranded, 0 orphans, 0 temporary files",
    )
