"""Longest-first dispatch of a walker's backtests onto a fixed number of worker slots.

Out-of-process executors take every strategy of a walk at once and start them when the walk
first waits for a result: at most `slots` run at a time, and a free slot takes the strategy
expected to run longest, from its duration in an earlier run in this process (strategies not
timed yet go first, in schema order). With 8 strategies on 2 workers, running the slowest last
leaves one worker idle for most of its run; longest-first bounds that to the shortest jobs.
Order only changes when strategies start: results are still reported in schema order, and
a strategy that has not started when the walk stops never starts.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError

import anyio

from ..reports.backtest_statistics import BacktestStatistics
from ..walker.durations import expected_seconds, record_duration
from ..walker.executor import StoredRun, StrategyJob, StrategyRun

__all__ = ["DispatchedRun", "Dispatcher"]

Launch = Callable[[StrategyJob, Callable[[], None]], StrategyRun]


def _expected(run: DispatchedRun) -> float:
    return expected_seconds(run.job.symbol, run.job.strategy)


class DispatchedRun:
    """A strategy queued on a `Dispatcher`; a `StrategyRun` once it is launched."""

    __slots__ = ("_cancelled", "_dispatcher", "_inner", "_launched", "_started_at", "job")

    def __init__(self, dispatcher: Dispatcher, job: StrategyJob) -> None:
        self._dispatcher = dispatcher
        self.job = job
        self._inner: StrategyRun | None = None
        self._launched = threading.Event()  # set when launched or cancelled
        self._cancelled = False
        self._started_at = 0.0

    def done(self) -> bool:
        inner = self._inner
        return self._cancelled or (inner is not None and inner.done())

    def cancel(self) -> bool:
        with self._dispatcher._lock:
            if self._inner is None:
                if not self._cancelled:
                    self._cancelled = True
                    self._dispatcher._queue.remove(self)
                    self._launched.set()
                return True
        return self._inner.cancel()

    async def result(self) -> BacktestStatistics:
        self._dispatcher.start()
        if not self._launched.is_set():
            await anyio.to_thread.run_sync(self._launched.wait, abandon_on_cancel=True)
        if self._inner is None:
            raise CancelledError()
        return await self._inner.result()


class Dispatcher:
    """Starts queued jobs on `slots` workers through `launch`, longest expected first.

    `launch(job, finished)` starts one job and returns its run; the executor arranges for
    `finished()` to be called (from any thread) when the job ends, however it ends.
    """

    def __init__(self, slots: int, launch: Launch) -> None:
        self._slots = slots
        self._launch = launch
        self._lock = threading.RLock()  # `launch` may report a job finished at once
        self._queue: list[DispatchedRun] = []
        self._running = 0
        self._started = False
        self._closed = False

    def enqueue(self, job: StrategyJob) -> DispatchedRun:
        run = DispatchedRun(self, job)
        with self._lock:
            if self._closed:  # never starts
                run._cancelled = True
                run._launched.set()
                return run
            self._queue.append(run)
            self._pump()
        return run

    def start(self) -> None:
        """Begin launching (the first time the walk waits for a result)."""
        with self._lock:
            if not self._started:
                self._started = True
                self._pump()

    def close(self) -> None:
        """Launch nothing more; queued jobs are cancelled."""
        with self._lock:
            self._closed = True
            for run in list(self._queue):
                run.cancel()

    def _pump(self) -> None:
        while self._started and not self._closed and self._running < self._slots and self._queue:
            run = max(self._queue, key=_expected)  # the first of equals: schema order
            self._queue.remove(run)
            run._started_at = time.perf_counter()
            self._running += 1
            try:
                run._inner = self._launch(run.job, functools.partial(self._finished, run))
            except Exception as exc:  # reported as this strategy's failure; the rest go on
                self._running -= 1
                run._inner = StoredRun(exc)
            run._launched.set()

    def _finished(self, run: DispatchedRun) -> None:
        seconds = time.perf_counter() - run._started_at
        with self._lock:
            self._running -= 1
            record_duration(run.job.symbol, run.job.strategy, seconds)
            self._pump()
