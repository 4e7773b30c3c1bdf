"""How long a call to a failing server takes with the default deadline (60 s).

Issue 8, item 5 measured a 503 storm keeping ``get_user()`` busy past 150 s and a
server answering after 70 s taking 243 s. This replays both against the bundled
server, with ``TILEDB_CLIENT_REQUEST_DEADLINE`` unset (or as given), and prints the
wall time and the error of each:

    PYTHONPATH=src python benchmarks/request_deadline.py            # about 95 s
    PYTHONPATH=src python benchmarks/request_deadline.py --slow 10  # a shorter slow server
"""

from __future__ import annotations

import argparse
import time

from tiledb.client.testing import DEFAULT_TOKEN, LocalServer
from tiledb.client.transport.rest import RestClient, RestError


def _call(server: LocalServer, mode: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        with RestClient(server.url, token=DEFAULT_TOKEN, retry_mode=mode) as rest:
            rest.get("/v4/users/self")
        outcome = "answered"
    except RestError as exc:
        outcome = str(exc)
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=float, default=70.0, help="seconds the slow server waits")
    args = parser.parse_args()
    with LocalServer() as server:
        for mode, status in (("default", 503), ("forceful", 500)):
            server.fail_next(status, count=1_000_000)
            seconds, outcome = _call(server, mode)
            server.faults.clear()
            print(f"{mode} mode, HTTP {status} storm: {seconds:.1f} s: {outcome}")
        server.delay = args.slow
        seconds, outcome = _call(server, "default")
        print(f"server answering after {args.slow:g} s: {seconds:.1f} s: {outcome}")
        server.delay = 0.0


if __name__ == "__main__":
    main()
