"""``python -m tiledb.client``: the ``tiledb-client`` command line."""

import sys

from tiledb.client.cli import main

if __name__ == "__main__":
    sys.exit(main())
