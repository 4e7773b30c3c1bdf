"""``tiledb-client configure``: store credentials in a profile, the secret in a backend."""

from __future__ import annotations

import argparse
import os
from typing import Any

from tiledb.client.cli.common import (
    CliError,
    Output,
    add_json,
    add_profile_options,
    prompt_value,
    read_secret,
    stdin_is_terminal,
)

__all__ = ["register", "run"]

DESCRIPTION = """\
Store credentials in a profile. Host, workspace, username and TLS options go to
profiles.json; the token or password goes to a secret backend (the OS keyring, or the
encrypted file), never to a file in plain text.

The secret is read from a hidden prompt on a terminal, or from standard input with
--token-stdin / --password-stdin. It is never accepted as a command-line argument
(it would land in shell history and in `ps`).
"""

EPILOG = """\
examples:
  tiledb-client configure --host api.example.com --workspace acme
  printenv TILEDB_TOKEN | tiledb-client configure --host api.example.com --token-stdin
  tiledb-client configure --profile lab --host api.example.com --workspace lab --username ada
"""


def register(subparsers: Any) -> None:
    """Add the ``configure`` command."""
    parser = subparsers.add_parser(
        "configure",
        help="store credentials in a profile (secret in a backend)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_profile_options(parser)
    parser.add_argument("--host", help="TileDB server address, e.g. api.example.com")
    parser.add_argument("--workspace", help="workspace name or id (a token may name it)")
    parser.add_argument(
        "--username", help="log in with this username and a password instead of a token"
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--token-stdin", action="store_true", help="read the API token from standard input"
    )
    secret.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    parser.add_argument(
        "--backend",
        metavar="NAME",
        help="secret backend: keyring, encrypted-file or a plugin"
        " (default: $TILEDB_CLIENT_SECRET_BACKEND, else automatic)",
    )
    parser.add_argument(
        "--no-verify-ssl", action="store_true", help="do not verify the server's TLS certificate"
    )
    parser.add_argument(
        "--ca-file",
        metavar="FILE",
        help="CA bundle (PEM) to verify the server with; stored by its absolute path",
    )
    parser.add_argument(
        "--session-lifetime",
        metavar="DURATION",
        help="for a password: how long each session token is asked to live, renewed at 80 %%"
        " (e.g. 8h; default 10h)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing profile")
    parser.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ask the server whether it accepts the credentials before saving anything"
        " (the default; --no-verify saves them unchecked, e.g. with no network)",
    )
    vault = parser.add_argument_group("vault backend (HashiCorp Vault / OpenBao)")
    vault.add_argument("--vault-mount", metavar="MOUNT", help="its KV v2 mount (default: secret)")
    vault.add_argument(
        "--vault-path", metavar="PREFIX", help="its entries' path prefix (default: tiledb-client/)"
    )
    add_json(parser)
    parser.set_defaults(handler=run)


def _credentials(args: argparse.Namespace, out: Output, interactive: bool) -> dict[str, Any]:
    if _is_token(args):
        if args.username:
            out.warn("--username is ignored: a token is being configured.")
        return {"token": read_secret("token", from_stdin=args.token_stdin, flag="--token-stdin")}
    username = args.username or (prompt_value("Username") if interactive else None)
    if not username:
        raise CliError("--password-stdin needs --username.")
    password = read_secret("password", from_stdin=args.password_stdin, flag="--password-stdin")
    return {"username": username, "password": password}


def _is_token(args: argparse.Namespace) -> bool:
    """Whether a token is configured (else a username and password)."""
    return bool(args.token_stdin or not (args.username or args.password_stdin))


def run(args: argparse.Namespace, out: Output) -> int:
    """Run ``configure``."""
    from tiledb.client.basics.protocol import workspace_from_token
    from tiledb.client.basics.tls import checked_ca_file
    from tiledb.client.client import client
    from tiledb.client.operations.configure import configure
    from tiledb.client.secrets.registry import select_backend
    from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

    name = resolve_profile_name(args.profile)
    store = ProfileStore(args.profile_dir)
    old = store.get(name)
    if not args.overwrite and old is not None:
        raise CliError(
            f"Profile {name!r} already exists in {store.path}.",
            hint="Pass --overwrite to replace it (its old secret is deleted), or choose --profile.",
        )
    # Everything that can be checked without the secret is checked before asking for it.
    ca_file = checked_ca_file(args.ca_file) if args.ca_file else None
    _pin_vault_location(args, old)
    lifetime = _session_lifetime(args)
    backend = select_backend(args.backend, checked=True).name
    interactive = stdin_is_terminal() and not (args.token_stdin or args.password_stdin)
    host = args.host or (prompt_value("Host") if interactive else None)
    if not host:
        raise CliError("The host is required.", hint="Pass --host, e.g. --host api.example.com.")
    credentials = _credentials(args, out, interactive)
    token = credentials.get("token")
    named = bool(token and workspace_from_token(token))
    workspace = args.workspace or (prompt_value("Workspace") if interactive and not named else None)
    if not workspace and not named:
        raise CliError(
            "The workspace is required.",
            hint="Pass --workspace NAME, or configure a token that names its workspace"
            " (<a>-ws_<id>-<b>).",
        )
    verified = None
    if args.verify:  # as gh and hf do: what is saved is known to work
        from tiledb.client.errors import ClientError, LoginError
        from tiledb.client.operations.configure import verify_credentials

        try:
            verified = verify_credentials(
                host, workspace=workspace, verify_ssl=not args.no_verify_ssl, ca_file=ca_file,
                **credentials,
            )  # fmt: skip
        except (LoginError, ClientError) as exc:
            unchecked = "pass --no-verify to save them unchecked"
            hint = f"{exc.hint} Or {unchecked}." if exc.hint else f"Check them, or {unchecked}."
            raise CliError(f"{exc.problem} Nothing was saved.", hint=hint) from exc
    configure(
        host=host, workspace=workspace, verify_ssl=False if args.no_verify_ssl else None,
        ca_file=ca_file, profile_name=name, profile_dir=args.profile_dir,
        overwrite=args.overwrite, secret_backend=backend, factory=client,
        session_lifetime=lifetime, **credentials,
    )  # fmt: skip
    _report(out, store, name, verified)
    return 0


def _session_lifetime(args: argparse.Namespace) -> str | None:
    """The ``--session-lifetime`` given, checked; ``None`` when not given."""
    if args.session_lifetime is None:
        return None
    from tiledb.client.basics.inputs import parse_duration

    parse_duration(args.session_lifetime, what="--session-lifetime")
    if _is_token(args):
        raise CliError("--session-lifetime is for a password profile (--username).")
    return str(args.session_lifetime).strip()


def _pin_vault_location(args: argparse.Namespace, old: Any) -> None:
    """For the vault backend: pin its location for this run (the profile records it)."""
    from tiledb.client.secrets.registry import BACKEND_ENV

    if (args.backend or os.environ.get(BACKEND_ENV)) != "vault":
        if args.vault_mount or args.vault_path:
            raise CliError("--vault-mount and --vault-path need --backend vault.")
        return
    from tiledb.client.operations.profile_secrets import credential_key
    from tiledb.client.secrets.registry import use_backend
    from tiledb.client.secrets.vault_kv import VaultBackend
    from tiledb.client.storage.profile_keys import view

    given = {"mount": args.vault_mount, "path": args.vault_path}
    # Where the replaced profile's secret is, unless an option or the environment moves it.
    s = VaultBackend(**{k: v for k, v in given.items() if v}).settings(
        (old and credential_key(view(old).secret)) or ""
    )
    use_backend(VaultBackend(mount=s.mount, path=s.path or "/", address=s.address))


def _report(out: Output, store: Any, name: str, verified: Any) -> None:
    from tiledb.client.operations.profile_admin import profile_info

    info = profile_info(name, store.directory, check_secret=False)
    shown_workspace = info.workspace
    if verified is not None and verified.workspace and verified.workspace_id == info.workspace:
        shown_workspace = f"{verified.workspace} ({verified.workspace_id})"  # the server's name
    rows = [("host", info.host), ("workspace", shown_workspace), ("auth", info.auth)]
    rows += [("username", info.username)] if info.username else []
    rows.append(("backend", info.backend))
    if verified is not None:
        role = f" ({verified.role} of {verified.workspace})" if verified.role else ""
        rows.append(("verified", f"{verified.username or 'accepted'}{role}"))
    for variable in ("TILEDB_REST_TOKEN", "TILEDB_REST_PASSWORD"):
        if os.environ.get(variable):
            out.warn(f"{variable} is set: it shadows these stored credentials while it is set.")
    if out.json_mode:
        out.json(
            {
                "profile": name,
                "profile_file": str(store.path),
                "host": info.host,
                "workspace": info.workspace,
                "username": info.username,
                "auth": info.auth,
                "backend": info.backend,
                "verified": None
                if verified is None
                else {
                    "username": verified.username,
                    "workspace": verified.workspace,
                    "workspace_id": verified.workspace_id,
                    "role": verified.role,
                },
            }
        )
    elif out.terminal:
        out.print(f"Saved profile {name!r} in {store.path}")
        out.fields(rows, indent="  ")
    else:
        out.fields([("profile", name), ("profile_file", store.path), *rows])
