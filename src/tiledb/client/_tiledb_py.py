"""TileDB-Py as this package sees it.

TileDB-Py ships no type information, and for mypy the name ``tiledb`` is our own
``src/tiledb`` namespace. Modules that call TileDB-Py import it from here, typed
as ``Any``, so the rest of the package stays strictly typed.
"""

from typing import Any

import tiledb as _tiledb

tiledb_py: Any = _tiledb
"""The ``tiledb`` module of TileDB-Py."""

__all__ = ["tiledb_py"]
