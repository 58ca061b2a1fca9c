"""The Walker facade (SPEC 12, 14): compares a walker's strategies on one symbol.

`Walker.run(symbol, walker=...)` yields one `WalkerProgress` contract per tested strategy.
`workers=N` runs the strategies' backtests in a pool of N processes and `dask=` (a scheduler
address or a `distributed.Client`) on a Dask cluster; both are executors registered by name
(`executor_plugins`). Results are identical whatever the executor. With the
default in-process executor every bus event of every backtest reaches this process's bus;
out of process, per-signal events and strategy callbacks stay in the workers and only the
walker's own events, callbacks and contracts happen here.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from backtestkit.bus import Bus, DoneEvent, WalkerStopEvent, start_detached

from ..backtest.facade import BACKTEST, BacktestMode
from ..core.engine import EngineLocal, engine_bound
from ..core.facade_support import in_engine, write_report
from ..core.instances import Instance
from ..core.logs import configure_logging
from ..core.mode_facade import Call, ModeFacade, background_of
from ..core.registry import registry
from ..core.schemas import WalkerSchema
from ..reports.columns import Column
from ..reports.schedule import Schedule
from ..reports.walker import walker_report
from ..reports.walker_models import WalkerProgress, WalkerResults
from ..reports.walker_overfitting import WalkerOverfitting, overfitting_lines, walker_overfitting
from .executor import Executor, InProcessExecutor
from .executor_plugins import DASK, PROCESS_POOL, executor_factory
from .optimize import Optimization, run_search
from .resume import ResumeStore
from .storage import WalkerStorage
from .supervisor import WalkerSupervisor

__all__ = ["Walker", "WalkerMode", "optimize"]


class WalkerInstance(Instance):
    def __init__(self, symbol: str, name: str) -> None:
        super().__init__(symbol, name)
        self.storage = WalkerStorage()
        self.stopped = False

    def restart(self) -> None:
        super().restart()
        self.stopped = False


class WalkerMode(ModeFacade[WalkerInstance]):
    """`Walker`: run / background / stop / get_data / get_report / dump / list."""

    mode = "walker"
    name_field = "walker"

    def __init__(self, bus: Bus | None = None, backtest: BacktestMode | None = None) -> None:
        super().__init__(bus, WalkerInstance)
        self.backtest = backtest or BACKTEST.get()

    @staticmethod
    def _validate(walker: str) -> WalkerSchema:
        """SPEC 12.1: the walker, its exchange and frame, every strategy and its risks."""
        schema = registry.walker(walker)
        registry.exchange(schema.exchange)
        registry.frame(schema.frame)
        for name in schema.strategies:
            registry.strategy_risks(registry.strategy(name))
        return schema

    def _executor(self, workers: int, dask: Any) -> Executor:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        if dask is not None and workers != 1:
            raise ValueError("pass either workers=N or dask=..., not both")
        if dask is None and workers == 1:
            return InProcessExecutor(self.backtest)
        if dask is not None:
            return executor_factory(DASK)(dask)
        return executor_factory(PROCESS_POOL)(workers)

    def run(
        self,
        symbol: str,
        *,
        walker: str,
        workers: int = 1,
        dask: Any = None,
        resume_dir: str | os.PathLike[str] | None = None,
        executor: Executor | None = None,
    ) -> AsyncIterator[WalkerProgress]:
        """Validate, check the executor can run the strategies and clear, eagerly; then iterate.

        `resume_dir` keeps each finished strategy's statistics; a later run with the same
        strategy code, data, frame and config loads them instead of running the backtest.
        """
        configure_logging()  # unless the user configured structlog first
        schema = self._validate(walker)
        chosen = executor if executor is not None else self._executor(workers, dask)
        chosen.prepare(symbol, schema)
        instance = self._instances.get(symbol, walker)
        instance.storage.clear()
        for strategy in schema.strategies:  # SPEC 12.1: every strategy starts from nothing
            self.backtest.clear(symbol, strategy)
            Schedule.clear(symbol, strategy)
        supervisor = WalkerSupervisor(
            symbol=symbol,
            schema=schema,
            executor=chosen,
            bus=self.bus,
            record=instance.storage.record,
            record_failure=instance.storage.record_failure,
            resume=ResumeStore(resume_dir) if resume_dir is not None else None,
        )
        return in_engine(supervisor.run())

    async def run_to_end(
        self, symbol: str, *, walker: str, workers: int = 1, dask: Any = None
    ) -> WalkerResults:
        """`run` consumed to its end; returns `get_data` (a walk-forward fold, a search batch)."""
        results = self.run(symbol, walker=walker, workers=workers, dask=dask)
        try:
            async for _ in results:
                pass
        finally:
            await results.aclose()  # type: ignore[attr-defined]
        return self.get_data(symbol, walker)

    background = background_of(run)

    def _held(self, call: Call) -> WalkerInstance:
        self._validate(call["walker"])
        return self._instances.get(call["symbol"], call["walker"])

    def _until(self, instance: WalkerInstance, result: WalkerProgress) -> bool:
        return instance.stopped

    def _canceller(self, instance: WalkerInstance, call: Call) -> Callable[[], None]:
        symbol, schema = call["symbol"], registry.walker(call["walker"])

        def cancel() -> None:
            instance.stopped = True
            for name in schema.strategies:
                self.bus.walker_stop.publish(
                    WalkerStopEvent(symbol=symbol, strategy_name=name, walker_name=schema.name)
                )
                start_detached(functools.partial(self.backtest.stop, symbol, name))
            self._publish_done(instance, self.bus.done_walker, _done_event(symbol, schema))

        return cancel

    async def _finish(self, instance: WalkerInstance, call: Call) -> None:
        event = _done_event(call["symbol"], registry.walker(call["walker"]))
        await self._emit_done(instance, self.bus.done_walker, event)

    async def stop(self, symbol: str, walker: str) -> None:
        """SPEC 12.4: walker_stop for each strategy and stop its backtest instance; the running
        backtest ends at its next checkpoint and the walker breaks before the next strategy."""
        schema = registry.walker(walker)
        self._instances.get(symbol, walker)
        for name in schema.strategies:
            await self.bus.walker_stop.emit(
                WalkerStopEvent(symbol=symbol, strategy_name=name, walker_name=walker)
            )
            await self.backtest.stop(symbol, name)

    async def optimize(self, symbol: str, **options: Any) -> Optimization:
        """An optuna search whose trials run on this Walker (`walker.optimize.run_search`:
        `name`, `get_signal`, `space`, `trials`, `exchange`, `frame`, `interval`, `metric`,
        `batch`, `workers`, `dask`, `sampler`, `storage`, `study_name`)."""
        return await run_search(symbol, walker_mode=self, **options)

    def get_data(self, symbol: str, walker: str) -> WalkerResults:
        """SPEC 12.3; raises ValueError "No walker data available ..." before the first result."""
        schema = registry.walker(walker)
        return self._instances.get(symbol, walker).storage.data(symbol, schema)

    def get_overfitting(self, symbol: str, walker: str) -> WalkerOverfitting:
        """Deflated Sharpe of the best strategy and PBO of all tested (`walker_overfitting`)."""
        frame = registry.frame(registry.walker(walker).frame)
        return walker_overfitting(self.get_data(symbol, walker), frame.start_ms, frame.end_ms)

    def get_report(
        self,
        symbol: str,
        walker: str,
        strategy_columns: Sequence[Column] | None = None,
        pnl_columns: Sequence[Column] | None = None,
        *,
        overfitting: bool = False,
    ) -> str:
        """SPEC 10.3 Markdown; columns default to the configured walker tables (set_columns).

        `overfitting=True` appends the "Overfitting Check" section after the reference's text.
        """
        data = self.get_data(symbol, walker)
        report = walker_report(data, strategy_columns, pnl_columns)
        if not overfitting:
            return report
        section = overfitting_lines(self.get_overfitting(symbol, walker), data.metric)
        return "\n".join([report, "", *section])

    def dump(
        self,
        symbol: str,
        walker: str,
        path: str | Path | None = None,
        strategy_columns: Sequence[Column] | None = None,
        pnl_columns: Sequence[Column] | None = None,
        *,
        overfitting: bool = False,
    ) -> Path:
        """Write the Markdown report to path (default ./dump/walker/<walker>.md)."""
        report = self.get_report(
            symbol, walker, strategy_columns, pnl_columns, overfitting=overfitting
        )
        return write_report(report, "walker", walker, path)


def _done_event(symbol: str, schema: WalkerSchema) -> DoneEvent:
    """doneWalker carries the walker name as strategy_name (Q19)."""
    return DoneEvent(
        exchange_name=schema.exchange, strategy_name=schema.name, backtest=True, symbol=symbol
    )


_WALKER = EngineLocal("Walker", lambda engine: WalkerMode(engine.bus, BACKTEST.of(engine)))
Walker = engine_bound(_WALKER)


async def optimize(
    symbol: str, *, walker_mode: WalkerMode | None = None, **options: Any
) -> Optimization:
    """`Walker.optimize` on `walker_mode` (default: the current engine's Walker)."""
    return await (walker_mode if walker_mode is not None else Walker).optimize(symbol, **options)
