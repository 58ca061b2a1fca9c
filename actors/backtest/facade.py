"""The Backtest facade (SPEC 6, 14): builds the backtest graph and runs the FrameReplayer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from backtestkit.bus import Bus, Closed, DoneEvent, TickResult

from ..core.context import ExecutionContext
from ..core.engine import EngineLocal, engine_bound
from ..core.facade_support import in_context
from ..core.instances import Instance
from ..core.logs import configure_logging
from ..core.mode_facade import Call, ModeFacade, background_of, run_sync_of
from ..core.registry import registry
from ..core.risk import RiskGate, risk_books
from ..core.schemas import RiskSchema
from ..exchange.exchange import exchange_actor
from ..reports.backtest import backtest_report
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.research_metrics import ResearchMetrics
from ..reports.schedule import Schedule
from ..reports.statistics import backtest_statistics
from ..reports.symbol_reports import SymbolReports
from ..reports.trade_ledger import LedgerRecorder
from ..signal.rejections import SignalRejections
from ..signal.strategy import SignalStateMachine
from .frames import timeline
from .machine import signal_machine
from .replayer import FrameReplayer
from .research import frame_research, stats_series

__all__ = [
    "BACKTEST",
    "STORED_SIGNALS",
    "Backtest",
    "BacktestMode",
    "BacktestRun",
    "ResearchOptions",
    "sharing_books",
]

STORED_SIGNALS = 250


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """Where the latest run of a symbol:strategy ran: the names it was given."""

    symbol: str
    strategy: str
    exchange: str
    frame: str


class ResearchOptions(TypedDict, total=False):
    """`Backtest.research`'s money options, which `Backtest.stats` passes on."""

    capital: float
    risk_free_rate: float


class BacktestInstance(Instance):
    def __init__(self, symbol: str, name: str) -> None:
        super().__init__(symbol, name)
        self.closed: list[Closed] = []  # the reference's newest 250, for its statistics
        self.ledger = LedgerRecorder()  # every closed signal, for research metrics
        self.machine: SignalStateMachine | None = None
        self.run: BacktestRun | None = None

    def record(self, result: TickResult) -> None:
        """A transition: kept when it closes a backtest signal of this symbol:strategy."""
        if (
            type(result) is Closed
            and result.backtest
            and result.symbol == self.symbol
            and result.strategy_name == self.name
        ):
            self.closed.insert(0, result)
            del self.closed[STORED_SIGNALS:]
            self.ledger.add(result)


async def sharing_books(
    results: AsyncIterator[TickResult], risks: list[RiskSchema]
) -> AsyncIterator[TickResult]:
    """Hold the strategy's risk books while the run iterates (decision Q12, SPEC 1.4)."""
    risk_books.acquire(risks)
    try:
        async for result in results:
            yield result
    finally:
        risk_books.release(risks)


class BacktestMode(ModeFacade[BacktestInstance], SymbolReports[BacktestStatistics]):
    """`Backtest`: run / background / stop / get_data / get_report / dump / list / run_sync."""

    mode = folder = "backtest"

    def __init__(self, bus: Bus | None = None) -> None:
        super().__init__(bus, BacktestInstance)

    def run(
        self, symbol: str, *, strategy: str, exchange: str, frame: str
    ) -> AsyncIterator[TickResult]:
        """Validate and reset eagerly; iterate lazily over closed / cancelled results."""
        configure_logging()  # unless the user configured structlog first
        strategy_schema = registry.strategy(strategy)
        exchange_schema = registry.exchange(exchange)
        frame_schema = registry.frame(frame)
        risks = registry.strategy_risks(strategy_schema)
        instance = self._instances.get(symbol, strategy)
        instance.closed.clear()
        instance.ledger.clear()
        Schedule.clear(symbol, strategy)  # SPEC 6.1: the schedule report starts afresh too
        actor = exchange_actor(exchange_schema)
        context = ExecutionContext(symbol, frame_schema.start_ms, True, actor)
        gate = RiskGate([risk_books.get(r) for r in risks], self.bus) if risks else None
        machine = signal_machine(strategy_schema, context, actor, self.bus, gate)
        instance.machine = machine
        instance.run = BacktestRun(symbol, strategy, exchange, frame)
        replayer = FrameReplayer(machine, timeline(frame_schema))
        results = sharing_books(replayer.run(), risks) if risks else replayer.run()
        return in_context(
            results, context, recorder=(self.bus.transition, instance.record, (Closed,))
        )

    background = background_of(run)
    run_sync = run_sync_of(run)

    def _held(self, call: Call) -> BacktestInstance:
        return self._instances.get(call["symbol"], call["strategy"])

    def _until(self, instance: BacktestInstance, result: TickResult) -> bool:
        return instance.machine is not None and instance.machine.stopped

    def _canceller(self, instance: BacktestInstance, call: Call) -> Callable[[], None]:
        def cancel() -> None:
            machine = instance.machine
            if machine is not None:
                machine.stop()
            if machine is None or machine.pending is None:
                self._publish_done(instance, self.bus.done_backtest, _done_event(call))

        return cancel

    async def _finish(self, instance: BacktestInstance, call: Call) -> None:
        await self._emit_done(instance, self.bus.done_backtest, _done_event(call))

    async def stop(self, symbol: str, strategy: str) -> None:
        """Graceful stop: no new signal; an open position's fast-forward completes first."""
        registry.strategy(strategy)
        machine = self._instances.get(symbol, strategy).machine
        if machine is not None:
            machine.stop()

    def clear(self, symbol: str, strategy: str) -> None:
        """Forget the stored results and the state machine of symbol:strategy (SPEC 12.1)."""
        instance = self._instances.find(symbol, strategy)
        if instance is not None:
            instance.closed.clear()
            instance.ledger.clear()
            instance.machine = None
            instance.run = None

    def get_data(self, symbol: str, strategy: str) -> BacktestStatistics:
        registry.strategy(strategy)
        instance = self._instances.get(symbol, strategy)
        return backtest_statistics(instance.closed, instance.ledger.ledger())

    _report = staticmethod(backtest_report)

    def last_run(self, symbol: str, strategy: str) -> BacktestRun | None:
        """The exchange and frame the latest run of symbol:strategy used (None: never run)."""
        registry.strategy(strategy)
        return self._instances.get(symbol, strategy).run

    def get_rejections(self, symbol: str, strategy: str) -> SignalRejections:
        """The signals the latest run of symbol:strategy refused (SPEC 4 validation): their
        count and the first reasons; empty before a run."""
        registry.strategy(strategy)
        machine = self._instances.get(symbol, strategy).machine
        return SignalRejections() if machine is None else machine.rejections.snapshot()

    def research(
        self,
        symbol: str,
        strategy: str,
        *,
        frame: str,
        capital: float = 10_000.0,
        risk_free_rate: float = 0.0,
    ) -> ResearchMetrics:
        """Sortino, Calmar, CAGR, SQN, ... of every closed signal of the last run (not only
        the newest 250 the report keeps) over `frame`'s bars (`reports.research_metrics`;
        equity compounds from `capital`)."""
        return frame_research(
            self.get_data(symbol, strategy),
            registry.frame(frame),
            capital=capital,
            risk_free_rate=risk_free_rate,
        )

    def stats(
        self, symbol: str, strategy: str, *, frame: str, **research: Unpack[ResearchOptions]
    ) -> Any:
        """`get_data` and `research` (its `capital`, `risk_free_rate`) as one pandas Series
        (extra `pandas`)."""
        metrics = self.research(symbol, strategy, frame=frame, **research)
        return stats_series(self.get_data(symbol, strategy), metrics)


def _done_event(call: Call) -> DoneEvent:
    return DoneEvent(
        exchange_name=call["exchange"],
        strategy_name=call["strategy"],
        backtest=True,
        symbol=call["symbol"],
    )


BACKTEST: EngineLocal[BacktestMode] = EngineLocal("Backtest", lambda e: BacktestMode(e.bus))
Backtest = engine_bound(BACKTEST)
