"""``scripts/docs``: mkdocs as ``tox -e docs`` runs it (issue 20, finding 8)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_script_builds_without_the_end_of_life_banner(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if "MKDOCS" not in k}
    built = subprocess.run(
        [str(ROOT / "scripts" / "docs"), "build", "--strict", "-q", "--site-dir", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    assert (tmp_path / "index.html").is_file()
    assert "end of life" not in built.stdout + built.stderr  # .venv/bin/mkdocs prints it
