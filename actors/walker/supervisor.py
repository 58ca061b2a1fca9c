"""WalkerSupervisor: the Walker clock (SPEC 12.2).

For each strategy of the walker schema, in order: break if a stop was requested for this symbol
and walker, `on_strategy_start`, run the strategy's backtest sub-graph on the executor, rank its
statistics, then publish `progress_walker`, await `on_strategy_complete`, publish the contract on
`walker` and yield it. A failing backtest publishes `error` and calls `on_strategy_error`; it is
not counted and yields nothing, but it is named in `Walker.get_data().failed_strategies`, the
report and `walker_complete`. At the end (also after a stop): `on_complete`, `walker_complete`.

With a parallel executor the same order holds for everything the parent sees (callbacks, walker
events, contracts); strategies are handed to the executor ahead of their turn, so
`on_strategy_start` fires when a strategy is submitted, and a stop drops every strategy that had
not started yet (strategies already running in a worker finish and are reported).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import Any

import structlog

from backtestkit.bus import Bus, WalkerCompleteEvent, WalkerProgressEvent, WalkerStopEvent

from ..core.registry import registry
from ..core.schemas import WalkerSchema
from ..reports.backtest_statistics import BacktestStatistics
from ..reports.ranking import is_better, metric_value
from ..reports.walker_models import WalkerProgress
from .executor import Executor, StoredRun, StrategyJob, StrategyRun
from .identity import walker_header, walker_names
from .resume import (
    ResumeStore,
    candle_fingerprint,
    strategy_fingerprint,
)

__all__ = ["WalkerSupervisor"]

_log = structlog.get_logger("backtestkit.walker")


async def _call(fn: Callable[..., Any] | None, *args: Any) -> None:
    """A walker callback; awaited when it returns an awaitable."""
    if fn is None:
        return
    outcome = fn(*args)
    if inspect.isawaitable(outcome):
        await outcome


@dataclass(kw_only=True, eq=False, repr=False)
class WalkerSupervisor:
    """Runs one walker for one symbol; `run()` is the async iterator of contracts."""

    symbol: str
    schema: WalkerSchema
    executor: Executor
    bus: Bus
    record: Callable[[WalkerProgress], None]
    resume: ResumeStore | None = None
    record_failure: Callable[[str, int], None] | None = None
    failed: list[str] = field(init=False, default_factory=list)
    stopped: set[str] = field(init=False, default_factory=set)
    _runs: dict[int, StrategyRun] = field(init=False, default_factory=dict)
    _dropped: set[int] = field(init=False, default_factory=set)
    # index -> fingerprint of runs to store when done
    _fresh: dict[int, str] = field(init=False, default_factory=dict)
    _candles: str | None = field(init=False, default=None)

    def _on_stop(self, event: WalkerStopEvent) -> None:
        self.stopped.add(event.strategy_name)
        names = self.schema.strategies
        if event.strategy_name not in names:
            return
        first = names.index(event.strategy_name)
        for index, run in self._runs.items():
            if index >= first and run.cancel():
                self._dropped.add(index)

    def _callback(self, name: str) -> Callable[..., Any] | None:
        callbacks = self.schema.callbacks
        return None if callbacks is None else getattr(callbacks, name)

    def _is_ours(self, event: WalkerStopEvent) -> bool:
        return event.symbol == self.symbol and event.walker_name == self.schema.name

    def _fingerprint(self, strategy: str) -> str:
        schema = self.schema
        exchange = registry.exchange(schema.exchange)
        if self._candles is None:
            self._candles = candle_fingerprint(exchange, self.symbol)
        strategy_schema = registry.strategy(strategy)
        return strategy_fingerprint(
            strategy=strategy_schema,
            risks=registry.strategy_risks(strategy_schema),
            symbol=self.symbol,
            exchange=exchange,
            frame=registry.frame(schema.frame),
            candles=self._candles,
        )

    async def _submit(self, index: int) -> StrategyRun:
        schema = self.schema
        name = schema.strategies[index]
        if self.resume is not None:
            fingerprint = self._fingerprint(name)
            stored = self.resume.load(name, fingerprint)
            if stored is not None:
                _log.info("walker_strategy_resumed", strategy=name, symbol=self.symbol)
                return StoredRun(stored)
            self._fresh[index] = fingerprint
        job = StrategyJob(self.symbol, schema.name, name, schema.exchange, schema.frame, index)
        return await self.executor.submit(job)

    async def _top_up(self, next_submit: int, index: int) -> int:
        """Hand strategies over in order (checking for a stop first): strategy `index` always,
        later ones while fewer than `capacity` handed-over results wait to be reported."""
        names = self.schema.strategies
        while next_submit < len(names):
            if next_submit > index and len(self._runs) >= self.executor.capacity:
                break
            name = names[next_submit]
            if name in self.stopped:
                break
            await _call(self._callback("on_strategy_start"), name, self.symbol)
            self._runs[next_submit] = await self._submit(next_submit)
            next_submit += 1
        return next_submit

    async def _failed(self, name: str, exc: Exception) -> None:
        _log.warning("walker_strategy_failed", strategy=name, symbol=self.symbol, error=str(exc))
        self.failed.append(name)
        if self.record_failure is not None:
            self.record_failure(name, len(self.schema.strategies))
        await self.bus.error.emit(exc)
        await _call(self._callback("on_strategy_error"), name, self.symbol, exc)

    async def run(self) -> AsyncIterator[WalkerProgress]:
        schema, symbol, bus = self.schema, self.symbol, self.bus
        names = schema.strategies
        total = len(names)
        identity = walker_names(symbol, schema.name, schema.exchange, schema.frame)
        header = walker_header(symbol, schema.name, schema.exchange, schema.frame, schema.metric)
        best_strategy: str | None = None
        best_metric: float | None = None
        best_stats: BacktestStatistics | None = None
        tested = 0
        next_submit = 0
        unsubscribe = bus.walker_stop.subscribe(self._on_stop, where=self._is_ours)
        try:
            for index, name in enumerate(names):
                next_submit = await self._top_up(next_submit, index)
                run = self._runs.pop(index, None)
                if run is None or index in self._dropped:
                    break
                try:
                    stats = await run.result()
                except CancelledError:
                    break
                except Exception as exc:
                    await self._failed(name, exc)
                    continue
                fingerprint = self._fresh.pop(index, None)
                if fingerprint is not None and self.resume is not None:
                    self.resume.save(name, fingerprint, stats)
                value = metric_value(stats, schema.metric)
                if is_better(value, best_metric, schema.metric):
                    best_strategy, best_metric, best_stats = name, value, stats
                tested += 1
                contract = WalkerProgress(
                    **header,
                    total_strategies=total,
                    strategies_tested=tested,
                    best_strategy=best_strategy,
                    best_metric=best_metric,
                    strategy_name=name,
                    current_metric=value,
                    stats=stats,
                )
                await bus.progress_walker.emit(
                    WalkerProgressEvent(
                        **identity,
                        total_strategies=total,
                        processed_strategies=tested,
                        progress=tested / total,
                    )
                )
                await _call(self._callback("on_strategy_complete"), name, symbol, stats, value)
                self.record(contract)
                await bus.walker.emit(contract)
                yield contract
        finally:
            unsubscribe()
            for run in self._runs.values():
                run.cancel()
            self._runs.clear()
            self.executor.close()
        final = WalkerCompleteEvent(
            **header,
            total_strategies=total,
            best_strategy=best_strategy,
            best_metric=best_metric,
            best_stats=best_stats,
            failed_strategies=tuple(self.failed),
        )
        await _call(self._callback("on_complete"), final)
        await bus.walker_complete.emit(final)
