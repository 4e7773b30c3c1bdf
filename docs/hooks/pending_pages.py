"""MkDocs hook: navigation entries for pages that other branches are still writing.

The pages below are in ``mkdocs.yml``'s nav, and are written on other branches.
Until a page exists, its nav entry is left out (with an INFO line), so that the
strict build passes; once the file exists it is used as any other page. Any other
nav entry pointing at a missing file still fails the strict build.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

PENDING = frozenset({"performance.md"})

log = logging.getLogger("mkdocs.hooks.pending_pages")


def _prune(nav: list[Any], docs_dir: Path) -> list[Any]:
    kept: list[Any] = []
    for entry in nav:
        if isinstance(entry, dict):
            ((title, target),) = entry.items()
            if isinstance(target, list):
                kept.append({title: _prune(target, docs_dir)})
                continue
            if target in PENDING and not (docs_dir / target).exists():
                log.info("nav: %r is not written yet (%s); left out", title, target)
                continue
        kept.append(entry)
    return kept


def on_config(config: Any) -> Any:
    """Leave out the nav entries of pending pages that do not exist yet."""
    config["nav"] = _prune(config["nav"], Path(config["docs_dir"]))
    return config
