"""Run the blocks of one documentation page in a sandbox, against the bundled server.

A page gets a fresh directory (its working directory), the test's HOME, a private
Secret Service, and a :class:`~tiledb.client.testing.ServerProcess`. The pages are
written for a reader with a real server, so before a block runs these names are
replaced (in commands, code and expected output alike):

====================================  ==============================================
in the docs                           in the sandbox
====================================  ==============================================
``https://api.example.com``           the bundled server's URL
``api.example.com``                   the bundled server's URL
``/home/ada``                         the sandbox's HOME
``$TILEDB_TOKEN`` (set in the env)    an API token of ``ada`` in ``acme`` (as a CI
                                      system would inject it)
====================================  ==============================================

A hidden prompt (``... (input hidden): ``) is answered with that token, or with
``ada``'s password for a password prompt, as a person would type it.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import selectors
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping
from configparser import ConfigParser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from tests.docs.collector import Block

COMMAND_TIMEOUT = 60.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_INSTALLS = re.compile(r"\bpip3?\s+(?:install|uninstall)\b")
_BASH_NOISE = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})
# A command that fails on purpose says so at its end, as a shell comment: `# exit 1`.
_EXIT_MARKER = re.compile(r"(?:^|\s)#\s*exit\s+(?P<status>\d+)\s*$")


@dataclass
class Sandbox:
    """Where a page's blocks run, and what they share."""

    directory: Path
    substitutions: Mapping[str, str]
    answers: Mapping[str, str]
    env: dict[str, str]
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__"})
    ran: list[str] = field(default_factory=list)

    def substitute(self, text: str) -> str:
        for placeholder, value in self.substitutions.items():
            text = text.replace(placeholder, value)
        return text

    def run(self, block: Block) -> None:
        """Run one block; raise ``AssertionError`` (with the output) when it fails."""
        kind = block.kind
        parse_format(block)
        if kind == "skip":
            return
        if kind == "file":
            path = self.directory / block.title  # type: ignore[operator]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.substitute(block.body), encoding="utf-8")
        elif kind == "python":
            self.run_python(block)
        elif kind == "console":
            self.run_console(block)
        else:
            self.run_command(block, self.substitute(block.body), expected=None)
        self.ran.append(block.where)

    def run_python(self, block: Block) -> None:
        source = self.substitute(block.body)
        code = compile("\n" * (block.line) + source, block.where, "exec")
        saved_cwd = Path.cwd()
        saved_env = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)
        os.chdir(self.directory)
        try:
            exec(code, self.namespace)  # noqa: S102 - running the documentation's examples
        except Exception as exc:
            names = {cls.__name__ for cls in type(exc).__mro__}
            if block.raises is None or block.raises not in names:
                raise
        else:
            if block.raises is not None:
                raise AssertionError(f"{block.where}: expected {block.raises}, nothing raised")
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)

    def run_console(self, block: Block) -> None:
        for command, expected in console_steps(self.substitute(block.body)):
            if _INSTALLS.search(command) and "--target" not in command:
                raise AssertionError(
                    f"{block.where}: $ {command}\nwould change the test environment's packages:"
                    " install with --target into the sandbox, or mark the block"
                    " <!-- docs-test: skip REASON -->"
                )
            if expected and not any(_normalize(line) not in ("", "...") for line in expected):
                raise AssertionError(
                    f"{block.where}: $ {command}\nits expected output is only `...`, which"
                    " matches anything: show at least one line the command prints"
                )
            self.run_command(block, command, expected, exit_status=expected_status(command))

    def run_command(
        self, block: Block, command: str, expected: list[str] | None, *, exit_status: int = 0
    ) -> None:
        """Run ``command``: it must end with ``exit_status`` and print ``expected`` if given."""
        state = self.directory / ".docs-test-env"
        script = (
            f"cd {_quote(self.env.get('PWD', str(self.directory)))}\n{command}\n"
            f"__status=$?; env -0 > {_quote(str(state))}; exit $__status\n"
        )
        status, output = run_in_pty(
            ["bash", "--noprofile", "--norc", "-c", script], self.env, self.answers
        )
        where = f"{block.where}: $ {command}"
        if state.exists():
            fresh = dict(
                item.split("=", 1) for item in state.read_text().split("\0") if "=" in item
            )
            state.unlink()
            self.env = {k: v for k, v in fresh.items() if k not in _BASH_NOISE or k == "PWD"}
        if expected:
            mismatch = compare(output, expected)
            assert mismatch is None, f"{where}\n{mismatch}\n--- output ---\n{output}"
        if status != exit_status:
            raise AssertionError(
                f"{where}\nexit status {status}, expected {exit_status}"
                f" (a step that fails on purpose ends with `# exit N`)\n--- output ---\n{output}"
            )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def expected_status(command: str) -> int:
    """The exit status a step's command must end with: 0, or ``N`` of a final ``# exit N``.

    >>> expected_status("grep -c rest.token profiles.json  # exit 1")
    1
    """
    marker = _EXIT_MARKER.search(command)
    return int(marker["status"]) if marker else 0


def console_steps(body: str) -> list[tuple[str, list[str]]]:
    """Split a console block into ``(command, expected output lines)``.

    A command ends at a line without a trailing backslash; output lines follow until
    the next ``$ `` line.
    """
    steps: list[tuple[str, list[str]]] = []
    lines = body.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            if line.strip():
                raise AssertionError(f"console output before any command: {line!r}")
            index += 1
            continue
        command = [line[2:]]
        while command[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            command.append(lines[index])
        index += 1
        output: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        while output and not output[-1].strip():
            output.pop()
        steps.append(("\n".join(command), output))
    return steps


def _normalize(line: str) -> str:
    return " ".join(line.split())


def compare(output: str, expected: list[str]) -> str | None:
    """Match ``output`` against ``expected`` lines; ``None`` when they match."""
    actual = [_normalize(line) for line in output.splitlines() if line.strip()]
    wanted = [_normalize(line) for line in expected if line.strip()]
    pattern = []
    for line in wanted:
        if line == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pieces = (re.escape(piece) for piece in line.split("..."))
            pattern.append("[^\n]*?".join(pieces) + r"\n")
    regex = re.compile("".join(pattern) + r"\Z", re.DOTALL)
    text = "".join(line + "\n" for line in actual)
    if regex.match(text):
        return None
    return "--- expected ---\n" + "\n".join(expected)


def run_in_pty(
    argv: list[str], env: Mapping[str, str], answers: Mapping[str, str]
) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal; answer hidden prompts; return (status, output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(env),
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    answered = 0
    deadline = time.monotonic() + COMMAND_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(master, selectors.EVENT_READ)
        while True:
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                os.close(master)
                text = _clean(b"".join(chunks))
                raise AssertionError(f"timed out after {COMMAND_TIMEOUT} s\n{text}")
            if not selector.select(timeout=0.2):
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has exited
                break
            if not data:
                break
            chunks.append(data)
            text = _clean(b"".join(chunks))
            prompts = text.count("(input hidden): ")
            while answered < prompts:
                tail = text.rsplit("\n", 1)[-1].lower()
                answer = next((a for p, a in answers.items() if p in tail), None)
                if answer is None:
                    raise AssertionError(f"no answer for the prompt {tail!r}")
                os.write(master, answer.encode() + b"\n")
                answered += 1
    os.close(master)
    status = process.wait(timeout=COMMAND_TIMEOUT)
    return status, _clean(b"".join(chunks))


def _clean(data: bytes) -> str:
    return _ANSI.sub("", data.decode("utf-8", "replace")).replace("\r\n", "\n").replace("\r", "")


def parse_format(block: Block) -> None:
    """Parse a JSON, TOML, YAML or INI block; raise ``AssertionError`` when it is invalid."""
    language, text = block.language, block.body
    try:
        if language == "json" and "…" not in text:
            json.loads(text)
        elif language == "toml":
            tomllib.loads(text)
        elif language in ("yaml", "yml"):
            import yaml

            list(yaml.safe_load_all(text))
        elif language == "ini":
            ConfigParser(strict=False, interpolation=None).read_string(text)
    except Exception as exc:
        raise AssertionError(f"{block.where}: invalid {language}: {exc}") from exc


def python_executable_dir() -> str:
    """The directory of this interpreter, first on the sandbox's PATH."""
    return str(Path(sys.executable).parent)
