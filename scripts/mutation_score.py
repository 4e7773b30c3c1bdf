"""Print the mutation score of each module mutmut mutated, and the surviving mutants.

Run after ``mutmut run`` (``tox -e mutation`` runs both). Reads mutmut's result files
under ``mutants/``; a mutant counts as killed when a test failed or timed out on it.
The score is killed / (killed + survived + no tests): a mutant no test reaches counts
against it. Equivalent mutants listed in docs/development.md ("Test strength") are counted
apart and left out of the score.

A module none of whose mutants was checked (``mutmut run`` given a selector such as
``"tiledb.client.session.session_tokens*"``) is shown as not checked and left out.

``--check-children`` checks, before a run, what the tests' child processes import: a
child with a copy of ``src/`` first on ``PYTHONPATH`` (as ``mutants/src`` is under
mutmut) must import ``tiledb.client`` from that copy. With the package installed as a
wheel it does not (TileDB-Py's ``tiledb.__path__`` lists site-packages first), and every
mutant that only a child reaches survives; an editable install passes.

Usage: ``python scripts/mutation_score.py [--min PERCENT]``; exits 1 below the minimum.
``python scripts/mutation_score.py --check-children``: exits 1 when children would
import another copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}
SURVIVED = {0}
NO_TESTS = {5, 33}
EQUIVALENT_LIST = ROOT / "docs" / "development.md"


def equivalent_mutants(names: set[str]) -> set[str]:
    """The mutants docs/development.md lists under "### Equivalent mutants".

    Names are written in backticks, shortened the way a reader would: the end of a full
    name (``_vault.x__hmac__mutmut_12``), a name in the module of the one before
    (``x__canonical__mutmut_12``), or only another number of the one before (``_3``).
    """
    text = EQUIVALENT_LIST.read_text(encoding="utf-8")
    section = text.split("### Equivalent mutants", 1)[-1].split("\n#", 1)[0]
    found: set[str] = set()
    module = prefix = ""
    for token in re.findall(r"`([^`]+)`", section):
        number = re.fullmatch(r"_(\d+)", token)
        if number and prefix:
            candidates = [prefix + number.group(1)]
        elif "__mutmut_" in token:
            candidates = [n for n in names if n == token or n.endswith("." + token)]
            if not candidates and module:
                candidates = [f"{module}.{token}"]
        else:
            continue
        candidates = [name for name in candidates if name in names]
        if len(candidates) != 1:
            print(f"warning: {token!r} names no single mutant", file=sys.stderr)
            continue
        (name,) = candidates
        found.add(name)
        module = name.rsplit(".", 1)[0]
        prefix = name[: name.rindex("__mutmut_") + len("__mutmut_")]
    return found


def check_children() -> int:
    """Return 1 (with the reason) when a child would not import the copy on its PYTHONPATH."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "src"
        shutil.copytree(
            ROOT / "src" / "tiledb",
            copy / "tiledb",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        child = subprocess.run(
            [sys.executable, "-c", "import tiledb.client; print(tiledb.client.__file__)"],
            env={**os.environ, "PYTHONPATH": str(copy)},
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        found = child.stdout.strip()
        if child.returncode != 0 or not found.startswith(str(copy)):
            print(
                "a child process with the mutated tree first on PYTHONPATH would import"
                f" tiledb.client from {found or child.stderr.strip()[-500:]}, not from the"
                " tree: install the package editable (`pip install -e .`, tox's"
                " `package = editable`), or mutants reached only by children survive",
                file=sys.stderr,
            )
            return 1
    print(f"child processes import the tree on their PYTHONPATH ({sys.prefix})")
    return 0


def main() -> int:
    """Print the table and the survivors; return 1 when a module scores below --min."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=0.0, help="fail below this score (percent)")
    parser.add_argument(
        "--check-children",
        action="store_true",
        help="only check that child processes would import the mutated tree",
    )
    args = parser.parse_args()
    if args.check_children:
        return check_children()
    metas = sorted((ROOT / "mutants" / "src").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/: run `mutmut run` first", file=sys.stderr)
        return 1
    every = {name for meta in metas for name in json.loads(meta.read_text())["exit_code_by_key"]}
    equivalent = equivalent_mutants(every)
    worst = 100.0
    survivors: list[str] = []
    print(f"{'module':45} {'killed':>6} {'survived':>8} {'no tests':>8} {'equiv':>5} {'score':>6}")
    totals: Counter[str] = Counter()
    for meta in metas:
        results: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(ROOT / "mutants" / "src"))[: -len(".py.meta")]
        if not results:
            continue
        if all(code is None for code in results.values()):
            print(f"{module.replace('/', '.'):45} not checked")
            continue
        counts: Counter[str] = Counter()
        for name, code in results.items():
            if name in equivalent and code in SURVIVED | NO_TESTS:
                counts["equivalent"] += 1
            elif code in KILLED:
                counts["killed"] += 1
            elif code in SURVIVED:
                counts["survived"] += 1
                survivors.append(name)
            elif code in NO_TESTS:
                counts["no tests"] += 1
                survivors.append(name)
            elif code is None:
                counts["not checked"] += 1
                survivors.append(name)
            else:
                counts["other"] += 1
                survivors.append(name)
        totals.update(counts)
        score = _score(counts)
        worst = min(worst, score)
        print(
            f"{module.replace('/', '.'):45} {counts['killed']:>6} {counts['survived']:>8}"
            f" {counts['no tests']:>8} {counts['equivalent']:>5} {score:>5.1f}%"
        )
    print(
        f"{'all':45} {totals['killed']:>6} {totals['survived']:>8} {totals['no tests']:>8}"
        f" {totals['equivalent']:>5} {_score(totals):>5.1f}%"
    )
    if survivors:
        print("\nnot killed (see them with `mutmut show NAME`):")
        for name in sorted(survivors):
            print(f"  {name}")
    return 1 if worst < args.min else 0


def _score(counts: Counter[str]) -> float:
    judged = sum(counts[k] for k in ("killed", "survived", "no tests", "other", "not checked"))
    return 100.0 * counts["killed"] / judged if judged else 100.0


if __name__ == "__main__":
    sys.exit(main())
