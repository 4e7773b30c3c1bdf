"""Help, exit codes, error format, secret input rules, output formats, console script."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tiledb.client.cli import build_parser, main
from tiledb.client.cli.common import Output

from .conftest import Cli, child_env

COMMANDS = [
    ["configure"],
    ["login"],
    ["logout"],
    ["whoami"],
    ["profile"],
    ["profile", "list"],
    ["profile", "show"],
    ["profile", "delete"],
    ["profile", "rename"],
    ["migrate"],
    ["doctor"],
    ["backends"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: tiledb-client {' '.join(command)}")
    if command == ["profile"]:
        return
    assert "--json" in text
    if command[0] == "profile":
        assert "--profile-dir DIR" in text
    elif command[0] != "backends":
        assert "--profile NAME" in text
        assert "--profile-dir DIR" in text


def test_every_data_command_takes_json() -> None:
    parser = build_parser()
    for command in COMMANDS:
        if command == ["profile"]:
            continue
        args = parser.parse_args(
            [
                *command,
                *(["x", "y"] if "rename" in command else []),
                *(["x"] if "delete" in command else []),
                "--json",
            ]
        )
        assert args.json is True


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0  # the help (issue 20, finding 7: it was a usage error)
    assert main(["frobnicate"]) == 2
    assert main(["configure", "--token-stdin", "--password-stdin"]) == 2
    assert main(["configure", "--tok", "abc"]) == 2  # no abbreviations
    err = capsys.readouterr().err
    assert "abc" not in err


def _all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _all_parsers(sub)
    return found


def test_no_option_is_guessed_from_a_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    parsers = _all_parsers(build_parser())
    assert len(parsers) > len(COMMANDS)  # the profile subcommands included
    assert [p.prog for p in parsers if p.allow_abbrev] == []
    # `--profile` once meant `--profile-dir` here: it printed nothing, exit status 0.
    assert main(["profile", "list", "--profile", "default"]) == 2
    assert main(["profile", "show", "--profile-d", "lab"]) == 2
    assert main(["login", "--prof", "lab"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_profile_subcommands_take_profile(cli: Cli, vault: Path) -> None:
    cli(
        "configure",
        "--profile",
        "lab",
        "--host",
        "127.0.0.1:9",
        "--workspace",
        "lab",
        "--no-verify",
        "--token-stdin",
        input="tok",
    )
    assert cli("profile", "show", "--profile", "lab", "--json").json()["name"] == "lab"
    assert cli("profile", "show", "lab", "--json").json()["name"] == "lab"
    both = cli("profile", "show", "lab", "--profile", "other", expect=1)
    assert "Two profiles given" in both.stderr
    renamed = cli("profile", "rename", "--profile", "lab", "lab2", "--json").json()
    assert (renamed["old"], renamed["new"]) == ("lab", "lab2")
    assert "Which profile?" in cli("profile", "delete", "--yes", expect=1).stderr
    cli("profile", "delete", "--profile", "lab2", "--yes")
    assert cli("profile", "list", "--json").json()["profiles"] == []


def test_secrets_are_refused_as_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["configure", "--token", "s3cr3t-value"],
        ["configure", "--password=s3cr3t-value"],
        ["login", "--api-key", "s3cr3t-value"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("Error: --")
        assert "shell history" in err
        assert "s3cr3t-value" not in err
    assert main(["configure", "--host", "h", "--frob", "s3cr3t-value"]) == 2
    assert "s3cr3t-value" not in capsys.readouterr().err


def test_errors_have_a_hint_and_no_traceback_unless_verbose(cli: Cli) -> None:
    plain = cli("login", "--profile", "missing", expect=1)
    assert plain.stdout == ""
    assert plain.stderr.startswith("Error: Failed to load configuration profile 'missing'")
    assert "\nHint: " in plain.stderr
    assert "Traceback" not in plain.stderr
    verbose = cli("--verbose", "login", "--profile", "missing", expect=1)
    assert "Traceback (most recent call last)" in verbose.stderr
    assert "Traceback" in cli("login", "--profile", "missing", "-v", expect=1).stderr


def test_secret_input_never_blocks_without_a_terminal(hermetic_env: Path, vault: Path) -> None:
    # stdin is a pipe that stays open: reading it would hang; the command must not read it.
    # (A usable backend is configured: without one, configure stops before any input.)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tiledb.client", "configure", "--host", "h.example"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env({"TILEDB_CLIENT_SECRET_BACKEND": "encrypted-file"}),
        text=True,
    )
    try:
        returncode = proc.wait(timeout=30)
        assert proc.stderr is not None
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert returncode == 1
    assert "standard input is not a terminal" in err
    assert "--token-stdin" in err


def test_stdin_secret_rules(cli: Cli, vault: Path) -> None:
    empty = cli("configure", "--host", "h.example", "--token-stdin", input="", expect=1)
    assert "held no token" in empty.stderr
    lines = cli("configure", "--host", "h.example", "--token-stdin", input="a\nb\n", expect=1)
    assert "several lines" in lines.stderr
    user = cli("configure", "--host", "h.example", "--password-stdin", input="pw", expect=1)
    assert "--password-stdin needs --username" in user.stderr


def test_output_tables_on_a_terminal_and_piped() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, piped = Terminal(), io.StringIO()
    for stream in (terminal, piped):
        out = Output(stdout=stream, stderr=io.StringIO())
        out.table(("name", "host"), [("default", "https://h"), ("lab", None)])
        out.fields([("deployment role", "member")])
    assert piped.getvalue() == "default\thttps://h\nlab\t-\ndeployment_role\tmember\n"
    shown = terminal.getvalue()
    assert "\033[1mNAME" in shown  # bold header, colour on a terminal
    assert "lab      -" in shown
    os.environ["NO_COLOR"] = "1"
    try:
        quiet = Terminal()
        Output(stdout=quiet).table(("name",), [("x",)])
    finally:
        del os.environ["NO_COLOR"]
    assert "\033[" not in quiet.getvalue()
    document = io.StringIO()
    json_out = Output(json_mode=True, stdout=document)
    json_out.print("human text is suppressed")
    json_out.table(("a",), [("b",)])
    json_out.json({"a": 1})
    assert json.loads(document.getvalue()) == {"a": 1}


def test_console_script(tmp_path: Path, hermetic_env: Path) -> None:
    script = Path(sys.executable).with_name("tiledb-client")
    found = str(script) if script.exists() else shutil.which("tiledb-client")
    if found is None:
        pytest.skip("the tiledb-client console script is not installed (pip install -e .)")
    version = subprocess.run(
        [found, "--version"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("tiledb-client ")
    listed = subprocess.run(
        [found, "profile", "list", "--json"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["profiles"] == []
    failed = subprocess.run(
        [found, "login", "--profile", "nope"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: ")


def test_configure_records_a_session_lifetime(cli: Cli, vault: Path, hermetic_env: Path) -> None:
    bad = cli(
        "configure", "--host", "h.example", "--username", "ada", "--password-stdin",
        "--workspace", "acme", "--session-lifetime", "forever", input="pw", expect=1,
    )  # fmt: skip
    assert "--session-lifetime 'forever' is not a duration" in bad.stderr
    token = cli(
        "configure", "--host", "h.example", "--token-stdin", "--session-lifetime", "8h",
        input="tok-ws_2b7c9d1e3f4a5b6c-x", expect=1,
    )  # fmt: skip
    assert "--session-lifetime is for a password profile" in token.stderr
    cli(
        "configure", "--host", "h.example", "--username", "ada", "--password-stdin",
        "--workspace", "acme", "--session-lifetime", "8h", "--no-verify", input="pw",
    )  # fmt: skip
    profiles = json.loads((hermetic_env / ".tiledb" / "profiles.json").read_text())
    assert profiles["default"]["client.session_lifetime"] == "8h"
