"""Pieces every mode facade shares: running a clock inside its execution context, dumps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any, TypeVar

import structlog

from backtestkit.bus import Topic

from .context import ExecutionContext, execution_context
from .engine import current_engine, entered_engine
from .path_names import file_name

__all__ = ["in_context", "in_engine", "write_report"]

T = TypeVar("T")
_log = structlog.get_logger("backtestkit.reports")


Bindings = tuple[tuple[ContextVar[Any], Any], ...]
Recorder = tuple[Topic[Any], Callable[[Any], None]]


def in_context(
    results: AsyncIterator[T], context: ExecutionContext, *, recorder: Recorder | None = None
) -> AsyncIterator[T]:
    """Iterate `results` with `context` and the engine current at this call current, and the
    consumer's own while it holds a result (it may run other backtests, or engines, between).
    `recorder` (topic, listener) listens while the run lasts: how a mode records its results."""
    bindings = ((execution_context, context), (entered_engine, current_engine()))
    return _iterate(results, bindings, recorder)


def in_engine(results: AsyncIterator[T]) -> AsyncIterator[T]:
    """Iterate `results` on the engine current at this call, whoever iterates it."""
    return _iterate(results, ((entered_engine, current_engine()),), None)


async def _iterate(
    results: AsyncIterator[T], bindings: Bindings, recorder: Recorder | None
) -> AsyncIterator[T]:
    unsubscribe = None if recorder is None else recorder[0].subscribe(recorder[1])
    tokens: list[Token[Any]] | None = [var.set(value) for var, value in bindings]
    try:
        async for result in results:
            assert tokens is not None
            _reset(bindings, tokens)
            tokens = None
            yield result
            tokens = [var.set(value) for var, value in bindings]
    finally:
        closing = getattr(results, "aclose", None)
        if closing is not None:  # the clock's own cleanup (e.g. live slot writes) runs now
            await closing()
        if unsubscribe is not None:
            unsubscribe()
        if tokens is not None:
            with contextlib.suppress(ValueError):  # finalised from another context
                _reset(bindings, tokens)


def _reset(bindings: Bindings, tokens: list[Token[Any]]) -> None:
    for (var, _value), token in zip(bindings, tokens, strict=True):
        var.reset(token)


def write_report(
    text: str, mode: str, name: str, path: str | Path | None, suffix: str = ".md"
) -> Path:
    """Write a report to `path` (a file, or a directory) or ./dump/<mode>/<name><suffix>;
    `name` is encoded so that it stays inside the folder (`file_name`)."""
    name = file_name(name)
    target = Path(path) if path is not None else Path("dump", mode, f"{name}{suffix}")
    if target.suffix != suffix:
        target = target / f"{name}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    _log.info("report_saved", path=str(target))
    return target
