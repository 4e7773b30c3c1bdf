"""``tiledb.client.dask.TileDBSession``: worker processes read through three token lifetimes.

A real ``LocalCluster`` of worker processes, against the bundled server in a process of
its own whose tokens live 3 seconds at most: the tasks open ``tiledb://`` URIs with no
set-up for 10 seconds, the client renews the job token, and at the end every job token
is revoked on the server.
"""

from __future__ import annotations

import time
from pathlib import Path

import distributed
import pytest
import requests

import tiledb.client
from tiledb.client.testing import DEFAULT_TOKEN, DEFAULT_TOKEN_ID, ServerProcess


def read_for(seconds: float) -> list[str]:
    """Runs on a worker: open an array again and again, with no set-up at all."""
    import time

    import tiledb

    seen, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            tiledb.ArraySchema.load("tiledb://acme/ts/arr")
        except tiledb.TileDBError as exc:  # the server holds no arrays: 404 once authenticated
            seen.append("404" if "404" in str(exc) else str(exc)[:200])
        time.sleep(0.2)
    return seen


def _active_job_tokens(server: ServerProcess) -> list[str]:
    listed = requests.get(
        server.url + "/v4/tokens?type=api",
        headers={"X-TILEDB-REST-API-KEY": DEFAULT_TOKEN},
        timeout=10,
    ).json()["data"]
    return [t["name"] for t in listed if t["name"].startswith("job-")]


@pytest.mark.timeout(180)
def test_workers_read_over_three_token_lifetimes(vault: Path) -> None:
    from tiledb.client.dask import TileDBSession

    with ServerProcess(args=["--max-token-ttl", "3"]) as server:
        tiledb.client.configure(token=DEFAULT_TOKEN, host=server.url)
        tiledb.client.login()
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):  # fmt: skip
            with TileDBSession(client, ttl="1h", scope="array:read"):
                started = time.monotonic()
                results = client.gather(client.map(read_for, [10, 10], pure=False))
                took = time.monotonic() - started
            assert _active_job_tokens(server) == []  # closed: revoked
        sent = [r for r in server.requests if r.route.startswith(("/v1/arrays", "/v2/arrays"))]

    assert took >= 9  # three lifetimes of 3 s at least
    assert all(results) and all(s == "404" for seen in results for s in seen), results
    ids = [r.auth.token_id for r in sent if r.auth]
    assert len(ids) == len(sent) and all(r.auth.ok for r in sent if r.auth)
    assert DEFAULT_TOKEN_ID not in ids  # never the profile's own token
    assert len(set(ids)) >= 4  # renewed: at least four job tokens served the reads
