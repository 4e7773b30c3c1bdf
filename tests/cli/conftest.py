"""Run the real ``tiledb-client`` command line in a subprocess.

``cli`` runs ``python -m tiledb.client`` with ``PYTHONPATH`` pointing at ``src/`` and the
test's environment (HOME, backend variables, D-Bus address: whatever the hermetic and
backend fixtures put in ``os.environ``). Every run is recorded, and at teardown no
known secret may appear in any standard output or error of the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.backends import VAULT_PASSPHRASE
from tiledb.client.testing import DEFAULT_PASSWORD, DEFAULT_TOKEN, OWNER_PASSWORD, LocalServer

SRC = str(Path(__file__).parents[2] / "src")
KNOWN_SECRETS = (DEFAULT_TOKEN, DEFAULT_PASSWORD, OWNER_PASSWORD, VAULT_PASSPHRASE)


@dataclass
class Result:
    """One finished run of the command line."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float = 0.0
    terminal: str = ""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr + self.terminal

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:
        return (
            f"tiledb-client {' '.join(self.args)} -> {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child run: the test's own, with src/ importable."""
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.update(extra or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    return env


@dataclass
class Cli:
    """Runs ``python -m tiledb.client`` and records every result."""

    command: Sequence[str] = (sys.executable, "-m", "tiledb.client")
    runs: list[Result] = field(default_factory=list)
    secrets: list[str] = field(default_factory=lambda: list(KNOWN_SECRETS))

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        expect: int | None = 0,
        timeout: float = 60,
        cwd: str | os.PathLike[str] | None = None,
    ) -> Result:
        import time

        started = time.perf_counter()
        proc = subprocess.run(
            [*self.command, *args],
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=child_env(env),
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
        result = Result(
            tuple(args), proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started
        )
        self.runs.append(result)
        if expect is not None:
            assert result.returncode == expect, str(result)
        return result

    def on_terminal(
        self,
        *args: str,
        answers: Sequence[tuple[str, str]] = (),
        env: Mapping[str, str] | None = None,
        expect: int | None = 0,
        timeout: float = 60,
    ) -> Result:
        """Run with a terminal as standard input and controlling terminal (a pty).

        ``answers`` are ``(prompt, text)`` pairs: once ``prompt`` shows on the terminal,
        ``text`` and a newline are typed. Standard output and error stay pipes; what the
        terminal showed (the prompts) is in ``Result.terminal``.
        """
        import pty
        import select
        import time

        master, slave = pty.openpty()
        # A new session whose controlling terminal is the pty, so that getpass uses it.
        trampoline = (
            "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0);"
            " os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
        )
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", trampoline, *self.command[1:], *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(env),
            start_new_session=True,
        )
        os.close(slave)
        shown, pending = b"", list(answers)
        deadline = started + timeout
        try:
            while time.perf_counter() < deadline and proc.poll() is None:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        shown += os.read(master, 4096)
                    except OSError:  # the child closed the terminal
                        break
                if pending and pending[0][0].encode() in shown:
                    prompt, text = pending.pop(0)
                    shown = shown.replace(prompt.encode(), b"[" + prompt.encode() + b"]", 1)
                    os.write(master, text.encode() + b"\n")
            stdout, stderr = proc.communicate(timeout=max(0.1, deadline - time.perf_counter()))
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            shown_text = shown.decode(errors="replace")
            raise AssertionError(
                f"tiledb-client {' '.join(args)} still waiting after {timeout} s;"
                f" the terminal showed: {shown_text!r}; stderr: {stderr.decode()!r}"
            ) from None
        finally:
            os.close(master)
        result = Result(
            tuple(args),
            proc.returncode,
            stdout.decode(),
            stderr.decode(),
            time.perf_counter() - started,
            terminal=shown.decode(errors="replace"),
        )
        self.runs.append(result)
        if expect is not None:
            assert result.returncode == expect, f"{result}\n--- terminal\n{result.terminal}"
        return result

    def leaked(self, extra: Sequence[str] = ()) -> list[tuple[str, Result]]:
        """Return (secret, run) pairs where a secret shows in an output."""
        found = []
        for secret in [*self.secrets, *extra]:
            found.extend((secret, run) for run in self.runs if secret and secret in run.output)
        return found


def session_tokens(server: LocalServer) -> list[str]:
    """API keys the server minted for password logins."""
    return [t.api_key for t in server.tokens if t.name.startswith("login-session")]


@pytest.fixture
def cli(request: pytest.FixtureRequest) -> Iterator[Cli]:
    """Run the command line; fail the test if any known secret shows in any output."""
    runner = Cli()
    yield runner
    server = getattr(request.node, "funcargs", {}).get("local_server")
    extra = session_tokens(server) if isinstance(server, LocalServer) else []
    leaks = runner.leaked(extra)
    assert not leaks, f"secret in output of: {leaks[0][1].args}"
