"""Durations as people type them: ``90s``, ``10m``, ``8h``, ``2d`` (``exec --ttl``)."""

from __future__ import annotations

import re
from datetime import timedelta

from tiledb.client.errors import ConfigurationError

__all__ = ["parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")


def parse_duration(text: str, *, what: str = "--ttl", allow_zero: bool = False) -> timedelta:
    """Parse ``text`` as a duration (a bare number is seconds); ConfigurationError if not.

    >>> parse_duration("90s"), parse_duration("8h")
    (datetime.timedelta(seconds=90), datetime.timedelta(seconds=28800))
    """
    match = _DURATION.fullmatch(text.strip().lower())
    seconds = float(match[1]) * _UNITS[match[2] or "s"] if match else -1.0
    if seconds < 0 or (seconds == 0 and not allow_zero) or seconds > 366 * 86400:
        raise ConfigurationError(
            f"{what} {text!r} is not a duration.",
            hint="Give a number with a unit: 90s, 10m, 8h or 2d (at most a year).",
        )
    return timedelta(seconds=seconds)
