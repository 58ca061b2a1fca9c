"""ProcessPoolWalkerExecutor: a walker's backtests in N local processes (`Walker.run(workers=N)`).

Workers start from the 'forkserver' context where the OS has it (a clean server process that
imports the engine once and forks every worker from there), else from 'spawn'. Either way a
worker shares nothing with this process but what it is sent: the walker's schemas, once per
worker, through a temporary file, then strategy names, `workers` at a time, longest expected
first (see `workers.dispatch`). The pool outlives the walk and serves the next one (see
`worker_pool`), so a walk-forward loop pays the start-up once.

A worker that dies (killed, out of memory) breaks the whole pool: every job on it fails with
BrokenProcessPool. Each of those jobs runs once more, in a fresh worker of its own (so a job
that kills its worker takes no other job with it); a job whose second run is lost too fails
with `WorkerLostError`, which the walker reports as a failed strategy.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool

import anyio
import structlog

from backtestkit.actors.core.schemas import WalkerSchema
from backtestkit.actors.reports import BacktestStatistics
from backtestkit.actors.walker.executor import StrategyJob, StrategyRun
from backtestkit.actors.workers.dispatch import Dispatcher
from backtestkit.actors.workers.payload import (
    WorkerPayload,
    build_worker_payload,
    run_pooled_job,
)

from .worker_pool import SharedPool, SoloPool, acquire_pool, discard_pool

__all__ = ["ProcessPoolWalkerExecutor", "WorkerLostError"]

_CONTEXTS = ("spawn", "forkserver")
_log = structlog.get_logger("backtestkit.walker")


def default_context() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class WorkerLostError(RuntimeError):
    """The worker process running a strategy died, twice."""


def _lost(future: Future[BacktestStatistics]) -> bool:
    return (
        future.done()
        and not future.cancelled()
        and isinstance(future.exception(), BrokenProcessPool)
    )


class FutureRun:
    """A `concurrent.futures.Future` seen as a `StrategyRun`; run once more if its worker died."""

    __slots__ = ("_future", "_rerun", "job")

    def __init__(
        self,
        job: StrategyJob,
        future: Future[BacktestStatistics],
        rerun: Callable[[FutureRun], None],
    ) -> None:
        self.job = job
        self._future = future
        self._rerun: Callable[[FutureRun], None] | None = rerun

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> bool:
        return self._future.cancel()

    @property
    def lost(self) -> bool:
        """Its worker died and it has not been run again yet."""
        return self._rerun is not None and _lost(self._future)

    def run_again(self, future: Future[BacktestStatistics]) -> None:
        self._rerun = None
        self._future = future

    async def result(self) -> BacktestStatistics:
        while True:
            future = self._future
            if not future.done():
                await anyio.to_thread.run_sync(wait_futures, [future], abandon_on_cancel=True)
            if not _lost(future):
                return future.result()
            rerun = self._rerun
            if rerun is None:
                raise WorkerLostError(
                    f"strategy {self.job.strategy}: its worker process died twice (killed, or "
                    "out of memory); it was run once more on a fresh worker and lost again"
                ) from future.exception()
            rerun(self)


class ProcessPoolWalkerExecutor:
    """Runs up to `workers` backtests at once, longest expected first (`Dispatcher`)."""

    def __init__(self, workers: int, *, context: str | None = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        context = context or default_context()
        if context not in _CONTEXTS:
            raise ValueError(f"context must be one of {', '.join(_CONTEXTS)}, got {context!r}")
        self.workers = workers
        self.context = context
        self._payload: WorkerPayload | None = None
        self._capacity = 1
        self._dispatcher: Dispatcher | None = None  # one per walk, made by `prepare`
        self._pool: SharedPool | None = None
        self._path = ""
        self._futures: list[Future[BacktestStatistics]] = []
        self._runs: list[FutureRun] = []
        self._solos: list[SoloPool] = []

    @property
    def capacity(self) -> int:
        return self._capacity

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        self._payload = build_worker_payload(symbol, walker)
        self._capacity = len(walker.strategies)
        self._dispatcher = Dispatcher(self.workers, self._launch)

    async def submit(self, job: StrategyJob) -> StrategyRun:
        if self._dispatcher is None:
            raise RuntimeError("ProcessPoolWalkerExecutor.submit before prepare")
        return self._dispatcher.enqueue(job)

    def _launch(self, job: StrategyJob, finished: Callable[[], None]) -> StrategyRun:
        payload = self._payload
        assert payload is not None
        if self._pool is None:
            self._pool, self._path = acquire_pool(self.workers, self.context, payload)
        try:
            future = self._pool.submit(run_pooled_job, payload.token, self._path, job.strategy)
        except BrokenProcessPool:  # a worker died: the jobs not started yet get a new pool
            self._drop_pool()
            self._pool, self._path = acquire_pool(self.workers, self.context, payload)
            future = self._pool.submit(run_pooled_job, payload.token, self._path, job.strategy)
        future.add_done_callback(lambda _: finished())
        self._futures.append(future)
        run = FutureRun(job, future, self._rerun_lost)
        self._runs.append(run)
        return run

    def _rerun_lost(self, lost: FutureRun) -> None:
        """A worker died: every job the broken pool lost runs once more, each in a worker of
        its own; the next jobs get a fresh shared pool."""
        payload = self._payload
        assert payload is not None
        if self._pool is not None and not self._pool._healthy():
            self._drop_pool()
        for run in self._runs:
            if run is lost or run.lost:
                _log.warning("walker_worker_lost", strategy=run.job.strategy, run_again=True)
                solo = SoloPool.start(self.context, payload)
                self._solos.append(solo)
                future = solo.executor.submit(
                    run_pooled_job, payload.token, solo.path, run.job.strategy
                )
                self._futures.append(future)
                run.run_again(future)

    def _release_pool(self) -> SharedPool | None:
        """This walk no longer uses its pool (which stays for the next walk)."""
        pool, self._pool = self._pool, None
        if pool is not None and self._payload is not None:
            pool.release(self._payload.token)
        return pool

    def _drop_pool(self) -> None:
        pool = self._release_pool()
        if pool is not None:
            discard_pool(pool)

    def close(self) -> None:
        """Drop queued jobs; a job already running finishes in its worker (the pool stays)."""
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.close()
        futures, self._futures = self._futures, []
        self._runs = []
        solos, self._solos = self._solos, []
        for solo in solos:
            solo.close()
        for future in futures:
            future.cancel()
        pool = self._pool
        if pool is not None and not pool._healthy():
            self._drop_pool()
        else:
            self._release_pool()
