"""Pieces every mode facade shares: running a clock inside its execution context, dumps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any, TypeVar

import structlog

from backtestkit.bus import Topic, Unsubscribe

from .context import ExecutionContext, execution_context
from .engine import Engine, current_engine, entered_engine
from .path_names import file_name

__all__ = ["collected", "in_context", "in_engine", "write_report"]

T = TypeVar("T")
_log = structlog.get_logger("backtestkit.reports")


# (topic, listener, the result types it records: None for all)
Recorder = tuple[Topic[Any], Callable[[Any], None], tuple[type, ...] | None]
Tokens = tuple[Token[Any] | None, Token[Any]]  # the execution context's (if set), the engine's


# set while a run is made for a consumer that runs nothing between its results (run_sync)
_collected: ContextVar[bool] = ContextVar("backtestkit_collected", default=False)


@contextlib.contextmanager
def collected() -> Iterator[None]:
    """Runs made inside are iterated by a collector that runs no code of its own between
    results: their context stays current for the whole run, not swapped around each result."""
    token = _collected.set(True)
    try:
        yield
    finally:
        _collected.reset(token)


def in_context(
    results: AsyncIterator[T], context: ExecutionContext, *, recorder: Recorder | None = None
) -> AsyncIterator[T]:
    """Iterate `results` with `context` and the engine current at this call current, and the
    consumer's own while it holds a result (it may run other backtests, or engines, between;
    not when `collected`). `recorder` (topic, listener, kinds) listens while the run lasts:
    how a mode records its results."""
    return _iterate(results, context, current_engine(), recorder, swap=not _collected.get())


def _record(recorder: Recorder | None) -> Unsubscribe | None:
    if recorder is None:
        return None
    topic, listener, kinds = recorder
    return topic.subscribe(listener, kinds=kinds)


def in_engine(results: AsyncIterator[T]) -> AsyncIterator[T]:
    """Iterate `results` on the engine current at this call, whoever iterates it."""
    return _iterate(results, None, current_engine(), None)


async def _iterate(
    results: AsyncIterator[T],
    context: ExecutionContext | None,
    engine: Engine,
    recorder: Recorder | None,
    *,
    swap: bool = True,
) -> AsyncIterator[T]:
    """`swap`: the consumer's own context while it holds a result, else the run's throughout."""
    unsubscribe = _record(recorder)
    tokens: Tokens | None = _bind(context, engine)
    try:
        async for result in results:
            if swap:
                assert tokens is not None
                _reset(tokens)
                tokens = None
            yield result
            if swap:
                tokens = _bind(context, engine)
    finally:
        await _close(results, unsubscribe, tokens)


def _bind(context: ExecutionContext | None, engine: Engine) -> Tokens:
    """Make `context` (when given) and `engine` current; their tokens, to reset them."""
    return (
        None if context is None else execution_context.set(context),
        entered_engine.set(engine),
    )


async def _close(
    results: AsyncIterator[T],
    unsubscribe: Unsubscribe | None,
    tokens: Tokens | None,
) -> None:
    """A run's end, or its consumer's leaving: the clock's own cleanup (e.g. live slot
    writes) runs now, the recorder stops, the context goes back to what it was."""
    closing = getattr(results, "aclose", None)
    if closing is not None:
        await closing()
    if unsubscribe is not None:
        unsubscribe()
    if tokens is not None:
        with contextlib.suppress(ValueError):  # finalised from another context
            _reset(tokens)


def _reset(tokens: Tokens) -> None:
    context_token, engine_token = tokens
    if context_token is not None:
        execution_context.reset(context_token)
    entered_engine.reset(engine_token)


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
