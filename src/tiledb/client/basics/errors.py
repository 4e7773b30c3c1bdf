"""Deprecated: the errors moved to the public :mod:`tiledb.client.errors` (import them there)."""

from tiledb.client.errors import *  # noqa: F403
from tiledb.client.errors import __all__ as __all__
