"""MkDocs hook: the command-line reference, generated from the argument parser.

A page writes ``<!-- cli-help: profile list -->`` where the help of
``tiledb-client profile list`` belongs; this hook puts there what
``tiledb-client profile list --help`` prints (as a ``text`` block), taken from
:func:`tiledb.client.cli.build_parser`. Nothing is copied by hand, so the page
cannot drift from the parser.

The build fails (the hook raises ``PluginError``) when a marker names an unknown
command, or when a command of the parser has no marker on any page: a new command
must be documented.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^<!-- cli-help:(?P<command>[^>]*)-->$", re.MULTILINE)
HELP_WIDTH = "88"  # argparse wraps help at $COLUMNS - 2


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Yield ``(path, parser)`` for the program and each (sub)command, depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def help_texts() -> dict[str, str]:
    """Map ``"profile list"`` (``""`` for the program) to its ``--help`` text."""
    from tiledb.client.cli import build_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH
    try:
        return {" ".join(path): sub.format_help() for path, sub in commands(build_parser())}
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


_texts: dict[str, str] = {}
_rendered: set[str] = set()


def on_pre_build(config: Any) -> None:
    """Render every command's help once per build."""
    _texts.clear()
    _texts.update(help_texts())
    _rendered.clear()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each ``<!-- cli-help: COMMAND -->`` marker with that command's help."""

    def render(match: re.Match[str]) -> str:
        command = " ".join(match["command"].split())
        if command not in _texts:
            known = ", ".join(repr(name) for name in sorted(_texts))
            raise PluginError(
                f"{page.file.src_path}: <!-- cli-help:{match['command']}--> names no command"
                f" of tiledb-client; known: {known}"
            )
        _rendered.add(command)
        shown = " ".join(("tiledb-client", command, "--help")).replace("  ", " ")
        return f"```text\n$ {shown}\n{_texts[command].rstrip()}\n```"

    return MARKER.sub(render, markdown)


def on_post_build(config: Any) -> None:
    """Fail the build when a command of the parser has no marker on any page."""
    missing = sorted(set(_texts) - _rendered)
    if missing:
        shown = ", ".join(repr(name) for name in missing)
        raise PluginError(
            f"tiledb-client commands without a <!-- cli-help: ... --> marker on any page: {shown}"
        )
