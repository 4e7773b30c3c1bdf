"""The ``urllib3.Retry`` policy of each retry mode.

The modes themselves are :class:`~tiledb.client.basics.retry_modes.RetryMode`. Every
policy is a :class:`~tiledb.client.transport.deadline_retry.DeadlineRetry`: whatever
the mode, a call ends within its total deadline
(:mod:`~tiledb.client.transport.call_budget`), and a non-idempotent call
(``POST /v4/tokens``) is never retried once it may have reached the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiledb.client.basics.retry_modes import RetryMode, RetryOrStr

if TYPE_CHECKING:
    import urllib3

__all__ = ["CONNECT_RETRIES", "make_retry"]

# Connection failures are retried a few times only: an unreachable host should be
# reported in seconds, not after the hundred retries allowed for 503 answers.
CONNECT_RETRIES = 3

_STATUS_FORCELIST = {
    RetryMode.DEFAULT: (503,),
    RetryMode.FORCEFUL: (400, 500, 501, 502, 503),
}


def make_retry(mode: RetryOrStr) -> urllib3.Retry | bool:
    """Return the ``urllib3.Retry`` policy of a retry mode (``False`` when disabled)."""
    from tiledb.client.transport.deadline_retry import DeadlineRetry

    mode = RetryMode.maybe_from(mode)
    if mode is RetryMode.DISABLED:
        return False
    return DeadlineRetry(
        total=100,
        connect=CONNECT_RETRIES,
        read=CONNECT_RETRIES,
        other=0,  # TLS verification and protocol errors: retrying cannot help
        backoff_factor=0.25,
        status_forcelist=_STATUS_FORCELIST[mode],
        allowed_methods=None,  # every method, as the service expects
        raise_on_status=False,
    )
