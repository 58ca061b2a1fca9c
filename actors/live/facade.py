"""The Live facade (SPEC 11, 14): builds the live graph and runs the MinuteTicker."""

from __future__ import annotations

import builtins
import functools
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import structlog

from backtestkit.bus import Bus, DoneEvent, TickResult

from ..backtest.machine import signal_machine
from ..broker import Broker, BrokerActor, OrderJournal
from ..core.context import ExecutionContext
from ..core.engine import EngineLocal, engine_bound
from ..core.facade_support import in_context
from ..core.instances import Instance
from ..core.logs import configure_logging
from ..core.mode_facade import Call, ModeFacade, background_of
from ..core.registry import registry
from ..core.risk import RiskBook, RiskGate
from ..reports.live import live_report
from ..reports.live_statistics import LiveEventLog, LiveStatistics
from ..reports.schedule import Schedule
from ..reports.symbol_reports import SymbolReports
from ..signal.strategy import SignalStateMachine
from .clock import Clock, WallClock
from .live_exchange import LiveExchange
from .persistence import (
    CorruptStateError,
    JsonStateStore,
    SignalStore,
    check_name,
    symbol_path_name,
)
from .recorded_exchange import RecordedExchange
from .recording import RecordingWriter, recording_path
from .state import LiveRiskBooks, LiveState
from .ticker import MinuteTicker

__all__ = ["DEFAULT_STATE_DIR", "Live", "LiveMode"]

_log = structlog.get_logger("backtestkit.live")
DEFAULT_STATE_DIR = Path("dump", "data")


class LiveInstance(Instance):
    def __init__(self, symbol: str, name: str) -> None:
        super().__init__(symbol, name)
        self.log = LiveEventLog()
        self.machine: SignalStateMachine | None = None
        self.state: LiveState | None = None
        self.ticker: MinuteTicker | None = None


class LiveMode(ModeFacade[LiveInstance], SymbolReports[LiveStatistics]):
    """`Live`: run / background / stop / get_data / get_report / dump / list."""

    mode = folder = "live"

    def __init__(self, bus: Bus | None = None) -> None:
        super().__init__(bus, LiveInstance)
        self.risk_books = LiveRiskBooks()

    def run(
        self,
        symbol: str,
        *,
        strategy: str,
        exchange: str,
        clock: Clock | None = None,
        state_dir: str | Path | SignalStore | None = None,
        record: bool | RecordingWriter = True,
        stop_at: int | datetime | None = None,
        adopt: bool = False,
        broker: Broker | BrokerActor | None = None,
    ) -> AsyncIterator[TickResult]:
        """Validate and reset eagerly; tick forever, yielding opened / closed / cancelled.

        `broker` (a Broker such as PaperBroker or CcxtBroker, or a ready BrokerActor) places
        the orders: its write-ahead journal lives in `<state_dir>/broker/<symbol>_<strategy>.jsonl`.

        `state_dir` (default ./dump/data) may also be a SignalStore (a JsonStateStore with a
        phase hook, or a store of your own).
        `record` (default on) appends the ticks, served candles and results to
        `<state_dir>/recording/<symbol>_<strategy>.rec` for `parity`; a RecordingWriter may be
        given instead (e.g. with a phase hook). `stop_at` (ms UTC or an aware datetime) acts
        as `Live.stop` at the first tick at or after it. A replay over `ReplayCandles` ends by
        itself before its first tick past the data; an open position stays on disk. The run
        holds the state dir's lock (one process at a time); a persisted row naming another
        exchange, strategy or symbol stops it with ForeignStateError unless `adopt` takes that
        row over under this run's names.
        """
        configure_logging()  # unless the user configured structlog first
        strategy_schema = registry.strategy(strategy)
        exchange_schema = registry.exchange(exchange)
        risks = registry.strategy_risks(strategy_schema)
        symbol_name = symbol_path_name(symbol)
        check_name("strategy", strategy)
        clock = clock if clock is not None else WallClock()
        if isinstance(state_dir, SignalStore):
            store = state_dir
        else:
            store = JsonStateStore(state_dir if state_dir is not None else DEFAULT_STATE_DIR)
        instance = self._instances.get(symbol, strategy)
        instance.log = LiveEventLog()
        Schedule.clear(symbol, strategy)  # SPEC 11.1
        recorder: RecordingWriter | None = None
        if isinstance(record, RecordingWriter):
            recorder = record
        elif record:
            recorder = RecordingWriter(recording_path(store.base_dir, symbol_name, strategy))
        actor = (
            LiveExchange(exchange_schema)
            if recorder is None
            else RecordedExchange(exchange_schema, recorder)
        )
        context = ExecutionContext(symbol, clock.now(), False, actor)
        books: builtins.list[RiskBook] = []
        unreadable: builtins.list[CorruptStateError] = []
        for risk in risks:
            try:
                books.append(self.risk_books.get(store, risk))
            except CorruptStateError as exc:  # quarantined; reported and refused at restore
                unreadable.append(exc)
                books.append(self.risk_books.get(store, risk))  # starts empty once moved aside
        gate = RiskGate(books, self.bus) if books else None
        machine = signal_machine(strategy_schema, context, actor, self.bus, gate)
        state = LiveState(store, machine, books, self.risk_books, self.bus.error.publish)
        state.unreadable.extend(unreadable)
        instance.machine, instance.state = machine, state
        broker_actor: BrokerActor | None = None
        if isinstance(broker, BrokerActor):
            broker_actor = broker
        elif broker is not None:
            journal = OrderJournal(store.path("broker", f"{symbol_name}_{strategy}.jsonl"))
            broker_actor = BrokerActor(
                broker, journal, symbol=symbol, bus=self.bus, sizing=strategy_schema.sizing
            )
        ticker = MinuteTicker(
            machine,
            state,
            clock,
            recorder=recorder,
            stop_at=_instant_ms(stop_at, "stop_at"),
            adopt=adopt,
            broker=broker_actor,
        )
        instance.ticker = ticker
        log = instance.log

        def log_result(result: TickResult) -> None:  # every live result, idle ones too
            if result.symbol == symbol and result.strategy_name == strategy:
                log.record(result, clock.now())

        results = ticker.run() if broker_actor is None else _closing(ticker.run(), broker_actor)
        return in_context(results, context, recorder=(self.bus.signal_live, log_result, None))

    background = background_of(run)

    def _held(self, call: Call) -> LiveInstance:
        return self._instances.get(call["symbol"], call["strategy"])

    def _until(self, instance: LiveInstance, result: TickResult) -> bool:
        machine = instance.machine
        return result.action == "closed" and machine is not None and machine.stopped

    def _canceller(self, instance: LiveInstance, call: Call) -> Callable[[], None]:
        """A graceful stop (SPEC 11.2 + Q7)."""
        return functools.partial(self._stop, instance)

    async def _finish(self, instance: LiveInstance, call: Call) -> None:
        event = DoneEvent(
            exchange_name=call["exchange"],
            strategy_name=call["strategy"],
            backtest=False,
            symbol=call["symbol"],
        )
        await self._emit_done(instance, self.bus.done_live, event)

    def _stop(self, instance: LiveInstance) -> None:
        if instance.ticker is None:
            return
        instance.ticker.stop()
        _log.info("live_stop_requested", symbol=instance.symbol, strategy=instance.name)

    async def stop(self, symbol: str, strategy: str) -> None:
        """No new signal from now on; an open position is monitored until it closes (Q7)."""
        registry.strategy(strategy)
        self._stop(self._instances.get(symbol, strategy))

    def get_data(self, symbol: str, strategy: str) -> LiveStatistics:
        registry.strategy(strategy)
        return self._instances.get(symbol, strategy).log.statistics()

    _report = staticmethod(live_report)

    def reset(self) -> None:
        """Forget every instance and live risk book (test isolation)."""
        super().reset()
        self.risk_books.clear()


async def _closing(
    results: AsyncIterator[TickResult], broker: BrokerActor
) -> AsyncIterator[TickResult]:
    try:
        async for result in results:
            yield result
    finally:
        await results.aclose()  # type: ignore[attr-defined]
        await broker.close()


def _instant_ms(value: int | datetime | None, name: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return int(value.timestamp() * 1000)
    raise ValueError(f"Live.run: {name} must be ms UTC or an aware datetime, got {value!r}")


Live = engine_bound(EngineLocal("Live", lambda engine: LiveMode(engine.bus)))
