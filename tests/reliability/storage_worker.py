"""Worker processes for the storage reliability tests: random writes, each one journaled.

``python -m tests.reliability.storage_worker`` starts a **zygote**: it imports
everything once, then forks one worker per ``spawn`` line read on standard input
(printing its pid) and reaps it on ``wait <pid>`` (printing its exit status). Forking a
ready process makes a worker cost milliseconds instead of a Python start-up, so a test
can kill hundreds of them.

A worker performs random operations through the real library on one profile file and
one vault (environment: ``TILEDB_PROFILE_DIR``, ``TILEDB_CLIENT_SECRETS_FILE``,
``TILEDB_CLIENT_PASSPHRASE``):

- its own profiles (``w<N>-<hex>``): ``configure`` (new), ``overwrite`` (new token),
  ``rename``, ``delete``, ``migrate`` (a plaintext profile saved, then migrated);
- its own raw vault entries (``raw: w<N> k<i>``): ``set_raw``, ``delete_raw``;
- optionally shared profiles (``shared-<i>``) that every worker configures, renames and
  deletes, so that operations on one profile collide (a delete racing a rename).

Before each operation it appends a ``begin`` line to its journal, after it an ``end``
line with the outcome, both fsynced: the test replays the journal to know what must be
stored, what was deleted, and which operation a kill interrupted.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from tests.backends import CHEAP_POLICY
from tiledb.client.client import client
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.configure import configure
from tiledb.client.operations.migrate import apply_migration, plan_migration
from tiledb.client.operations.profile_admin import delete_profile, rename_profile
from tiledb.client.secrets import registry
from tiledb.client.secrets.encrypted_file import EncryptedFileBackend
from tiledb.client.storage.profiles import ProfileStore

HOST = "https://api.example.com"
WORKSPACE = "ws_1"
OWN_KINDS = ("configure", "overwrite", "rename", "delete", "migrate", "set_raw", "delete_raw")
SHARED_KINDS = ("shared_configure", "shared_rename", "shared_delete")
RAW_KEYS = 3


class Worker:
    """One worker: its model of what it owns, its journal, its random choices."""

    def __init__(self, number: int, journal: TextIO, rng: random.Random, shared: int) -> None:
        self.number, self.journal, self.rng, self.shared = number, journal, rng, shared
        self.store = ProfileStore()
        self.vault = registry.get_backend("encrypted-file")
        prefix = f"w{number}-"
        self.profiles = [name for name in self.store.names() if name.startswith(prefix)]
        self.raw = [key for key in self.raw_keys() if self.vault.contains(key)]

    def raw_keys(self) -> list[str]:
        return [f"raw: w{self.number} k{index}" for index in range(RAW_KEYS)]

    def new_name(self) -> str:
        return f"w{self.number}-{secrets.token_hex(3)}"

    def new_secret(self) -> str:
        return f"tok-w{self.number}-{secrets.token_hex(8)}"

    def write(self, record: dict[str, Any]) -> None:
        self.journal.write(json.dumps(record) + "\n")
        self.journal.flush()
        os.fsync(self.journal.fileno())

    def step(self, kinds: tuple[str, ...]) -> None:
        kind = self.rng.choice(kinds)
        if kind in ("overwrite", "rename", "delete") and not self.profiles:
            kind = "configure"
        if kind == "delete_raw" and not self.raw:
            kind = "set_raw"
        record, action = getattr(self, f"plan_{kind}")()
        record = {"worker": self.number, "op": kind, **record}
        self.write({**record, "phase": "begin"})
        try:
            action()
        except ConfigurationError as exc:
            self.write({**record, "phase": "end", "outcome": type(exc).__name__})
            return
        self.write({**record, "phase": "end", "outcome": "ok"})

    # -- own profiles ------------------------------------------------------------------

    def _configure(self, name: str, token: str, *, overwrite: bool = False) -> None:
        configure(
            token=token,
            workspace=WORKSPACE,
            host=HOST,
            profile_name=name,
            overwrite=overwrite,
            secret_backend="encrypted-file",
            factory=client,
        )

    def plan_configure(self) -> tuple[dict[str, Any], Callable[[], None]]:
        name, token = self.new_name(), self.new_secret()

        def action() -> None:
            self._configure(name, token)
            self.profiles.append(name)

        return {"name": name, "token": token}, action

    def plan_overwrite(self) -> tuple[dict[str, Any], Callable[[], None]]:
        name, token = self.rng.choice(self.profiles), self.new_secret()
        return {"name": name, "token": token}, lambda: self._configure(name, token, overwrite=True)

    def plan_rename(self) -> tuple[dict[str, Any], Callable[[], None]]:
        old, new = self.rng.choice(self.profiles), self.new_name()

        def action() -> None:
            rename_profile(old, new)
            self.profiles[self.profiles.index(old)] = new

        return {"name": old, "new": new}, action

    def plan_delete(self) -> tuple[dict[str, Any], Callable[[], None]]:
        name = self.rng.choice(self.profiles)

        def action() -> None:
            delete_profile(name, factory=client)
            self.profiles.remove(name)

        return {"name": name}, action

    def plan_migrate(self) -> tuple[dict[str, Any], Callable[[], None]]:
        name, token = self.new_name(), self.new_secret()

        def action() -> None:
            plain = {"rest.server_address": HOST, "rest.workspace": WORKSPACE, "rest.token": token}
            self.store.save(name, plain)
            self.profiles.append(name)
            apply_migration(plan_migration(name, backend="encrypted-file"))

        return {"name": name, "token": token}, action

    # -- own raw vault entries ---------------------------------------------------------

    def plan_set_raw(self) -> tuple[dict[str, Any], Callable[[], None]]:
        key, value = self.rng.choice(self.raw_keys()), self.new_secret()

        def action() -> None:
            self.vault.set(key, value)
            if key not in self.raw:
                self.raw.append(key)

        return {"key": key, "token": value}, action

    def plan_delete_raw(self) -> tuple[dict[str, Any], Callable[[], None]]:
        key = self.rng.choice(self.raw)

        def action() -> None:
            self.vault.delete(key)
            self.raw.remove(key)

        return {"key": key}, action

    # -- shared profiles: collisions between workers ----------------------------------

    def shared_name(self) -> str:
        return f"shared-{self.rng.randrange(self.shared)}"

    def plan_shared_configure(self) -> tuple[dict[str, Any], Callable[[], None]]:
        name, token = self.shared_name(), self.new_secret()
        return {"name": name, "token": token}, lambda: self._configure(name, token, overwrite=True)

    def plan_shared_rename(self) -> tuple[dict[str, Any], Callable[[], None]]:
        old, new = self.shared_name(), self.shared_name()
        return {"name": old, "new": new}, lambda: rename_profile(old, new)

    def plan_shared_delete(self) -> tuple[dict[str, Any], Callable[[], None]]:
        name = self.shared_name()

        def action() -> None:
            delete_profile(name, factory=client)

        return {"name": name}, action


def run_worker(arguments: dict[str, Any]) -> None:
    """Run one worker: ``{"worker": 1, "seed": 7, "ops": 40, "journal": "...", "shared": 0}``."""
    kinds = tuple(arguments.get("kinds") or OWN_KINDS)
    if arguments.get("shared"):
        kinds += SHARED_KINDS
    rng = random.Random(arguments["seed"])
    with Path(arguments["journal"]).open("a", encoding="utf-8") as journal:
        worker = Worker(arguments["worker"], journal, rng, int(arguments.get("shared") or 0))
        for _ in range(int(arguments["ops"])):
            worker.step(kinds)


def zygote() -> None:
    """Fork a worker per ``spawn <json>`` line; reap one per ``wait <pid>`` line."""
    registry.use_backend(EncryptedFileBackend(kdf_policy=CHEAP_POLICY))
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, rest = line.strip().partition(" ")
        if command == "spawn":
            pid = os.fork()
            if pid == 0:
                status = 0
                try:
                    run_worker(json.loads(rest))
                except BaseException as exc:  # a worker must never return into the loop
                    print(f"worker failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    status = 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(status)
            print(pid, flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(rest), 0)
            print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    zygote()
