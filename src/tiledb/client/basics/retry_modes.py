"""Retry modes: how requests to the server are retried.

Kept apart from the HTTP client so that naming a mode (``Client(retry_mode=...)``)
costs nothing at import time; the ``urllib3`` policy of each mode is built by
:mod:`tiledb.client.transport.retries`.
"""

from __future__ import annotations

import enum

__all__ = ["RetryMode", "RetryOrStr"]


class RetryMode(enum.Enum):
    """How requests are retried.

    ``DEFAULT`` retries up to 100 times on HTTP 503; ``FORCEFUL`` also on 400,
    500, 501 and 502; ``DISABLED`` never retries. Back-off factor 0.25 s.
    """

    DEFAULT = "default"
    FORCEFUL = "forceful"
    DISABLED = "disabled"

    @staticmethod
    def maybe_from(v: RetryOrStr) -> RetryMode:
        """Return ``v`` as a :class:`RetryMode`, accepting its name in any case.

        The parameter is named ``v`` as in the vendor's package, so both
        ``RetryMode.maybe_from("forceful")`` and ``RetryMode.maybe_from(v="forceful")``
        work.

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


RetryOrStr = RetryMode | str
