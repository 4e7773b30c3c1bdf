"""``doctor`` asks the server what ``login`` asks it (issue 20, finding 1)."""

from __future__ import annotations

from pathlib import Path

from tiledb.client.testing import DEFAULT_TOKEN, DEFAULT_WORKSPACE, LocalServer

from .conftest import Cli


def credentials(report: dict[str, object]) -> dict[str, object]:
    findings = report["findings"]
    assert isinstance(findings, list)
    (found,) = [f for f in findings if f["subject"] == "credentials"]
    return dict(found)


def test_doctor_says_the_server_refuses_what_login_is_refused(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    configure = ("configure", "--host", local_server.url, "--workspace", DEFAULT_WORKSPACE)
    refused = cli(*configure, "--token-stdin", input="not-a-token-the-server-knows", expect=1)
    assert "refused the token (HTTP 401). Nothing was saved." in refused.stderr  # finding 5
    assert "Hint: Check them, or pass --no-verify to save them unchecked." in refused.stderr
    cli(*configure, "--no-verify", "--token-stdin", input="not-a-token-the-server-knows")
    assert "HTTP 401" in cli("login", expect=1).stderr
    doctor = cli("doctor", "--json", "--timeout", "5", expect=1)  # before: rc 0, "no problem"
    found = credentials(doctor.json())
    assert found["section"] == "hosts"
    assert found["severity"] == "error"
    assert "refused the token (HTTP 401)" in str(found["message"])
    assert "(the token from profile 'default' (" in str(found["message"])
    assert (
        found["fix"] == "store the right one: tiledb-client configure --profile default --overwrite"
    )
    assert "not-a-token" not in doctor.stdout + doctor.stderr

    cli(*configure, "--overwrite", "--token-stdin", input=DEFAULT_TOKEN)
    found = credentials(cli("doctor", "--json", "--timeout", "5").json())
    assert found["severity"] == "ok"
    assert "accepts the token from profile 'default' (" in str(found["message"])
    assert "(user 'ada', workspace" in str(found["message"])


def test_a_refused_environment_token_is_named_as_such(
    cli: Cli, local_server: LocalServer, vault: Path
) -> None:
    env = {"TILEDB_REST_TOKEN": "bogus-token-value", "TILEDB_REST_SERVER_ADDRESS": local_server.url,
           "TILEDB_REST_WORKSPACE": DEFAULT_WORKSPACE}  # fmt: skip
    found = credentials(cli("doctor", "--json", "--timeout", "5", env=env, expect=1).json())
    assert found["severity"] == "error"
    assert "(the token from TILEDB_REST_TOKEN)" in str(found["message"])
    assert found["fix"] == "set TILEDB_REST_TOKEN right"


def test_a_refused_environment_token_is_not_blamed_on_a_profile(
    cli: Cli, local_server: LocalServer
) -> None:
    env = {"TILEDB_REST_TOKEN": "bogus-token-value", "TILEDB_REST_SERVER_ADDRESS": local_server.url,
           "TILEDB_REST_WORKSPACE": DEFAULT_WORKSPACE}  # fmt: skip
    failed = cli("whoami", env=env, expect=1)
    assert "check the profile's token" not in failed.stderr  # before: no profile was involved
    assert "Log in again, or check the token from TILEDB_REST_TOKEN." in failed.stderr
