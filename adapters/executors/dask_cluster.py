"""DaskWalkerExecutor: a walker's backtests on a Dask cluster (`Walker.run(dask=...)`).

`dask` is a scheduler address (`"tcp://host:8786"`), a cluster object (e.g. `LocalCluster`) or a
`distributed.Client`. Workers must be separate processes (`processes=True`, the default) with
backtestkit and the strategies' modules importable; one thread per worker is enough (jobs in
one worker process run one at a time). The schemas are scattered to every worker once. Needs the
`dask` extra: `pip install 'backtestkit[dask]'`.
"""

from __future__ import annotations

from concurrent.futures import CancelledError
from typing import Any

import anyio

from backtestkit.actors.schemas import WalkerSchema
from backtestkit.actors.walker_executor import StrategyJob, StrategyRun
from backtestkit.actors.walker_payload import (
    WorkerPayload,
    build_worker_payload,
    run_strategy_job,
)
from backtestkit.bus import BacktestStatistics

__all__ = ["DaskWalkerExecutor"]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "Walker.run(dask=...) needs dask.distributed: pip install 'backtestkit[dask]'"
        ) from exc
    return distributed


class DaskRun:
    """A `distributed.Future` seen as a `StrategyRun`."""

    __slots__ = ("_future",)

    def __init__(self, future: Any) -> None:
        self._future = future

    def done(self) -> bool:
        return bool(self._future.done())

    def cancel(self) -> bool:
        if self._future.done():
            return False
        self._future.cancel()  # a running task cannot be interrupted; its result is dropped
        return True

    async def result(self) -> BacktestStatistics:
        try:
            stats: BacktestStatistics = await anyio.to_thread.run_sync(
                self._future.result, abandon_on_cancel=True
            )
        except Exception as exc:
            if self._future.cancelled():
                raise CancelledError() from exc
            raise
        return stats


class DaskWalkerExecutor:
    """Submits every strategy of the walker at once; the scheduler spreads them."""

    def __init__(self, cluster: Any, *, capacity: int | None = None) -> None:
        self._target = cluster
        self._capacity = capacity
        self._payload: WorkerPayload | None = None
        self._client: Any = None
        self._owned = False
        self._scattered: Any = None
        self._futures: list[Any] = []

    @property
    def capacity(self) -> int:
        return self._capacity or 1

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        _distributed()
        self._payload = build_worker_payload(symbol, walker)
        if self._capacity is None:
            self._capacity = len(walker.strategies)

    def _connect(self) -> Any:
        if self._client is None:
            distributed = _distributed()
            target = self._target
            if isinstance(target, distributed.Client):
                client = target
            else:
                client = distributed.Client(target, set_as_default=False)
                self._owned = True
            self._scattered = client.scatter(self._payload, broadcast=True, hash=False)
            self._client = client
        return self._client

    async def submit(self, job: StrategyJob) -> StrategyRun:
        if self._payload is None:
            raise RuntimeError("DaskWalkerExecutor.submit before prepare")
        client = self._client or await anyio.to_thread.run_sync(self._connect)
        future = client.submit(run_strategy_job, self._scattered, job.strategy, pure=False)
        self._futures.append(future)
        return DaskRun(future)

    def close(self) -> None:
        """Cancel what is left; close the client if this executor opened it."""
        client, self._client = self._client, None
        futures, self._futures = self._futures, []
        if client is None:
            return
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
        if self._owned:
            client.close()
