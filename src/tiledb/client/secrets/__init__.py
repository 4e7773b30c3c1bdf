"""Secret backends: where tokens, passwords and cached session tokens live.

One small interface (:class:`~tiledb.client.secrets.base.SecretBackend`), one module
per backend, and the choice of backend made in one place
(:mod:`tiledb.client.secrets.registry`). Backend modules import their heavy
dependencies (``keyring``, ``cryptography``) only when they are used.
"""

from tiledb.client.secrets.base import Availability, SecretBackend, secret_entry_key

__all__ = ["Availability", "SecretBackend", "secret_entry_key"]
