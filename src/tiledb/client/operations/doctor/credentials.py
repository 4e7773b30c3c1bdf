"""Doctor check of the credentials in use: the server is asked whether it accepts them."""

from __future__ import annotations

import os

from tiledb.client.errors import ClientError, ConfigurationError, LoginError
from tiledb.client.operations.doctor.findings import Finding
from tiledb.client.operations.verification import verify_credentials
from tiledb.client.secrets import passphrase
from tiledb.client.session.settings import resolve
from tiledb.client.storage import profile_keys

__all__ = ["credential_findings"]

_FIX = "store the right one: tiledb-client configure --profile {name} --overwrite"


def credential_findings(
    name: str,
    profile_dir: str | os.PathLike[str] | None,
    profiles: dict[str, dict[str, str]],
    timeout: float,
) -> list[Finding]:
    """Ask the server, as a login would, whether it accepts the credentials of ``name``.

    A token is sent as is, a password with HTTP Basic auth (no session token is made).
    Nothing is checked where reading the secret would prompt, or where no credential is
    set (the profile and backend checks say why).
    """
    location = profile_keys.secret_location(profiles.get(name))
    if (
        location is not None
        and location.backend == "encrypted-file"
        and passphrase.configured_source() is None
    ):
        message = "not checked: reading the secret would ask for the vault's passphrase"
        return [Finding("hosts", "credentials", "info", message)]
    try:
        settings = resolve(name, profile_dir, require_credentials=False)
        token = settings.token.text() if settings.token is not None else None
        secret = settings.password.text() if settings.password is not None else None
    except ConfigurationError:
        return []
    credential = settings.token or settings.password
    if credential is None:
        return []
    kind, source = ("token" if settings.token else "password"), credential.source
    try:
        verified = verify_credentials(
            str(settings.host.value),
            token=token,
            username=str(settings.username.value or "") or None,
            password=secret,
            workspace=str(settings.workspace.value or "") or None,
            verify_ssl=bool(settings.verify_ssl.value),
            ca_file=settings.ca_file.value or None,
            deadline=timeout,
        )
    except LoginError as exc:
        message = f"{exc.problem} (the {kind} from {source})"
        fix = _FIX.format(name=name) if source.startswith("profile") else f"set {source} right"
        return [Finding("hosts", "credentials", "error", message, fix)]
    except (ClientError, ConfigurationError) as exc:
        message = f"not checked: the server could not be asked ({exc})"
        return [Finding("hosts", "credentials", "warning", message)]
    user = f"user {verified.username!r}" if verified.username else "the user"
    workspace = f", workspace {verified.workspace!r}" if verified.workspace else ""
    message = f"{verified.host} accepts the {kind} from {source} ({user}{workspace})"
    return [Finding("hosts", "credentials", "ok", message)]
