"""``tiledb.cloud``: the vendor's deprecated alias of :mod:`tiledb.client`.

.. deprecated:: 3.0
    Import from :mod:`tiledb.client` instead. Only the session, user and workspace
    names are provided here.

TileDB-Py's ``import tiledb`` tries ``tiledb.cloud.cloudarray`` whenever this package
exists, so importing it must cost nothing: the names load, and the vendor's
deprecation warning is given, on first use.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_NAMES = {
    "Config": "tiledb.client",
    "Ctx": "tiledb.client",
    "login": "tiledb.client",
    "TileDBCloudError": "tiledb.client",
    "workspaces": "tiledb.client.workspaces",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        "Please migrate to importing from tiledb.client instead of tiledb.cloud",
        DeprecationWarning,
        stacklevel=2,
    )
    module = importlib.import_module(_NAMES[name])
    return module if name == "workspaces" else getattr(module, _ALIASES.get(name, name))


_ALIASES = {"TileDBCloudError": "ClientError"}
