"""The names in a profile file: its keys, and the variables that choose the profile.

A profile of ``profiles.json`` maps these keys to strings. TileDB core reads the
``rest.*`` and ``ssl.*`` ones; the ``client.*`` ones are ours and say which backend
holds the profile's secret, under which id, and whether it is a token or a password.
"""

from __future__ import annotations

__all__ = [
    "AUTH",
    "CA_FILE",
    "DEFAULT_PROFILE_NAME",
    "HOST",
    "PASSWORD",
    "PLAINTEXT_SECRET_KEYS",
    "PROFILE_DIR_ENV",
    "PROFILE_NAME_ENV",
    "SECRET_BACKEND",
    "SECRET_ID",
    "TOKEN",
    "USERNAME",
    "VERIFY_SSL",
    "VERIFY_SSL_LEGACY",
    "WORKSPACE",
]

PROFILE_DIR_ENV = "TILEDB_PROFILE_DIR"
PROFILE_NAME_ENV = "TILEDB_PROFILE_NAME"
DEFAULT_PROFILE_NAME = "default"

# Keys TileDB core reads.
HOST = "rest.server_address"
WORKSPACE = "rest.workspace"
USERNAME = "rest.username"
VERIFY_SSL = "ssl.verify"
VERIFY_SSL_LEGACY = "rest.verify_ssl"  # written by the vendor's package
CA_FILE = "ssl.ca_file"

# Our keys: where the profile's secret is.
SECRET_BACKEND = "client.secret_backend"  # noqa: S105 - a key name, not a secret
SECRET_ID = "client.secret_id"  # noqa: S105 - a key name, not a secret
AUTH = "client.auth"  # "token" or "password": which secret the backend holds
SESSION_LIFETIME = "client.session_lifetime"  # e.g. "10h": what a password login asks for

# Plaintext secrets written by the vendor's package or TileDB core. We read them
# (with a warning) and migrate them away; we never write them.
TOKEN = "rest.token"  # noqa: S105 - a key name, not a token
PASSWORD = "rest.password"  # noqa: S105 - a key name, not a password
PLAINTEXT_SECRET_KEYS = (TOKEN, PASSWORD)
