"""Doctor checks of environment variables: valid values, and which ones shadow the profile."""

from __future__ import annotations

import os
from pathlib import Path

from tiledb.client.basics.masking import mask
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.doctor.findings import Finding
from tiledb.client.secrets.keyring_backend import keyring_timeout
from tiledb.client.session.settings import SETTINGS
from tiledb.client.storage import profile_keys
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["environment_findings", "environment_in_effect", "is_secret_variable"]

_EXTRA_VARIABLES = ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "REQUESTS_CA_BUNDLE")

_NOT_SECRET = frozenset({"TILEDB_CLIENT_SECRET_BACKEND"})  # names a backend

_SECRET_WORDS = frozenset(
    {"TOKEN", "PASSWORD", "PASSPHRASE", "KEY", "SECRET", "CREDENTIAL", "CREDENTIALS", "PASS", "PWD"}
)


def is_secret_variable(name: str) -> bool:
    """Return whether an environment variable's value must be masked.

    >>> is_secret_variable("TILEDB_REST_TOKEN"), is_secret_variable("TILEDB_CLIENT_PASSPHRASE_FILE")
    (True, False)
    """
    if name.upper().endswith("_FILE") or name.upper() in _NOT_SECRET:
        return False
    return bool(_SECRET_WORDS & set(name.upper().split("_")))


def environment_in_effect() -> list[tuple[str, str]]:
    """Return ``(name, shown value)`` of the variables that matter here, secrets masked."""
    names = sorted(n for n in os.environ if n.startswith("TILEDB_") or n in _EXTRA_VARIABLES)
    return [
        (
            n,
            mask(os.environ[n], tail="TOKEN" in n.upper())
            if is_secret_variable(n)
            else os.environ[n],
        )
        for n in names
    ]


def environment_findings(
    name: str, store: ProfileStore, profiles: dict[str, dict[str, str]] | None
) -> list[Finding]:
    """Check environment variables: valid values, and which ones shadow the profile."""
    findings = []
    try:
        keyring_timeout()
    except ConfigurationError as exc:
        findings.append(
            Finding("environment", "TILEDB_CLIENT_KEYRING_TIMEOUT", "error", str(exc), "unset it")
        )
    directory = os.environ.get(profile_keys.PROFILE_DIR_ENV)
    if directory and not Path(directory).expanduser().is_dir():
        findings.append(
            Finding(
                "environment",
                profile_keys.PROFILE_DIR_ENV,
                "warning",
                f"names {directory}, which is not a directory (TileDB core refuses to make a"
                " context then)",
                f"create it, or unset {profile_keys.PROFILE_DIR_ENV}",
            )
        )
    if profiles:
        findings.extend(_shadow_findings(name, store, profiles))
    return findings


def _shadow_findings(
    name: str, store: ProfileStore, profiles: dict[str, dict[str, str]]
) -> list[Finding]:
    """Environment variables that win over the profile in use (no secret is read)."""
    profile = profiles.get(name)
    if profile is None:
        return []
    findings = []
    where = f"profile {name!r} ({store.path})"
    stored = bool(profile_keys.secret_location(profile) or profile_keys.plaintext_secret(profile))
    for variable in ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD"):
        if os.environ.get(variable) and stored:
            findings.append(
                Finding(
                    "environment",
                    variable,
                    "warning",
                    f"{variable} shadows the credentials stored in {where}",
                    f"unset {variable} to use the stored credentials",
                )
            )
            break
    for setting in SETTINGS:
        if setting.secret or not setting.profile_key:
            continue
        if os.environ.get(setting.env) and profile.get(setting.profile_key):
            findings.append(
                Finding(
                    "environment",
                    setting.env,
                    "info",
                    f"{setting.env} overrides the {setting.name} of {where}",
                )
            )
    return findings
