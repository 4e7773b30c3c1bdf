"""Parse JSON read from a file: one error, quoting no text, for every way it is not JSON."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["NotJsonError", "parse_json"]


class NotJsonError(ValueError):
    """The text is not JSON this library can read; the message never quotes it."""


def parse_json(text: str | bytes) -> Any:
    """Return the JSON value of ``text``; NotJsonError for bad JSON or too deep a nesting."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # JSONDecodeError.msg and the position never include the document's text.
        where = f"line {exc.lineno} column {exc.colno} (char {exc.pos})"
        raise NotJsonError(f"it is not JSON ({exc.msg}: {where})") from None
    except UnicodeDecodeError:
        raise NotJsonError("it is not UTF-8 text") from None
    except RecursionError:
        raise NotJsonError("it nests arrays or objects too deeply to be read") from None
