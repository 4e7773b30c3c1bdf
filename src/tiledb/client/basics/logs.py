"""Loggers that import :mod:`logging` only once a record could reach a handler.

While :mod:`logging` is not imported, DEBUG and INFO records are dropped
(docs/performance.md).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

__all__ = ["LazyLogger", "get_logger"]


class LazyLogger:
    """The :class:`logging.Logger` named ``name``, fetched on first real use."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def _get(self) -> logging.Logger:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self.name)
        return self._logger

    def _quiet(self) -> bool:
        return self._logger is None and "logging" not in sys.modules

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at DEBUG, if logging is loaded."""
        if not self._quiet():
            self._get().debug(msg, *args, stacklevel=2, **kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at INFO, if logging is loaded."""
        if not self._quiet():
            self._get().info(msg, *args, stacklevel=2, **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at WARNING."""
        self._get().warning(msg, *args, stacklevel=2, **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        """Log at ERROR."""
        self._get().error(msg, *args, stacklevel=2, **kwargs)

    def __repr__(self) -> str:
        return f"<LazyLogger {self.name!r}>"


def get_logger(name: str) -> LazyLogger:
    """Return a :class:`LazyLogger` for ``name``, e.g. ``__name__``."""
    return LazyLogger(name)
