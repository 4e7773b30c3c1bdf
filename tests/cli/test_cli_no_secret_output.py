"""No secret in any command's standard output or error: every command, human and --json
modes, successes and failures, --verbose included.

The ``cli`` fixture checks every run of every test; this test makes sure every command
and mode is run at least once with real secrets around (stored tokens and passwords, a
plaintext profile, secrets in the environment, session tokens the server minted).
"""

from __future__ import annotations

from concurrent import futures
from pathlib import Path

import tiledb
from tiledb.client.testing import (
    DEFAULT_PASSWORD,
    DEFAULT_TOKEN,
    DEFAULT_USERNAME,
    DEFAULT_WORKSPACE,
    LocalServer,
)

from .conftest import Cli, session_tokens

WRONG_PASSWORD = "wrong-password-5551212"
PLAINTEXT_TOKEN = "plaintext0tok-ws_2b7c9d1e3f4a5b6c-aaaaaaaaaaaaaaaa"


def test_no_secret_in_any_output(cli: Cli, local_server: LocalServer, vault: Path) -> None:
    cli.secrets += [WRONG_PASSWORD, PLAINTEXT_TOKEN]
    host = local_server.url
    password_args = (
        "--host",
        host,
        "--workspace",
        DEFAULT_WORKSPACE,
        "--username",
        DEFAULT_USERNAME,
    )
    # -- writing commands, human and JSON, successes and failures ------------------------
    cli("configure", "--host", host, "--token-stdin", "--verify", input=DEFAULT_TOKEN + "\n")
    cli(
        "configure",
        "--profile",
        "pw",
        *password_args,
        "--password-stdin",
        "--verify",
        input=DEFAULT_PASSWORD,
    )
    cli(
        "configure",
        "--profile",
        "pw2",
        *password_args,
        "--password-stdin",
        "--json",
        input=DEFAULT_PASSWORD,
    )
    cli("configure", "--profile", "bad", *password_args, "--password-stdin", "--no-verify",
        input=WRONG_PASSWORD)  # fmt: skip
    cli(
        "configure",
        "--profile",
        "x",
        *password_args,
        "--password-stdin",
        "--verify",
        input=WRONG_PASSWORD,
        expect=1,
    )
    cli(
        "configure",
        "--profile",
        "x",
        "--host",
        host,
        "--token-stdin",
        "--verify",
        "--json",
        input=DEFAULT_TOKEN + "-revoked",
        expect=1,
    )
    cli("configure", "--profile", "x", "--host", host, "--json", expect=1)  # no terminal
    cli(
        "configure",
        "--host",
        host,
        "--token",
        DEFAULT_TOKEN,
        f"--password={DEFAULT_PASSWORD}",
        expect=2,
    )
    cli("configure", "--host", host, "--token-stdin", DEFAULT_TOKEN, expect=2)
    legacy = tiledb.Profile("legacy")
    legacy["rest.server_address"] = host
    legacy["rest.token"] = PLAINTEXT_TOKEN
    legacy.save()
    legacy_pw = tiledb.Profile("legacy-pw")
    legacy_pw["rest.server_address"] = host
    legacy_pw["rest.username"] = DEFAULT_USERNAME
    legacy_pw["rest.password"] = DEFAULT_PASSWORD
    legacy_pw["rest.workspace"] = DEFAULT_WORKSPACE
    legacy_pw.save()

    # -- reading commands, human and JSON, in parallel -------------------------------------
    env_secrets = {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_PASSWORD": DEFAULT_PASSWORD}
    shadowing = {"TILEDB_REST_TOKEN": DEFAULT_TOKEN}
    runs: list[tuple[tuple[str, ...], dict[str, str], int | None]] = [
        (("login", "--profile", "bad", "--verbose"), {}, 1),
        (("whoami", "--profile", "pw", "--verbose"), shadowing, 0),
        (("doctor", "--timeout", "2", "--verbose"), env_secrets, None),
        (("login", "--profile", "legacy-pw"), {}, 0),
        (("whoami", "--profile", "legacy"), {}, 1),  # a token the server never knew
    ]
    for mode in ((), ("--json",)):
        runs += [
            (("login", "--profile", "pw", *mode), {}, 0),
            (("login", "--profile", "bad", *mode), {}, 1),
            (("whoami", "--profile", "pw", *mode), shadowing, 0),
            (("whoami", "--profile", "nobody", *mode), {}, 1),
            (("doctor", "--timeout", "2", *mode), env_secrets, None),
            (("profile", "list", *mode), {}, 0),
            (("profile", "show", "legacy", *mode), {}, 0),
            (("profile", "show", "nobody", *mode), {}, 1),
            (("backends", *mode), {}, 0),
            (("migrate", "--dry-run", *mode), {}, 0),
            (("logout", "--profile", "nobody", *mode), {}, 1),
        ]
    with futures.ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda run: cli(*run[0], env=run[1], expect=run[2]), runs))
    shadowed = [r for r in done if r.args[0] == "whoami" and "shadows" in r.stderr]
    assert shadowed, "whoami should warn about TILEDB_REST_TOKEN"
    assert any("plain text" in r.stderr for r in done if "legacy-pw" in r.args)
    assert any("Traceback" in r.stderr for r in done if "--verbose" in r.args)

    # -- the rest of the writing commands ------------------------------------------------
    for mode in ((), ("--json",)):
        cli("logout", "--profile", "pw", *mode)
        cli("migrate", "--profile", "nobody", *mode, expect=1)
    cli("migrate")
    cli("migrate", "--json")
    cli("profile", "rename", "pw2", "pw3")
    cli("profile", "rename", "pw3", "pw2", "--json")
    cli("profile", "rename", "pw2", "pw", expect=1)
    cli("profile", "rename", "pw2", "pw", "--json", expect=1)
    cli("profile", "delete", "pw", "--yes")
    cli("profile", "delete", "pw2", "--yes", "--json")
    cli("profile", "delete", "pw", "--yes", expect=1)
    cli("profile", "delete", "legacy", "--json", expect=1)  # no terminal, no --yes

    commands = {run.args[0] for run in cli.runs} | {
        " ".join(run.args[:2]) for run in cli.runs if run.args[0] == "profile"
    }
    assert commands >= {
        "configure",
        "login",
        "logout",
        "whoami",
        "profile",
        "migrate",
        "doctor",
        "backends",
        "profile list",
        "profile show",
        "profile delete",
        "profile rename",
    }
    cli.secrets += session_tokens(local_server)
    assert session_tokens(local_server)
    leaks = cli.leaked()
    assert not leaks, f"secret in the output of tiledb-client {' '.join(leaks[0][1].args)}"
