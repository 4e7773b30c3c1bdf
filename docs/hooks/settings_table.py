"""MkDocs hook: the precedence table of session settings, generated from the code.

``<!-- settings-table -->`` on a page becomes a table with one row per entry of
:data:`tiledb.client.session.settings.SETTINGS`, the table ``login()`` resolves
settings with: the argument, the environment variable, the profile key and the
default. A setting added to the code appears here on the next build.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- settings-table -->"


def settings_table() -> str:
    """Return the Markdown table of every setting, in the order of ``SETTINGS``."""
    from tiledb.client.session.settings import SETTINGS
    from tiledb.client.storage import profile_keys

    rows = [
        "| setting | 1. argument | 2. environment variable | 3. profile | 4. default |",
        "|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        if setting.secret:
            profile = (
                f"its secret backend (`{profile_keys.SECRET_BACKEND}`,"
                f" `{profile_keys.SECRET_ID}`); legacy: `{setting.profile_key}` in plain text"
            )
        else:
            profile = f"`{setting.profile_key}`" if setting.profile_key else "-"
        default = "-" if setting.default is None else f"`{setting.default!r}`"
        secret = " (secret)" if setting.secret else ""
        rows.append(
            f"| `{setting.name}`{secret} | `{setting.name}=` | `{setting.env}` | {profile}"
            f" | {default} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace ``<!-- settings-table -->`` with the generated table."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, settings_table())
