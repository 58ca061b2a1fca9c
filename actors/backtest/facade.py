"""The Backtest facade (SPEC 6, 14): builds the backtest graph and runs the FrameReplayer."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from backtestkit.bus import Bus, Closed, DoneEvent, TickResult, current_bus, start_detached

from ..core.blocking import run_blocking
from ..core.context import ExecutionContext
from ..core.engine import EngineLocal, engine_bound
from ..core.exchange import exchange_actor
from ..core.facade_support import in_context, write_report
from ..core.instances import Instance, Instances, InstanceStatus
from ..core.logs import configure_logging
from ..core.registry import registry
from ..core.rejections import SignalRejections
from ..core.risk import RiskGate, risk_books
from ..core.schemas import RiskSchema
from ..core.strategy import SignalStateMachine
from ..reports.backtest import backtest_report
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.columns import Column
from ..reports.research_metrics import ResearchMetrics
from ..reports.schedule import Schedule
from ..reports.statistics import backtest_statistics
from ..reports.trade_ledger import LedgerRecorder
from .frames import timeline
from .replayer import FrameReplayer
from .research import frame_research, stats_series

__all__ = [
    "BACKTEST",
    "STORED_SIGNALS",
    "Backtest",
    "BacktestMode",
    "BacktestRun",
    "sharing_books",
]

_log = structlog.get_logger("backtestkit.backtest")
STORED_SIGNALS = 250


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """Where the latest run of a symbol:strategy ran: the names it was given."""

    symbol: str
    strategy: str
    exchange: str
    frame: str


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


class BacktestMode:
    """`Backtest`: run / background / stop / get_data / get_report / dump / list / run_sync."""

    def __init__(self, bus: Bus | None = None) -> None:
        self.bus = bus or current_bus()
        self._instances: Instances[BacktestInstance] = Instances(BacktestInstance)

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
        machine = SignalStateMachine(
            schema=strategy_schema,
            symbol=symbol,
            exchange=actor,
            bus=self.bus,
            backtest=True,
            context=context,
            risk=RiskGate([risk_books.get(r) for r in risks], self.bus) if risks else None,
        )
        instance.machine = machine
        instance.run = BacktestRun(symbol, strategy, exchange, frame)
        replayer = FrameReplayer(machine, timeline(frame_schema))
        results = sharing_books(replayer.run(), risks)
        return in_context(results, context, recorder=(self.bus.transition, instance.record))

    def background(
        self, symbol: str, *, strategy: str, exchange: str, frame: str
    ) -> Callable[[], None]:
        """Run in the background (running loop or a worker thread); returns cancel()."""
        instance = self._instances.get(symbol, strategy)
        if instance.status == "pending":
            return self._canceller(instance, symbol, strategy, exchange)
        results = self.run(symbol, strategy=strategy, exchange=exchange, frame=frame)
        instance.status = "pending"
        instance.done = False

        async def consume() -> None:
            try:
                async for _ in results:
                    machine = instance.machine
                    if machine is not None and machine.stopped:
                        break
                await results.aclose()  # type: ignore[attr-defined]
                await self._done(instance, symbol, strategy, exchange)
                instance.status = "fulfilled"
            except Exception as exc:
                instance.status = "rejected"
                _log.error("backtest_failed", symbol=symbol, strategy=strategy, error=str(exc))
                await self.bus.exit.emit(RuntimeError(str(exc)))
            finally:
                await results.aclose()  # type: ignore[attr-defined]

        start_detached(consume, without_loop="thread")
        return self._canceller(instance, symbol, strategy, exchange)

    def _canceller(
        self, instance: BacktestInstance, symbol: str, strategy: str, exchange: str
    ) -> Callable[[], None]:
        def cancel() -> None:
            machine = instance.machine
            if machine is not None:
                machine.stop()
            if (machine is None or machine.pending is None) and not instance.done:
                instance.done = True
                self.bus.done_backtest.publish(
                    DoneEvent(
                        exchange_name=exchange, strategy_name=strategy, backtest=True, symbol=symbol
                    )
                )

        return cancel

    async def _done(
        self, instance: BacktestInstance, symbol: str, strategy: str, exchange: str
    ) -> None:
        if instance.done:
            return
        instance.done = True
        await self.bus.done_backtest.emit(
            DoneEvent(exchange_name=exchange, strategy_name=strategy, backtest=True, symbol=symbol)
        )

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
        self,
        symbol: str,
        strategy: str,
        *,
        frame: str,
        capital: float = 10_000.0,
        risk_free_rate: float = 0.0,
    ) -> Any:
        """`get_data` and `research` as one pandas Series (extra `pandas`)."""
        research = self.research(
            symbol, strategy, frame=frame, capital=capital, risk_free_rate=risk_free_rate
        )
        return stats_series(self.get_data(symbol, strategy), research)

    def get_report(
        self, symbol: str, strategy: str, columns: Sequence[Column] | None = None
    ) -> str:
        return backtest_report(strategy, self.get_data(symbol, strategy), columns)

    def dump(
        self,
        symbol: str,
        strategy: str,
        path: str | Path | None = None,
        columns: Sequence[Column] | None = None,
    ) -> Path:
        """Write the Markdown report to path (default ./dump/backtest/<strategy>.md)."""
        return write_report(self.get_report(symbol, strategy, columns), "backtest", strategy, path)

    def list(self) -> builtins.list[InstanceStatus]:
        return self._instances.list()

    def run_sync(
        self, symbol: str, *, strategy: str, exchange: str, frame: str
    ) -> builtins.list[TickResult]:
        """Run to the end in a fresh event loop: here in a script, on a helper thread when a loop
        already runs in this one (Jupyter, IPython, `python -m asyncio`)."""
        results: builtins.list[TickResult] = []

        async def collect() -> None:
            async for result in self.run(symbol, strategy=strategy, exchange=exchange, frame=frame):
                results.append(result)

        run_blocking(collect)
        return results

    def reset(self) -> None:
        """Forget every instance (test isolation)."""
        self._instances.clear()


BACKTEST: EngineLocal[BacktestMode] = EngineLocal("Backtest", lambda e: BacktestMode(e.bus))
Backtest = engine_bound(BACKTEST)
