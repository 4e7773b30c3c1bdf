"""Issue 22, finding 10: what a person typed comes back escaped, and an empty command is named."""

from __future__ import annotations

import pytest

from tiledb.client.testing import DEFAULT_TOKEN

from .conftest import Cli

ENV = {"TILEDB_REST_TOKEN": DEFAULT_TOKEN, "TILEDB_REST_SERVER_ADDRESS": "http://127.0.0.1:9"}
TITLE = "\x1b]0;pwned\x07"  # would retitle the terminal
RED = "\x1b[31mred"


def test_exec_of_an_empty_command_is_a_usage_error(cli: Cli) -> None:
    result = cli("exec", "--", "", env=ENV, expect=2)
    assert "No command given" in result.stderr
    assert "internal error" not in result.output


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("exec", "--", RED), ENV),
        (("whoami", "--profile-dir", f"/nonexistent/{TITLE}"), {}),
        (("whoami",), {"TILEDB_PROFILE_DIR": f"/nonexistent/{TITLE}"}),
    ],
    ids=["exec-command-name", "--profile-dir", "TILEDB_PROFILE_DIR"],
)
def test_errors_show_control_characters_escaped(
    cli: Cli, args: tuple[str, ...], env: dict[str, str]
) -> None:
    result = cli(*args, env=env, expect=None)
    assert result.returncode != 0
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b" in result.stderr  # what was typed, visible
