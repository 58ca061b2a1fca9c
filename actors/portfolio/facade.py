"""The Portfolio facade: many symbols (and strategies) of one exchange and frame on one clock,
sharing risk books and, with `capital`, one cash account (see clock, lane, gate, ledger)."""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from backtestkit.bus import Bus, Closed, TickResult

from ..backtest.facade import sharing_books
from ..backtest.frames import timeline
from ..backtest.machine import signal_machine
from ..core.context import ExecutionContext
from ..core.engine import EngineLocal, engine_bound
from ..core.facade_support import in_engine, write_report
from ..core.logs import configure_logging
from ..core.mode_facade import Call, ModeFacade, background_of, run_sync_of
from ..core.registry import registry
from ..core.risk import risk_books
from ..core.schemas import RiskSchema
from ..exchange.exchange import exchange_actor
from ..reports.schedule import Schedule
from .clock import PortfolioClock
from .gate import CashDesk, PortfolioGate
from .instance import PortfolioInstance
from .lane import SymbolLane
from .ledger import CashLedger
from .models import PortfolioStatistics
from .prices import last_close
from .report import portfolio_report
from .sizing import EntrySizer
from .statistics import portfolio_statistics
from .workers import run_in_workers

__all__ = ["PORTFOLIO", "Portfolio", "PortfolioMode"]

Strategies = str | Sequence[str]


def _names(symbols: Sequence[str], strategy: Strategies) -> tuple[list[str], list[str]]:
    if isinstance(symbols, str):
        symbols = [symbols]
    strategies = [strategy] if isinstance(strategy, str) else list(strategy)
    for label, names in (("symbols", list(symbols)), ("strategies", strategies)):
        if not names:
            raise ValueError(f"portfolio: no {label} given")
        for name in names:
            if not isinstance(name, str) or not name:
                raise ValueError(f"portfolio: {label} must be non-empty strings, got {name!r}")
        seen = [name for i, name in enumerate(names) if name in names[:i]]
        if seen:
            raise ValueError(f"portfolio: {label[:-1]} {seen[0]!r} given twice")
    return list(symbols), strategies


async def _from_workers(
    instance: PortfolioInstance,
    pairs: list[tuple[str, str]],
    exchange: str,
    frame: str,
    workers: int,
) -> AsyncIterator[TickResult]:
    for result in await run_in_workers(pairs, exchange, frame, workers):
        if type(result) is Closed:
            instance.closed[(result.strategy_name, result.symbol)].append(result)
        yield result


class PortfolioMode(ModeFacade[PortfolioInstance]):
    """`Portfolio`: run / run_sync / background / stop / get_data / get_report / dump / list."""

    mode = "portfolio"

    def __init__(self, bus: Bus | None = None) -> None:
        super().__init__(bus, PortfolioInstance)

    def _instance(self, symbols: Sequence[str], strategy: Strategies) -> PortfolioInstance:
        names, strategies = _names(symbols, strategy)
        for name in strategies:
            registry.strategy(name)
        return self._instances.get(",".join(names), "+".join(strategies))

    def run(
        self,
        symbols: Sequence[str],
        *,
        strategy: Strategies,
        exchange: str,
        frame: str,
        capital: float | None = None,
        sizing: str | None = None,
        workers: int = 1,
    ) -> AsyncIterator[TickResult]:
        """Validate eagerly; iterate lazily over every symbol's closed / cancelled results in
        time order. `capital` (quote currency) turns on the cash account; `sizing` names the
        sizing schema of every entry (default: each strategy's own, else equal weights).
        `workers` > 1 runs the symbols in that many processes (`portfolio.workers`) when no
        risk profile or capital binds them: the same results, without bus events here."""
        configure_logging()
        symbol_list, strategies = _names(symbols, strategy)
        schemas = [registry.strategy(name) for name in strategies]
        exchange_schema = registry.exchange(exchange)
        frame_schema = registry.frame(frame)
        if capital is not None and not (
            isinstance(capital, int | float) and math.isfinite(capital) and capital > 0
        ):
            raise ValueError(f"portfolio: capital must be a finite number > 0, got {capital!r}")
        override = registry.sizing(sizing) if sizing is not None else None
        if override is not None and capital is None:
            raise ValueError(
                f"portfolio: sizing {sizing!r} needs capital= (the cash entries are sized from)"
            )
        if not (isinstance(workers, int) and workers >= 1):
            raise ValueError(f"portfolio: workers must be an integer >= 1, got {workers!r}")
        instance = self._instances.get(",".join(symbol_list), "+".join(strategies))
        instance.symbols, instance.strategies = symbol_list, strategies
        instance.rejections = []
        instance.closed = {(s, sym): [] for s in strategies for sym in symbol_list}
        if workers > 1:
            binding = [s.name for s in schemas if registry.strategy_risks(s)]
            if capital is not None or binding:
                shared = "capital" if capital is not None else f"risk profiles of {binding}"
                raise ValueError(
                    f"portfolio: workers={workers} runs symbols apart, but the {shared} bind "
                    "them together: run in one process (workers=1)"
                )
            instance.lanes, instance.ledger, instance.desk, instance.clock = [], None, None, None
            pairs = [(symbol, s) for symbol in symbol_list for s in strategies]
            return in_engine(_from_workers(instance, pairs, exchange, frame, workers))
        actor = exchange_actor(exchange_schema)
        ledger = desk = None
        if capital is not None and not actor.is_table_backed:
            raise ValueError(
                f"portfolio: capital needs table-backed candles on exchange {exchange!r} "
                "(CSV, Parquet or memory) to mark open positions to market"
            )
        if capital is not None:
            ledger = CashLedger(float(capital), lambda sym, when: last_close(actor, sym, when))
            sizers = {
                schema.name: EntrySizer(
                    override
                    if override is not None
                    else (registry.sizing(schema.sizing) if schema.sizing else None),
                    len(symbol_list),
                )
                for schema in schemas
            }
            desk = CashDesk(ledger, sizers)
        instance.ledger, instance.desk = ledger, desk
        risks: dict[str, RiskSchema] = {}
        instance.profiles = {}
        for schema in schemas:
            own = registry.strategy_risks(schema)
            instance.profiles[schema.name] = {r.name for r in own}
            risks.update((r.name, r) for r in own)
        frames = timeline(frame_schema)
        lanes: list[SymbolLane] = []
        for symbol in symbol_list:
            for schema in schemas:
                Schedule.clear(symbol, schema.name)
                context = ExecutionContext(symbol, frame_schema.start_ms, True, actor)
                own = [risks[name] for name in sorted(instance.profiles[schema.name])]
                books = [risk_books.get(r) for r in own]
                gate = (
                    PortfolioGate(books, self.bus, desk, actor, context.safe)
                    if books or desk is not None
                    else None
                )
                machine = signal_machine(schema, context, actor, self.bus, gate)
                lanes.append(SymbolLane(machine, frames, len(lanes)))
        instance.lanes = lanes
        clock = instance.clock = PortfolioClock(lanes, ledger, frame_schema.start_ms)
        results = sharing_books(self._recorded(clock, instance), list(risks.values()))
        return in_engine(results)

    async def _recorded(
        self, clock: PortfolioClock, instance: PortfolioInstance
    ) -> AsyncIterator[TickResult]:
        unsubscribe = (
            self.bus.transition.subscribe(instance.record, kinds=(Closed,)),
            self.bus.risk.subscribe(instance.reject),
        )
        run = clock.run()
        try:
            async for result in run:
                yield result
        finally:
            await run.aclose()
            for cancel in unsubscribe:
                cancel()
            for lane in instance.lanes:
                lane.machine.warnings.flush()

    background = background_of(run)
    run_sync = run_sync_of(run)

    def _held(self, call: Call) -> PortfolioInstance:
        return self._instance(call["symbols"], call["strategy"])

    def _until(self, instance: PortfolioInstance, result: TickResult) -> bool:
        return all(lane.machine.stopped for lane in instance.lanes)

    def _canceller(self, instance: PortfolioInstance, call: Call) -> Callable[[], None]:
        return functools.partial(_stop_lanes, instance)

    async def stop(self, symbols: Sequence[str], strategy: Strategies) -> None:
        """Graceful stop: no new signal on any symbol; open positions still close."""
        _stop_lanes(self._instance(symbols, strategy))

    def get_data(
        self, symbols: Sequence[str], strategy: Strategies, *, risk_free_rate: float = 0.0
    ) -> PortfolioStatistics:
        instance = self._instance(symbols, strategy)
        names, strategies = _names(symbols, strategy)
        return portfolio_statistics(
            strategies=strategies,
            symbols=names,
            closed=instance.closed,
            rejections=instance.rejections,
            ledger=instance.ledger,
            risk_free_rate=risk_free_rate,
        )

    def get_report(self, symbols: Sequence[str], strategy: Strategies) -> str:
        return portfolio_report(self.get_data(symbols, strategy))

    def dump(
        self, symbols: Sequence[str], strategy: Strategies, path: str | Path | None = None
    ) -> Path:
        """Write the Markdown report (default ./dump/portfolio/<strategies>.md)."""
        instance = self._instance(symbols, strategy)
        return write_report(self.get_report(symbols, strategy), "portfolio", instance.name, path)


def _stop_lanes(instance: PortfolioInstance) -> None:
    for lane in instance.lanes:
        lane.machine.stop()


PORTFOLIO: EngineLocal[PortfolioMode] = EngineLocal("Portfolio", lambda e: PortfolioMode(e.bus))
Portfolio = engine_bound(PORTFOLIO)
