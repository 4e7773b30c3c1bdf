"""Doctor checks of the environment: its variables, and the vendor's package beside ours."""

from __future__ import annotations

import os
from pathlib import Path

from tiledb.client.basics.masking import mask
from tiledb.client.errors import ConfigurationError
from tiledb.client.operations.coexistence import REINSTALL, VENDOR_DISTRIBUTION, find_vendor_package
from tiledb.client.operations.doctor.findings import Finding
from tiledb.client.secrets.keyring_backend import keyring_timeout
from tiledb.client.session.settings import SETTINGS
from tiledb.client.storage.profile_keys import PROFILE_DIR_ENV, ProfileView
from tiledb.client.storage.profiles import ProfileStore

__all__ = [
    "coexistence_findings",
    "environment_findings",
    "environment_in_effect",
    "is_secret_variable",
]

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
    name: str, store: ProfileStore, profiles: dict[str, ProfileView] | None
) -> list[Finding]:
    """Check environment variables: valid values, and which ones shadow the profile."""
    findings = []
    try:
        keyring_timeout()
    except ConfigurationError as exc:
        findings.append(
            Finding("environment", "TILEDB_CLIENT_KEYRING_TIMEOUT", "error", str(exc), "unset it")
        )
    directory = os.environ.get(PROFILE_DIR_ENV)
    if directory and not Path(directory).expanduser().is_dir():
        message = (
            f"names {directory}, which is not a directory (TileDB core refuses to make a"
            " context then)"
        )
        fix = f"create it, or unset {PROFILE_DIR_ENV}"
        findings.append(Finding("environment", PROFILE_DIR_ENV, "warning", message, fix))
    profile = (profiles or {}).get(name)
    if profile is None:
        return findings
    where = f"profile {name!r} ({store.path})"
    variable = next(
        (v for v in ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD") if os.environ.get(v)), None
    )
    if variable and (profile.secret or profile.plaintext):  # no secret is read
        message = f"{variable} shadows the credentials stored in {where}"
        fix = f"unset {variable} to use the stored credentials"
        findings.append(Finding("environment", variable, "warning", message, fix))
    for setting in SETTINGS:
        if not setting.secret and os.environ.get(setting.env) and profile.setting(setting.name):
            message = f"{setting.env} overrides the {setting.name} of {where}"
            findings.append(Finding("environment", setting.env, "info", message))
    return findings


def coexistence_findings() -> list[Finding]:
    """A warning when the vendor's distribution shares ``tiledb/client/`` with ours."""
    vendor = find_vendor_package()
    if vendor is None:
        return []
    subject = f"{VENDOR_DISTRIBUTION} {vendor.version}"
    return [Finding("environment", subject, "warning", vendor.message(), REINSTALL)]
