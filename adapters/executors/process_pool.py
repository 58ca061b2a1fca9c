"""ProcessPoolWalkerExecutor: a walker's backtests in N local processes (`Walker.run(workers=N)`).

Workers start from the 'forkserver' context where the OS has it (a clean server process that
imports the engine once and forks every worker from there, so a pool starts in milliseconds
after the first), else from 'spawn'. Either way a worker shares nothing with this process but
what it is sent: each receives the walker's schemas once, through the pool initializer (from a
temporary file, so workers start side by side), then runs strategies by name.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures

import anyio

from backtestkit.actors.schemas import WalkerSchema
from backtestkit.actors.walker_executor import StrategyJob, StrategyRun
from backtestkit.actors.walker_payload import (
    WorkerPayload,
    build_worker_payload,
    install_payload_file,
    run_installed_job,
)
from backtestkit.bus import BacktestStatistics

__all__ = ["ProcessPoolWalkerExecutor"]

_CONTEXTS = ("spawn", "forkserver")
_PRELOAD = ["backtestkit.actors", "backtestkit.actors.walker_payload"]


def default_context() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _context(name: str) -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(name)
    if name == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context


class FutureRun:
    """A `concurrent.futures.Future` seen as a `StrategyRun`."""

    __slots__ = ("_future",)

    def __init__(self, future: Future[BacktestStatistics]) -> None:
        self._future = future

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> bool:
        return self._future.cancel()

    async def result(self) -> BacktestStatistics:
        if not self._future.done():
            await anyio.to_thread.run_sync(wait_futures, [self._future], abandon_on_cancel=True)
        return self._future.result()


class ProcessPoolWalkerExecutor:
    """Runs up to `workers` backtests at once; `2 * workers` strategies are handed over ahead."""

    def __init__(self, workers: int, *, context: str | None = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        context = context or default_context()
        if context not in _CONTEXTS:
            raise ValueError(f"context must be one of {', '.join(_CONTEXTS)}, got {context!r}")
        self.workers = workers
        self.context = context
        self._payload: WorkerPayload | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._file: str | None = None

    @property
    def capacity(self) -> int:
        return 2 * self.workers

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        self._payload = build_worker_payload(symbol, walker)

    async def submit(self, job: StrategyJob) -> StrategyRun:
        payload = self._payload
        if payload is None:
            raise RuntimeError("ProcessPoolWalkerExecutor.submit before prepare")
        if self._pool is None:
            handle, self._file = tempfile.mkstemp(prefix="backtestkit-walker-", suffix=".pickle")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_context(self.context),
                initializer=install_payload_file,
                initargs=(self._file,),
            )
        return FutureRun(self._pool.submit(run_installed_job, payload.token, job.strategy))

    def close(self) -> None:
        """Drop queued jobs; a job already running finishes in its worker, which then exits."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        path, self._file = self._file, None
        if path is not None:
            os.unlink(path)
