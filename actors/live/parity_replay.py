"""Replaying a live recording as a backtest: the same strategy, ticked at the recorded minutes on
the recorded candles (or another history), on a private bus so no listener or report sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from backtestkit.bus import Bus, SignalRow, TickResult

from ..backtest.machine import signal_machine
from ..core.context import ExecutionContext, execution_context
from ..core.registry import registry
from ..core.risk import RiskBook, RiskGate
from ..core.schemas import ExchangeSchema, StrategySchema
from ..market.candle_sources import CandleSource
from ..market.candles import Candles, CandleTable
from ..signal.strategy import SignalStateMachine
from .live_exchange import LiveExchange
from .recording_reader import RecordedRun, Recording
from .ticker import TICK_TTL_MS

__all__ = [
    "RecordedCandles",
    "Replay",
    "RestartNote",
    "Timeline",
    "replay_recording",
    "run_timeline",
]

Timeline = Literal["recorded", "regular"]
TRANSITIONS = ("opened", "closed", "cancelled")


class RecordedCandles:
    """The recorded candles as history: the last served version of each, by timestamp."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self._tables: dict[tuple[str, str], CandleTable] = {}

    def table(self, symbol: str, interval: str) -> CandleTable:
        key = (symbol, interval)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = self.recording.table(symbol, interval)
        return table

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> Candles:
        table = self.table(symbol, interval)
        lo = table.first_at_or_after(since_ms)
        return table.view(lo, min(lo + max(limit, 0), table.n))


@dataclass(frozen=True, slots=True)
class RestartNote:
    """At a live restart: what live restored from disk vs what the replay held."""

    when: int
    live_pending: str | None
    live_scheduled: str | None
    replay_pending: str | None
    replay_scheduled: str | None
    explained: bool  # the difference comes from a crash right after the last recorded tick


@dataclass(slots=True)
class Replay:
    results: list[tuple[int, TickResult]] = field(default_factory=list)  # (tick, transition)
    ticks: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (tick, error)
    restarts: list[RestartNote] = field(default_factory=list)


def run_timeline(run: RecordedRun, timeline: Timeline) -> list[int]:
    """The minutes the replay ticks for one run: the recorded ones, or the nominal live
    schedule from the run's first tick (every TICK_TTL_MS) to its last."""
    if timeline == "recorded" or not run.ticks:
        return run.ticks
    first, last = run.ticks[0], run.ticks[-1]
    return list(range(first, last + 1, TICK_TTL_MS))


def _slot_id(row: SignalRow | None) -> str | None:
    return None if row is None else row.id


async def replay_recording(
    recording: Recording,
    schema: StrategySchema,
    *,
    candles: CandleSource | None = None,
    timeline: Timeline = "recorded",
) -> Replay:
    """Tick a fresh state machine over every run; at a restart adopt the slots live restored."""
    out = Replay()
    runs = recording.runs
    if not runs:
        return out
    bus = Bus()
    source = candles if candles is not None else RecordedCandles(recording)
    exchange = LiveExchange(ExchangeSchema(name=runs[0].exchange, candles=source))
    books = [RiskBook(risk) for risk in registry.strategy_risks(schema)]
    held: tuple[SignalRow | None, SignalRow | None] = (None, None)
    changed_at: int | None = None  # the last tick that changed the replay's slots
    for index, run in enumerate(runs):
        if index > 0:
            out.restarts.append(_restart(run, held, runs[index - 1], changed_at))
        context = ExecutionContext(run.symbol, run.started, True, exchange)
        machine = _machine(schema, run, exchange, bus, context, books)
        token = execution_context.set(context)
        try:
            for when in run_timeline(run, timeline):
                out.ticks += 1
                slots = (machine.pending, machine.scheduled)
                try:
                    result = await machine.tick(when)
                except Exception as exc:
                    out.failures.append((when, f"{type(exc).__name__}: {exc}"))
                    continue
                if result is not None and result.action in TRANSITIONS:
                    out.results.append((when, result))
                if slots[0] is not machine.pending or slots[1] is not machine.scheduled:
                    changed_at = when
        finally:
            execution_context.reset(token)
        held = (machine.pending, machine.scheduled)
    return out


def _machine(
    schema: StrategySchema,
    run: RecordedRun,
    exchange: LiveExchange,
    bus: Bus,
    context: ExecutionContext,
    books: list[RiskBook],
) -> SignalStateMachine:
    machine = signal_machine(
        schema, context, exchange, bus, RiskGate(books, bus) if books else None
    )
    machine.pending, machine.scheduled = run.pending, run.scheduled  # as live restored them
    for book in books:
        if run.pending is None:
            book.remove(schema.name, run.symbol)
        else:
            book.add(schema.name, run.symbol)
    return machine


def _restart(
    run: RecordedRun,
    held: tuple[SignalRow | None, SignalRow | None],
    previous: RecordedRun,
    changed_at: int | None,
) -> RestartNote:
    live = (_slot_id(run.pending), _slot_id(run.scheduled))
    replay = (_slot_id(held[0]), _slot_id(held[1]))
    # A crash between recording a tick and persisting (or clearing) its slots leaves live one
    # change behind the replay: only a change at the run's last recorded tick explains it.
    crashed_after_last = bool(previous.ticks) and changed_at == previous.ticks[-1]
    return RestartNote(
        when=run.started,
        live_pending=live[0],
        live_scheduled=live[1],
        replay_pending=replay[0],
        replay_scheduled=replay[1],
        explained=live == replay or crashed_after_last,
    )
