"""Listing this tool's items in a Secret Service of 1,000 items: pipelined vs item by item.

Starts a private D-Bus and gnome-keyring (as the tests do), stores 1,000 items in
keyring's layout, then times ``SecretServiceEntries.names()`` (one search, the items'
attributes asked for at once) against ``secretstorage``'s own item-by-item reading.
Run: ``.venv/bin/python benchmarks/keyring_listing.py [COUNT]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def main() -> None:
    import secretstorage
    from tests.secret_service import start_secret_service, stop_secret_service

    from tiledb.client.secrets._secret_service import SecretServiceEntries

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    root = Path(tempfile.mkdtemp(prefix="tiledb-client-bench-"))
    bus = start_secret_service(root)
    os.environ.update(DBUS_SESSION_BUS_ADDRESS=bus.address, HOME=str(root))
    try:
        with closing(secretstorage.dbus_init()) as connection:
            collection = secretstorage.get_default_collection(connection)
            for index in range(count):
                key = f"token: p{index:04d} @ /home/ada/.tiledb/profiles.json [{index:08x}]"
                attributes = {"username": key, "service": "tiledb-client"}
                collection.create_item(key, attributes, b"not-a-real-token")
        start = time.perf_counter()
        names = SecretServiceEntries("tiledb-client").names()
        pipelined = time.perf_counter() - start
        with closing(secretstorage.dbus_init()) as connection:
            collection = secretstorage.get_default_collection(connection)
            start = time.perf_counter()
            items = collection.search_items({"service": "tiledb-client"})
            one_by_one = [item.get_attributes()["username"] for item in items]
            serial = time.perf_counter() - start
        assert sorted(names) == sorted(one_by_one)
        print(
            f"{len(names)} items: pipelined {pipelined * 1000:.0f} ms,"
            f" item by item {serial * 1000:.0f} ms ({serial / pipelined:.1f}x)"
        )
    finally:
        stop_secret_service(bus)


if __name__ == "__main__":
    main()
