"""The worker side of the bias analyzer: get_signal asked again on truncated history.

Each worker process registers the analyzed schemas once (the walker's payload), then answers
chunks of re-runs. During a re-run the strategy gets nothing but what the truncated exchange
serves. Two guards make a read outside it fail, so the strategy answers differently and is
reported: the kernel's (`sandbox.enforce_reads`: Landlock, for every reader, C libraries
included, from the moment the schemas are loaded) and an audit hook armed around each call
(Python `open` and `sqlite3.connect` of a path outside the readable roots: the only guard
where Landlock is missing). Both leave the interpreter, site-packages and tzdata readable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import os
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.context import ExecutionContext, execution_context
from ..core.engine import Engine
from ..core.registry import registry
from ..exchange.exchange import ExchangeActor
from ..market.table_source import TableSource
from ..workers.payload import engine_from_file
from .decisions import Decision
from .sandbox import CODE_SUFFIXES, Guard, enforce_reads, readable_roots
from .truncation import TruncatedCandles, visible_until

__all__ = ["RerunChunk", "RerunJob", "ask", "ready", "rerun_chunk", "start_worker"]


_sandboxed = False
_hooked = False
_engine: Engine | None = None  # this worker's schemas and config (start_worker)
_guard = Guard("audit-hook", "worker not started")
_roots: tuple[str, ...] = ()  # readable in full (interpreter, site-packages, tzdata, ...)


@dataclass(frozen=True, slots=True)
class RerunJob:
    """Ask `strategy` at `when` with history from `start` (None: from the first candle)."""

    strategy: str
    when: int
    start: int | None


@dataclass(frozen=True, slots=True)
class RerunChunk:
    symbol: str
    exchange: str
    safe: bool
    jobs: tuple[RerunJob, ...]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _sandboxed or event not in ("open", "sqlite3.connect") or not args:
        return
    path = args[0]
    if isinstance(path, int) or path is None or path in (":memory:", b":memory:", ""):
        return
    name = os.path.realpath(os.fsdecode(path))
    if name.endswith(CODE_SUFFIXES) or os.path.isdir(name):
        return  # imports may run inside get_signal
    if any(name == r or name.startswith(r.rstrip("/") + "/") for r in _roots):
        return  # the interpreter's own files, tzdata (a lazy ZoneInfo)
    raise PermissionError(f"get_signal opened {name!r} outside get_candles")


def start_worker(payload_path: str) -> None:
    """Process-pool initializer: the schemas (a pickled payload file, read by each worker
    rather than piped to each in turn), then the read guards (both stay for life)."""
    global _engine, _hooked, _guard, _roots
    _engine = engine_from_file(payload_path)
    _roots = tuple(os.path.realpath(r) for r in readable_roots())
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    _guard = enforce_reads()


def ready() -> Guard:
    """A no-op task (one per worker starts the processes early): how reads are guarded."""
    return _guard


async def _finish(answer: Awaitable[Any]) -> Any:
    return await answer


def ask(get_signal: Any, symbol: str, when: int, exchange: ExchangeActor) -> Decision:
    """get_signal's decision at `when` with `exchange` serving the candles."""
    global _sandboxed
    token = execution_context.set(ExecutionContext(symbol, when, True, exchange))
    _sandboxed = _hooked
    try:
        answer = get_signal(symbol, datetime.fromtimestamp(when / 1000, tz=UTC))
        if inspect.isawaitable(answer):
            answer = asyncio.run(_finish(answer))
        return Decision.of(when, answer)
    except Exception as exc:
        return Decision.failed(when, exc)
    finally:
        _sandboxed = False
        execution_context.reset(token)


def rerun_chunk(chunk: RerunChunk) -> list[Decision]:
    """Pool task: one decision per job, each on its own truncated exchange."""
    assert _engine is not None, "start_worker did not run or its payload file was gone"
    with _engine:
        return _decisions(chunk)


def _decisions(chunk: RerunChunk) -> list[Decision]:
    schema = registry.exchange(chunk.exchange)
    source = schema.candles
    assert isinstance(source, TableSource)
    out: list[Decision] = []
    for job in chunk.jobs:
        cut = TruncatedCandles(source, visible_until(job.when, chunk.safe), job.start)
        exchange = ExchangeActor(dataclasses.replace(schema, candles=cut))
        get_signal = registry.strategy(job.strategy).get_signal
        out.append(ask(get_signal, chunk.symbol, job.when, exchange))
    return out
