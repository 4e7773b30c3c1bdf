"""Time limits read from the environment (the keyring's, Vault's, a REST call's)."""

from __future__ import annotations

import math
import os

from tiledb.client.errors import ConfigurationError

__all__ = ["timeout_from_env"]


def timeout_from_env(variable: str, default: float) -> float:
    """Return the seconds in ``variable``, ``default`` when unset; ConfigurationError if not > 0."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(
            f"{variable}={raw!r} is not a valid timeout: give a positive number of seconds,"
            f" e.g. {variable}=30 (the default is {default:g})."
        )
    return value
