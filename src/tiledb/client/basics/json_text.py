"""Parse JSON read from a file, with one error for every way the text is not JSON.

``json.loads`` raises ``JSONDecodeError`` for bad syntax but ``RecursionError`` for
arrays or objects nested a few thousand deep (``[[[[...]]]]``), which no caller
expects. :func:`parse_json` turns both into :class:`NotJsonError`, whose message
never quotes the text (it may hold a secret): only a position, or the nesting.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["NotJsonError", "parse_json"]


class NotJsonError(ValueError):
    """The text is not JSON this library can read; the message says why, without quoting it.

    Examples
    --------
    ``"it is not JSON (Expecting value: line 1 column 1 (char 0))"`` or
    ``"it nests arrays or objects too deeply to be read"``.
    """


def parse_json(text: str | bytes) -> Any:
    """Return the JSON value of ``text``.

    Parameters
    ----------
    text : str or bytes
        e.g. ``'{"version": 1}'``.

    Raises
    ------
    NotJsonError
        When ``text`` is not valid JSON or nests too deeply for Python to read.
    """
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
