"""Pieces every mode facade shares: running a clock inside its execution context, dumps."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

import structlog

from .context import ExecutionContext, execution_context

__all__ = ["in_context", "write_report"]

T = TypeVar("T")
_log = structlog.get_logger("backtestkit.reports")


async def in_context(results: AsyncIterator[T], context: ExecutionContext) -> AsyncIterator[T]:
    """Iterate `results` with `context` current, and the consumer's own context while it holds
    a result (it may run other backtests in between)."""
    token: contextvars.Token[ExecutionContext | None] | None = execution_context.set(context)
    try:
        async for result in results:
            assert token is not None
            execution_context.reset(token)
            token = None
            yield result
            token = execution_context.set(context)
    finally:
        closing = getattr(results, "aclose", None)
        if closing is not None:  # the clock's own cleanup (e.g. live slot writes) runs now
            await closing()
        if token is not None:
            with contextlib.suppress(ValueError):  # finalised from another context
                execution_context.reset(token)


def write_report(text: str, mode: str, name: str, path: str | Path | None) -> Path:
    """Write a Markdown report to `path` (a file, or a directory) or ./dump/<mode>/<name>.md."""
    target = Path(path) if path is not None else Path("dump", mode, f"{name}.md")
    if target.suffix != ".md":
        target = target / f"{name}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    _log.info("report_saved", path=str(target))
    return target
