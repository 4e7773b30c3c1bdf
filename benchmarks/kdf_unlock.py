"""Measure how long unlocking the encrypted secrets vault takes here.

Unlocking is one key derivation with the production parameters of
``tiledb.client.secrets.encrypted_file.PRODUCTION_POLICY``; everything else (JSON,
HMAC, AES-GCM) takes microseconds. For each KDF this prints the median, minimum and
maximum of ``--runs`` derivations, and the growth of the process's peak resident
memory, measured in a fresh child process so the KDFs do not mask each other.
It also times a whole cold ``get()`` through the backend.

Run from the repository root::

    PYTHONPATH=src python benchmarks/kdf_unlock.py --runs 9
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_PASSPHRASE = "correct horse battery staple"


def _peak_rss_mib() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _child(kdf: str, runs: int) -> None:
    from tiledb.client.secrets import encrypted_file as ef

    policy = ef.PRODUCTION_POLICY
    params = dict(policy.argon2id if kdf == "argon2id" else policy.scrypt)
    header = {"name": kdf, "salt": "c2FsdHNhbHRzYWx0c2FsdA==", **params}
    before = _peak_rss_mib()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        ef._derive(header, BENCH_PASSPHRASE)
        times.append(time.perf_counter() - start)
    print(json.dumps({"params": params, "times": times, "peak": _peak_rss_mib() - before}))


def _cold_get(runs: int) -> list[float]:
    from tiledb.client.secrets import encrypted_file as ef

    times = []
    with tempfile.TemporaryDirectory() as directory:
        os.environ["TILEDB_CLIENT_SECRETS_FILE"] = str(Path(directory, "secrets.vault"))
        os.environ["TILEDB_CLIENT_PASSPHRASE"] = BENCH_PASSPHRASE
        backend = ef.EncryptedFileBackend()
        backend.set("token: bench", "a-ws_bench-b")
        for _ in range(runs):
            ef.clear_key_cache()
            start = time.perf_counter()
            assert backend.get("token: bench") == "a-ws_bench-b"
            times.append(time.perf_counter() - start)
    return times


def _line(label: str, times: list[float], extra: str = "") -> str:
    return (
        f"{label:<38} median {statistics.median(times) * 1000:7.1f} ms"
        f"  min {min(times) * 1000:7.1f}  max {max(times) * 1000:7.1f}{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="derivations per KDF (default 7)")
    parser.add_argument("--child", choices=["argon2id", "scrypt"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.runs)
        return

    from tiledb.client.secrets import encrypted_file as ef

    print(
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" cryptography {__import__('cryptography').__version__},"
        f" Argon2id supported: {ef.argon2id_supported()}"
    )
    for kdf in ("argon2id", "scrypt"):
        if kdf == "argon2id" and not ef.argon2id_supported():
            continue
        output = subprocess.run(
            [sys.executable, __file__, "--child", kdf, "--runs", str(args.runs)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output)
        params = ", ".join(f"{k}={v}" for k, v in result["params"].items())
        print(_line(f"{kdf} ({params})", result["times"], f"  peak +{result['peak']:.0f} MiB"))
    print(_line("cold get() through the backend", _cold_get(args.runs)))


if __name__ == "__main__":
    main()
