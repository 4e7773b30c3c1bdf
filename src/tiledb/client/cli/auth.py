"""``tiledb-client login``, ``logout`` and ``whoami``.

A login lasts as long as the process; a password login's session token stays cached in
the profile's backend, for the next command.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tiledb.client.cli.common import CliError, Output, add_json, add_profile_options, login

if TYPE_CHECKING:
    import enum

    from tiledb.client.basics.models import User, UserSelfWorkspace, Workspace
    from tiledb.client.session.settings import SessionSettings

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``login``, ``logout`` and ``whoami``."""
    login = subparsers.add_parser(
        "login",
        help="log in with a profile and show who and where",
        description="Log in with a stored profile (a password is exchanged for a session"
        " token, cached in the profile's backend) and show user, workspace, role, backend"
        " and host. Exit status 1 when the login fails.",
    )
    add_profile_options(login)
    add_json(login)
    login.set_defaults(handler=run_login)

    logout = subparsers.add_parser(
        "logout",
        help="revoke and forget the cached session token of a profile",
        description="Revoke the session token a password login cached for a profile"
        " (DELETE /v4/tokens/{id}) and delete it from the backend. API tokens you"
        " configured are never revoked; delete them with `tiledb-client profile delete`.",
    )
    add_profile_options(logout)
    add_json(logout)
    logout.add_argument(
        "--everywhere",
        action="store_true",
        help="revoke every token tiledb-client minted for you, on every machine",
    )
    logout.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    logout.set_defaults(handler=run_logout)

    whoami = subparsers.add_parser(
        "whoami",
        help="show the current user, workspaces and where each setting came from",
        description="Show where each setting comes from (argument, environment, profile),"
        " secrets masked, then log in and show the user and their workspaces. Warns when an"
        " environment variable shadows the stored credentials.",
    )
    add_profile_options(whoami)
    add_json(whoami)
    whoami.set_defaults(handler=run_whoami)


def _role(value: enum.Enum | str | None) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _credential_origin(settings: SessionSettings) -> str:
    """Where the credential in use is kept, e.g. ``keyring`` or ``TILEDB_REST_TOKEN``."""
    if settings.backend:
        return str(settings.backend)
    credential = settings.token or settings.password
    source = str(credential.source) if credential is not None else ""
    if source.startswith("TILEDB_"):
        return f"environment ({source})"
    return "plaintext profile" if "plain text" in source else source or "-"


def _login(
    args: argparse.Namespace,
) -> tuple[dict[str, Any], User, list[UserSelfWorkspace], Workspace]:
    """Log in; return the summary ``login`` shows, the user, their workspaces, the current one."""
    from tiledb.client import client as api
    from tiledb.client.session.renewal import renews_at

    current = login(args)
    user, listed = api.get_self_user()
    workspace = api.get_workspace()
    settings, profiled = current.settings, current.settings.profile is not None
    expires, renews = current.expires_at, renews_at(current)
    summary = {
        "user": user.username,
        "display_name": user.display_name,
        "deployment_role": _role(user.role),
        "workspace": workspace.name,
        "workspace_id": workspace.workspace_id,
        "role": _role(workspace.workspace_role),
        "host": current.host,
        "auth": settings.auth_kind,
        "backend": _credential_origin(settings),
        "profile": settings.profile_name if profiled else None,
        "profile_file": str(settings.profile_file) if profiled else None,
        "session_expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ") if expires else None,
        "session_renews": renews.strftime("%Y-%m-%dT%H:%M:%SZ") if renews else None,
    }
    return summary, user, listed, workspace


def _expiry_line(summary: dict[str, Any]) -> str:
    if not summary["session_expires"]:
        return "does not expire (an API token)" if summary["auth"] == "token" else "no expiry given"
    return (
        f"expires {summary['session_expires']}; a process holding it renews it from"
        f" {summary['session_renews']}"
    )


def run_login(args: argparse.Namespace, out: Output) -> int:
    """Run ``login``."""
    summary = _login(args)[0]
    if out.json_mode:
        out.json(summary)
        return 0
    rows = [
        ("workspace", f"{summary['workspace']} ({summary['workspace_id']})"),
        ("role", summary["role"]),
        ("auth", summary["auth"]),
        ("backend", summary["backend"]),
        ("profile", summary["profile"] or "(none: environment only)"),
    ]
    if out.terminal:
        who = summary["user"] + (f" ({summary['display_name']})" if summary["display_name"] else "")
        out.print(f"Logged in to {summary['host']} as {who}")
        out.fields(rows, indent="  ")
    else:
        out.fields([("user", summary["user"]), ("host", summary["host"]), *rows])
    return 0


def run_logout(args: argparse.Namespace, out: Output) -> int:
    """Run ``logout``."""
    from tiledb.client.client import client
    from tiledb.client.operations.profile_secrets import end_session
    from tiledb.client.storage.profile_keys import view
    from tiledb.client.storage.profiles import ProfileStore, resolve_profile_name

    store = ProfileStore(args.profile_dir)
    name = resolve_profile_name(args.profile)
    profile = store.get(name)
    if args.everywhere:  # the environment's credentials (CI) do as well as a profile
        from tiledb.client.cli.tokens import run_logout_everywhere

        status = run_logout_everywhere(args, out)
        if profile is not None:  # forget the cached token, revoked now
            end_session(client, name, store.path, view(profile))
        return status
    if profile is None:
        raise CliError(
            f"There is no profile {name!r} in {store.path}.", hint="See: tiledb-client profile list"
        )
    typed = view(profile)
    result = end_session(client, name, store.path, typed)
    if out.json_mode:
        out.json({"profile": name, "revoked": result.revoked, "forgot": result.forgot_cached})
    elif result.revoked:
        out.print(f"Logged out of profile {name!r}: its session token was revoked and forgotten.")
    elif result.forgot_cached:
        out.print(
            f"Logged out of profile {name!r}: its session token was forgotten (the server no"
            " longer accepted it)."
        )
    else:
        password = typed.secret is not None and typed.secret.auth == "password"
        kind = "none cached" if password else "an API token, never revoked by logout"
        out.print(f"Profile {name!r} has no cached session token ({kind}); nothing to do.")
        if not password:
            out.print(f"To forget its token here: tiledb-client profile delete {name}")
    return 0


def run_whoami(args: argparse.Namespace, out: Output) -> int:
    """Run ``whoami``."""
    import warnings

    from tiledb.client.session.settings import resolve

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the login below repeats them
        settings = resolve(args.profile, args.profile_dir, require_credentials=False)
    for shadow in settings.shadowed:
        out.warn(f"{shadow}; unset it to use the stored credentials.")
    sources = [{"setting": n, "value": v, "source": s} for n, v, s in settings.rows()]
    if settings.token is None and settings.password is None:
        _print_sources(out, sources)
        raise CliError(
            f"No credentials: profile {settings.profile_name!r} is not in"
            f" {settings.profile_file}, and neither TILEDB_REST_TOKEN nor TILEDB_REST_PASSWORD"
            " is set.",
            hint="Store some with: tiledb-client configure",
        )
    summary, user, listed, workspace = _login(args)
    for row in sources:  # a workspace id (e.g. named by the token): add the name the server gave
        if row["setting"] == "workspace" and row["value"] == workspace.workspace_id:
            row["value"] = f"{workspace.workspace_id} ({workspace.name})"
    workspaces = [
        {
            "name": item.name,
            "workspace_id": item.workspace_id,
            "role": _role(item.membership.role) if item.membership else None,
            "current": item.workspace_id == workspace.workspace_id,
        }
        for item in listed
    ]
    if out.json_mode:
        out.json(
            {
                **summary,
                "email": user.email,
                "workspaces": workspaces,
                "settings": sources,
                "shadowed": list(settings.shadowed),
            }
        )
        return 0
    out.fields(
        [
            ("user", summary["user"]),
            ("name", summary["display_name"]),
            ("email", user.email),
            ("deployment role", summary["deployment_role"]),
            ("host", summary["host"]),
            ("workspace", f"{summary['workspace']} ({summary['workspace_id']}), {summary['role']}"),
            ("backend", summary["backend"]),
            ("session token", _expiry_line(summary)),
        ]
    )
    _gap(out)
    out.heading("Workspaces")
    rows = [
        (w["name"], w["workspace_id"], w["role"], "*" if w["current"] else "") for w in workspaces
    ]
    # Tagged "workspaces" when piped: the "workspace" line above is the current one.
    out.table(("name", "id", "role", "current"), rows, tag="workspaces")
    _gap(out)
    _print_sources(out, sources)
    return 0


def _gap(out: Output) -> None:
    if out.terminal:
        out.print()


def _print_sources(out: Output, sources: list[dict[str, str]]) -> None:
    if not out.json_mode:
        out.heading("Settings (secrets masked)")
        rows = [(s["setting"], s["value"], s["source"]) for s in sources]
        out.table(("setting", "value", "source"), rows, tag="setting")
