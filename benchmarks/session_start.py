"""Wall time of a whole process that starts a session, against plain TileDB-Py.

Baseline: ``import tiledb; tiledb.Ctx({...})`` with the server address and token.
Measured: ``import tiledb.client; tiledb.client.login(); tiledb.client.Ctx()`` for
each way the token can be found:

- ``env``: ``TILEDB_REST_TOKEN`` in the environment, no profile, no backend;
- ``encrypted-file``: a profile whose token is in the vault (one production-cost key
  derivation per process, by design);
- ``keyring``: a profile whose token is in a real Secret Service (a private
  ``dbus-daemon`` and ``gnome-keyring-daemon`` started for the run; skipped when
  they are not installed);
- ``password``: a password profile in the keyring whose cached session token is
  reused (login checks it with one ``GET /v4/users/self``).

Each process is started ``--runs`` times, alternating variants; the median wall
time and its ratio to the baseline are printed. The bundled server runs in this
process. Everything lives in a temporary HOME.

Run from the repository root::

    PYTHONPATH=src python benchmarks/session_start.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")

BASELINE = (
    "import os, tiledb\n"
    "tiledb.Ctx({'rest.server_address': os.environ['BENCH_URL'],"
    " 'rest.token': os.environ['BENCH_TOKEN']})"
)
SESSION = "import tiledb.client\ntiledb.client.login()\ntiledb.client.Ctx()"


@contextmanager
def private_secret_service(root: Path) -> Iterator[str | None]:
    """A private session bus with an unlocked gnome-keyring; None when not installed."""
    if not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        yield None
        return
    env = dict(os.environ, HOME=str(root), XDG_DATA_HOME=str(root / "data"))
    env["XDG_RUNTIME_DIR"] = str(root / "run")
    (root / "run").mkdir(mode=0o700, parents=True)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nosyslog", "--print-address=1"],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    ring = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert ring.stdin is not None
    ring.stdin.write(b"benchmark-keyring-password")
    ring.stdin.close()
    time.sleep(1.0)
    try:
        yield address
    finally:
        for process in (ring, bus):
            process.terminate()
            process.wait(timeout=10)


def run_once(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def configure(env: dict[str, str], **kwargs: str) -> None:
    args = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    code = f"import tiledb.client\ntiledb.client.configure({args})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()

    from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, LocalServer

    with tempfile.TemporaryDirectory() as tmp, LocalServer(log=lambda line: None) as server:
        root = Path(tmp)
        # Bytecode caches on, as in an installed package (pip compiles on install), even
        # where PYTHONDONTWRITEBYTECODE is set: otherwise every run recompiles our modules.
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TILEDB_", "DBUS_")) and key != "PYTHONDONTWRITEBYTECODE"
        }
        base.update(
            PYTHONPATH=SRC,
            HOME=str(root / "home"),
            BENCH_URL=server.url,
            BENCH_TOKEN=DEFAULT_TOKEN,
            NO_PROXY="*",
        )
        (root / "home").mkdir()
        variants: dict[str, tuple[str, dict[str, str]]] = {"baseline": (BASELINE, base)}
        env_token = dict(
            base, TILEDB_REST_TOKEN=DEFAULT_TOKEN, TILEDB_REST_SERVER_ADDRESS=server.url
        )
        variants["env"] = (SESSION, env_token)
        vault = dict(
            base,
            TILEDB_PROFILE_NAME="vault",
            TILEDB_CLIENT_SECRET_BACKEND="encrypted-file",
            TILEDB_CLIENT_PASSPHRASE=secrets.token_urlsafe(24),
            TILEDB_CLIENT_SECRETS_FILE=str(root / "secrets.vault"),
        )
        configure(vault, token=DEFAULT_TOKEN, host=server.url, profile_name="vault")
        variants["encrypted-file"] = (SESSION, vault)
        with private_secret_service(root / "keyring") as address:
            if address is not None:
                ring = dict(base, DBUS_SESSION_BUS_ADDRESS=address)
                ring["TILEDB_CLIENT_SECRET_BACKEND"] = "keyring"
                configure(ring, token=DEFAULT_TOKEN, host=server.url, profile_name="ring")
                variants["keyring"] = (SESSION, dict(ring, TILEDB_PROFILE_NAME="ring"))
                configure(
                    ring,
                    username="ada",
                    password=DEFAULT_PASSWORD,
                    workspace="acme",
                    host=server.url,
                    profile_name="pw",
                )
                password = dict(ring, TILEDB_PROFILE_NAME="pw")
                run_once(SESSION, password)  # mints and caches the session token
                variants["password"] = (SESSION, password)
            times: dict[str, list[float]] = {name: [] for name in variants}
            for code, env in variants.values():
                run_once(code, env)  # warm the file cache
            for _ in range(options.runs):
                for name, (code, env) in variants.items():
                    times[name].append(run_once(code, env))
        baseline = statistics.median(times["baseline"])
        python = sys.version.split()[0]
        print(f"{options.runs} runs each, median whole-process wall time (Python {python})")
        for name, values in times.items():
            median = statistics.median(values)
            print(
                f"  {name:15} {median * 1000:7.1f} ms   ratio {median / baseline:4.2f}"
                f"   (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"
            )


if __name__ == "__main__":
    main()
