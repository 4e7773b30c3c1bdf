"""Helpers of the storage reliability tests: the zygote, journal replay, and the checks.

After any run, killed or not, :func:`check_site` asserts on the real files:

- ``profiles.json`` parses and the vault unlocks (MAC checked) and decrypts;
- every worker's own profiles and vault entries are exactly what its completed
  operations made, the one operation a kill interrupted counting as done or not done
  (old or new version, nothing lost, nothing half-made);
- no profile is stranded (names a secret its backend does not hold);
- no secret whose deletion completed is in any file: decrypted from any vault copy
  (temporary files included) or found in any byte of the profile directory, except in
  an orphan entry that ``doctor`` lists (``profile prune`` removes it);
- ``doctor``'s orphan list equals the entries no profile names;
- at most one leftover temporary file with content per file.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.backends import decrypt_every_copy
from tiledb.client.operations.profile_secrets import find_orphans
from tiledb.client.secrets import registry
from tiledb.client.secrets.base import secret_entry_key
from tiledb.client.storage import profile_keys
from tiledb.client.storage.profiles import ProfileStore

ROOT = Path(__file__).resolve().parents[2]
OWN_PROFILE_OPS = {"configure", "overwrite", "rename", "delete", "migrate"}


@dataclass(frozen=True)
class StorageSite:
    """One profile directory and one vault."""

    profile_dir: Path
    vault: Path


class Zygote:
    """A ready ``tests.reliability.storage_worker`` process that forks workers."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    @classmethod
    def start(cls) -> Zygote:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.storage_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        zygote = cls(process)
        assert zygote._read() == "ready"
        return zygote

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the zygote exited ({self.process.poll()})"
        return line.strip()

    def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def spawn(self, **arguments: Any) -> int:
        """Fork a worker, e.g. ``spawn(worker=1, seed=7, ops=40, journal="...")``; its pid."""
        self._send("spawn " + json.dumps(arguments))
        return int(self._read())

    def wait(self, pid: int) -> int:
        """Reap a worker; its exit code (``-9`` when SIGKILLed)."""
        self._send(f"wait {pid}")
        return int(self._read())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class WorkerState:
    """What one worker owns: profiles (name to token) and raw vault entries (key to value)."""

    profiles: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    def after(self, record: dict[str, Any]) -> tuple[WorkerState, list[str]]:
        """Return the state after ``record`` succeeded, and the secrets it deleted."""
        new, deleted = copy.deepcopy(self), []
        op, name = record["op"], record.get("name")
        if op in ("configure", "migrate"):
            new.profiles[name] = record["token"]
        elif op == "overwrite":
            deleted.append(new.profiles[name])
            new.profiles[name] = record["token"]
        elif op == "rename":
            new.profiles[record["new"]] = new.profiles.pop(name)
        elif op == "delete":
            deleted.append(new.profiles.pop(name))
        elif op == "set_raw":
            if record["key"] in new.raw:
                deleted.append(new.raw[record["key"]])
            new.raw[record["key"]] = record["token"]
        elif op == "delete_raw":
            deleted.append(new.raw.pop(record["key"]))
        return new, deleted


@dataclass
class Ledger:
    """Everything the journals say, across workers and runs."""

    states: dict[int, WorkerState] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)
    completed: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    in_flight: dict[int, dict[str, Any]] = field(default_factory=dict)

    def read(self, journal: Path) -> None:
        """Apply a worker's journal; an unfinished operation is remembered as in flight.

        A last line without its newline is one a kill tore: Linux may stop a write(2) at a
        page boundary for a fatal signal. Its operation had not begun, so it is dropped.
        """
        if not journal.exists():
            return
        lines = journal.read_text(encoding="utf-8").split("\n")
        for line in lines[:-1]:
            record = json.loads(line)
            worker = record["worker"]
            state = self.states.setdefault(worker, WorkerState())
            if record["phase"] == "begin":
                self.in_flight[worker] = record
                continue
            self.in_flight.pop(worker, None)
            if record["outcome"] != "ok":
                self.refused[record["op"]] += 1
                continue
            self.completed[record["op"]] += 1
            if "token" in record:
                self.stored.add(record["token"])
            if not record["op"].startswith("shared_"):
                self.states[worker], deleted = state.after(record)
                self.deleted.update(deleted)

    def settle(self, worker: int, matched_new: bool) -> None:
        """After a kill: the interrupted operation took effect (or not)."""
        record = self.in_flight.pop(worker, None)
        if record is None:
            return
        if "token" in record:
            self.stored.add(record["token"])  # it may have landed somewhere
        if matched_new and not record["op"].startswith("shared_"):
            self.states[worker], _ = self.states[worker].after(record)


@dataclass
class Observation:
    """What the files hold after a run."""

    profiles: dict[str, dict[str, str]]
    values: dict[str, str]
    entries: dict[str, str]
    orphans: set[str]
    temporaries: list[Path]


def _profile_value(profile: dict[str, str], entries: dict[str, str]) -> str | None:
    secret_id = profile.get(profile_keys.SECRET_ID)
    if profile.get(profile_keys.SECRET_BACKEND) and secret_id:
        kind = "password" if profile.get(profile_keys.AUTH) == "password" else "token"
        return entries.get(secret_entry_key(secret_id, kind))
    return profile.get(profile_keys.TOKEN)


def observe(site: StorageSite) -> Observation:
    """Read everything back through the library, as a user would; raises if anything breaks."""
    store = ProfileStore(site.profile_dir)
    profiles = store.read()
    vault = registry.get_backend("encrypted-file")
    keys = vault.keys()
    assert keys is not None
    entries = {key: str(vault.get(key)) for key in keys}
    values = {name: _profile_value(profile, entries) for name, profile in profiles.items()}
    stranded = sorted(
        name
        for name, value in values.items()
        if value is None and profiles[name].get(profile_keys.SECRET_BACKEND)
    )
    assert stranded == [], f"profiles without their secret: {stranded}"
    orphans = {orphan.key for orphan in find_orphans(site.profile_dir).orphans}
    pattern = re.compile(rf"\w+: .* @ {re.escape(str(store.path))} \[[0-9a-f]{{8}}\]")
    named = {
        secret_entry_key(p[profile_keys.SECRET_ID], kind)
        for p in profiles.values()
        if p.get(profile_keys.SECRET_ID)
        for kind in ("token", "password", "session")
    }
    unnamed = {key for key in entries if pattern.fullmatch(key) and key not in named}
    assert orphans == unnamed, "doctor's orphan list differs from the unnamed entries"
    temporaries = sorted(
        path for folder in (site.profile_dir, site.vault.parent) for path in folder.glob(".*.tmp")
    )
    return Observation(
        profiles, {n: str(v) for n, v in values.items()}, entries, orphans, temporaries
    )


def check_site(site: StorageSite, ledger: Ledger) -> Observation:
    """Assert every property of the module docstring; settle interrupted operations."""
    seen = observe(site)
    for worker, state in ledger.states.items():
        own = {n: v for n, v in seen.values.items() if n.startswith(f"w{worker}-")}
        raw = {k: v for k, v in seen.entries.items() if k.startswith(f"raw: w{worker} ")}
        actual = (own, raw)
        old = (state.profiles, state.raw)
        record = ledger.in_flight.get(worker)
        new = None
        if record is not None and not record["op"].startswith("shared_"):
            after, _ = state.after(record)
            new = (after.profiles, after.raw)
        assert actual in (old, new), (
            f"worker {worker}: files hold {actual}, expected {old} or, with the interrupted"
            f" {record and record['op']}, {new}"
        )
        ledger.settle(worker, matched_new=actual != old)
    for name, value in seen.values.items():
        if name.startswith("shared-"):
            assert value in ledger.stored, f"{name} holds a token nobody stored"
    leaked = _copies_of_deleted(site, ledger.deleted, seen.orphans)
    assert leaked == [], f"deleted secrets survive in: {leaked}"
    with_content = Counter(
        path.name.rsplit(".", 2)[0] for path in seen.temporaries if path.stat().st_size
    )
    assert all(count <= 1 for count in with_content.values()), seen.temporaries
    return seen


def _copies_of_deleted(site: StorageSite, deleted: set[str], orphans: set[str]) -> list[str]:
    """Where a secret whose deletion completed still is, but for orphans doctor lists.

    An orphan may hold one: a kill between storing a secret and writing the profile that
    names it (a migration, say) leaves a second copy the later deletion cannot know of;
    every copy of the vault (a temporary file of a later killed write) holds it too.
    """
    leaked = []
    for path, entries in decrypt_every_copy(site.vault.parent).items():
        leaked.extend(
            f"{path.name}: {key}"
            for key, value in entries.items()
            if value in deleted and key not in orphans
        )
    for path in sorted(site.profile_dir.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            leaked.extend(f"{path.name}: {token}" for token in deleted if token.encode() in data)
    return leaked
