"""Retry modes, apart from the HTTP client so that naming one costs nothing at import."""

from __future__ import annotations

import enum

__all__ = ["RetryMode", "RetryOrStr"]


class RetryMode(enum.Enum):
    """How requests are retried.

    ``DEFAULT`` retries on HTTP 503; ``FORCEFUL`` also on 400, 500, 501 and 502;
    ``DISABLED`` never retries. Back-off 0.25 s, doubling, within the call's deadline.
    """

    DEFAULT = "default"
    FORCEFUL = "forceful"
    DISABLED = "disabled"

    @property
    def statuses(self) -> frozenset[int]:
        """The HTTP statuses retried in this mode."""
        return _STATUSES[self]

    @staticmethod
    def maybe_from(v: RetryOrStr) -> RetryMode:
        """Return ``v`` as a :class:`RetryMode`, accepting its name in any case.

        Examples
        --------
        >>> RetryMode.maybe_from(v="Forceful")
        <RetryMode.FORCEFUL: 'forceful'>

        Raises
        ------
        ValueError
            For a string that names no mode.
        """
        if isinstance(v, RetryMode):
            return v
        try:
            return RetryMode(str(v).lower())
        except ValueError:
            choices = ", ".join(repr(mode.value) for mode in RetryMode)
            raise ValueError(f"Unknown retry mode {v!r}; choose one of {choices}.") from None


_STATUSES = {
    RetryMode.DEFAULT: frozenset({503}),
    RetryMode.FORCEFUL: frozenset({400, 500, 501, 502, 503}),
    RetryMode.DISABLED: frozenset[int](),
}

RetryOrStr = RetryMode | str
