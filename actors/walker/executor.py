"""Where a walker's backtest sub-graphs run: the `Executor` Protocol and the in-process default.

The supervisor hands strategies over in schema order (`submit`), at most `capacity` unfinished
at a time, and consumes the results in the same order. The in-process executor has capacity 1
and runs each backtest in the caller's task when its result is awaited, so the event order is
exactly SPEC 12.2 and every bus event of the backtest reaches this process's bus. Process-pool
and Dask executors are registered by name (`executor_plugins`); they take every strategy at
once and start them longest-expected-first (`workers.dispatch`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..reports.backtest_statistics import BacktestStatistics
from .durations import record_duration

if TYPE_CHECKING:
    from ..backtest.facade import BacktestMode
    from ..core.schemas import WalkerSchema

__all__ = ["Executor", "InProcessExecutor", "StoredRun", "StrategyJob", "StrategyRun"]


@dataclass(frozen=True, slots=True)
class StrategyJob:
    """One backtest sub-graph of a walker: `(symbol, strategy, exchange, frame)`."""

    symbol: str
    walker: str
    strategy: str
    exchange: str
    frame: str
    index: int


class StrategyRun(Protocol):
    """A submitted job."""

    def done(self) -> bool:
        """Finished (its result is available without waiting)."""
        ...

    def cancel(self) -> bool:
        """Try to drop the job; True when it will never run (it had not started)."""
        ...

    async def result(self) -> BacktestStatistics:
        """The strategy's backtest statistics; raises what the backtest raised."""
        ...


class Executor(Protocol):
    """Runs backtest sub-graphs for the walker supervisor."""

    @property
    def capacity(self) -> int:
        """How many submitted jobs may be unfinished at once."""
        ...

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        """Check (eagerly, before any run) that the walker's strategies can run here."""
        ...

    async def submit(self, job: StrategyJob) -> StrategyRun:
        """Start (or queue) one job."""
        ...

    def close(self) -> None:
        """Release workers, clients, processes; called once at the end (or on abort)."""
        ...


class StoredRun:
    """An outcome known in advance, nothing runs: statistics (resume) or the error of a job
    that could not start."""

    __slots__ = ("_outcome",)

    def __init__(self, outcome: BacktestStatistics | Exception) -> None:
        self._outcome = outcome

    def done(self) -> bool:
        return True

    def cancel(self) -> bool:
        return False

    async def result(self) -> BacktestStatistics:
        if isinstance(self._outcome, Exception):
            raise self._outcome
        return self._outcome


class _InProcessRun:
    __slots__ = ("_backtest", "_finished", "_job", "_started")

    def __init__(self, backtest: BacktestMode, job: StrategyJob) -> None:
        self._backtest = backtest
        self._job = job
        self._started = False
        self._finished = False

    def done(self) -> bool:
        return self._finished

    def cancel(self) -> bool:
        return not self._started

    async def result(self) -> BacktestStatistics:
        job = self._job
        self._started = True
        started = time.perf_counter()
        try:
            results = self._backtest.run(
                job.symbol, strategy=job.strategy, exchange=job.exchange, frame=job.frame
            )
            try:
                async for _ in results:
                    pass
            finally:
                await results.aclose()  # type: ignore[attr-defined]
            record_duration(job.symbol, job.strategy, time.perf_counter() - started)
            return self._backtest.get_data(job.symbol, job.strategy)
        finally:
            self._finished = True


class InProcessExecutor:
    """Sequential, in this process and task, through the Backtest facade (the default)."""

    def __init__(self, backtest: BacktestMode) -> None:
        self._backtest = backtest

    @property
    def capacity(self) -> int:
        return 1

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        return None

    async def submit(self, job: StrategyJob) -> StrategyRun:
        return _InProcessRun(self._backtest, job)

    def close(self) -> None:
        return None
