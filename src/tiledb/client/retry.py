"""Retry modes: how requests to the server are retried.

Kept apart from the HTTP client so that naming a mode (``Client(retry_mode=...)``)
costs nothing at import time; ``urllib3`` loads when a policy is first built.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import urllib3

__all__ = ["CONNECT_RETRIES", "RetryMode", "RetryOrStr", "make_retry"]

# Connection failures are retried a few times only: an unreachable host should be
# reported in seconds, not after the hundred retries allowed for 503 answers.
CONNECT_RETRIES = 3


class RetryMode(enum.Enum):
    """How requests are retried.

    ``DEFAULT`` retries up to 100 times on HTTP 503; ``FORCEFUL`` also on 400,
    500, 501 and 502; ``DISABLED`` never retries. Back-off factor 0.25 s.
    """

    DEFAULT = "default"
    FORCEFUL = "forceful"
    DISABLED = "disabled"

    @classmethod
    def maybe_from(cls, value: RetryOrStr) -> RetryMode:
        """Return ``value`` as a :class:`RetryMode`, accepting its string name.

        Raises
        ------
        ValueError
            For a string that names no mode.
        """
        if isinstance(value, RetryMode):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            choices = ", ".join(repr(mode.value) for mode in cls)
            raise ValueError(f"Unknown retry mode {value!r}; choose one of {choices}.") from None


RetryOrStr = RetryMode | str

_STATUS_FORCELIST = {
    RetryMode.DEFAULT: (503,),
    RetryMode.FORCEFUL: (400, 500, 501, 502, 503),
}


def make_retry(mode: RetryOrStr) -> urllib3.Retry | bool:
    """Return the ``urllib3.Retry`` policy of a retry mode (``False`` when disabled)."""
    import urllib3

    mode = RetryMode.maybe_from(mode)
    if mode is RetryMode.DISABLED:
        return False
    return urllib3.Retry(
        total=100,
        connect=CONNECT_RETRIES,
        read=CONNECT_RETRIES,
        other=0,  # TLS verification and protocol errors: retrying cannot help
        backoff_factor=0.25,
        status_forcelist=_STATUS_FORCELIST[mode],
        allowed_methods=None,  # every method, as the service expects
        raise_on_status=False,
    )
