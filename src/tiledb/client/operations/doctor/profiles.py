"""Doctor checks of profiles: is each profile's secret where the profile says."""

from __future__ import annotations

import os
import shlex

from tiledb.client.operations.doctor.findings import Finding, severity_for
from tiledb.client.operations.profile_admin import list_profiles
from tiledb.client.storage.profiles import ProfileStore

__all__ = ["profile_findings"]

_ENV_CREDENTIALS = ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD")


def profile_findings(
    selected: str, store: ProfileStore, profiles: dict[str, dict[str, str]]
) -> list[Finding]:
    """Return one finding per profile: is its secret where the profile says."""
    findings = []
    env_credential = next((v for v in _ENV_CREDENTIALS if os.environ.get(v)), None)
    if selected not in profiles:
        if env_credential:
            message = f"no profile {selected!r}; the credentials come from {env_credential}"
            findings.append(Finding("profiles", selected, "ok", message))
        else:
            findings.append(
                Finding(
                    "profiles",
                    selected,
                    "error",
                    f"no profile {selected!r} in {store.path} and no TILEDB_REST_TOKEN: a login"
                    " has no credentials",
                    f"tiledb-client configure --profile {shlex.quote(selected)} --host HOST ...",
                )
            )
    for info in list_profiles(store.directory):
        name = shlex.quote(info.name)
        reconfigure = f"tiledb-client configure --profile {name} --overwrite ..."
        if info.state == "present":
            finding = Finding(
                "profiles", info.name, "ok", f"{info.auth} in the {info.backend!r} backend"
            )
        elif info.state == "plaintext":
            finding = Finding(
                "profiles",
                info.name,
                "warning",
                f"{info.auth} kept in plain text in {store.path}",
                f"tiledb-client migrate --profile {name}",
            )
        elif info.state == "none":
            finding = Finding(
                "profiles",
                info.name,
                severity_for(info.name, selected) if not env_credential else "info",
                "holds no credential",
                reconfigure,
            )
        elif info.state == "missing":
            finding = Finding(
                "profiles",
                info.name,
                severity_for(info.name, selected),
                info.secret_detail,
                reconfigure,
            )
        else:
            finding = Finding(
                "profiles",
                info.name,
                severity_for(info.name, selected),
                f"cannot check its {info.auth} in the {info.backend!r} backend:"
                f" {info.secret_detail}",
                "make the backend available (see backends above)",
            )
        findings.append(finding)
    return findings
