"""Failures at the boundary of the process, for tests of what a failed write leaves behind.

``run_with_file_size_limit`` runs Python code in a child process whose files cannot
grow past ``limit`` bytes (``RLIMIT_FSIZE``, what a full disk looks like to a writer:
``write()`` fails with ``EFBIG``), so the real writers of the package fail half-way,
with no function of ours replaced. The child prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_PRELUDE = """
import json, resource, signal, sys
# A write past the limit fails with EFBIG instead of killing the process (SIGXFSZ).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
_soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, _hard))
# The cheap KDF of the test suite, as the vault fixture uses in-process.
from tests.backends import CHEAP_POLICY
from tiledb.client.secrets import encrypted_file, registry
registry.use_backend(encrypted_file.EncryptedFileBackend(kdf_policy=CHEAP_POLICY))


def report(**values):
    print(json.dumps(values))
"""


def run_with_file_size_limit(code: str, limit: int, *, timeout: float = 60) -> dict[str, Any]:
    """Run ``code`` with files limited to ``limit`` bytes; return what it ``report()``-ed.

    ``code`` sees the test's environment (HOME, vault variables) and a ``report(**values)``
    function that prints the result as JSON.
    """
    program = _PRELUDE.format(limit=int(limit)) + textwrap.dedent(code)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(lines[-1])
    return result
