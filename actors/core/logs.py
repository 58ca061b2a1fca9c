"""structlog set-up: pretty key=value on a terminal, JSON lines otherwise."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import orjson
import structlog

__all__ = ["configure_logging", "log_level"]

_level: str | None = None  # the level configure_logging last set up in this process


def _json(event: Any, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def configure_logging(level: str | None = None, *, force: bool = False) -> None:
    """Configure once; level from `level`, else BACKTESTKIT_LOG_LEVEL, else info."""
    global _level
    if structlog.is_configured() and not force:
        return
    name = (level or os.environ.get("BACKTESTKIT_LOG_LEVEL") or "info").upper()
    numeric = logging.getLevelName(name)
    if not isinstance(numeric, int):
        raise ValueError(f"BACKTESTKIT_LOG_LEVEL: unknown level {name!r}")
    _level = name.lower()
    tty = sys.stderr.isatty()
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if tty else structlog.processors.JSONRenderer(_json)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def log_level() -> str:
    """This process's level, for its worker processes: the one configure_logging set up, else
    BACKTESTKIT_LOG_LEVEL, else info."""
    return _level or (os.environ.get("BACKTESTKIT_LOG_LEVEL") or "info").lower()
