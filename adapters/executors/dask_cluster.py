"""DaskWalkerExecutor: a walker's backtests on a Dask cluster (`Walker.run(dask=...)`).

`dask` is a scheduler address (`"tcp://host:8786"`), a cluster object (e.g. `LocalCluster`) or a
`distributed.Client`. Workers must be separate processes (`processes=True`, the default) with
backtestkit and the strategies' modules importable; one thread per worker is enough (jobs in
one worker process run one at a time). As many strategies run at once as the cluster had
threads when the walk started, longest expected first (see `workers.dispatch`). The schemas are
scattered to every worker once and kept there for the next walk with the same content (two
payloads per client); a client this module opens for an address or a cluster is kept for the
next walk too and closed at exit. Needs the `dask` extra: `pip install 'backtestkit[dask]'`.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

import anyio

from backtestkit.actors.core.schemas import WalkerSchema
from backtestkit.actors.reports import BacktestStatistics
from backtestkit.actors.walker.executor import StrategyJob, StrategyRun
from backtestkit.actors.workers.dispatch import Dispatcher
from backtestkit.actors.workers.payload import (
    WorkerPayload,
    build_worker_payload,
    run_strategy_job,
)

__all__ = ["DaskWalkerExecutor", "close_dask_clients"]

_KEEP = 2  # scattered payloads kept per client
_lock = threading.Lock()
_clients: dict[str, Any] = {}  # scheduler address -> a client this module opened
_exit_hook: list[Any] = []
_scattered: weakref.WeakKeyDictionary[Any, OrderedDict[str, Any]] = weakref.WeakKeyDictionary()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "Walker.run(dask=...) needs dask.distributed: pip install 'backtestkit[dask]'"
        ) from exc
    return distributed


def _client(target: Any) -> Any:
    """The user's Client, or the kept client for the target's scheduler address."""
    distributed = _distributed()
    if isinstance(target, distributed.Client):
        return target
    address = target if isinstance(target, str) else target.scheduler_address
    with _lock:
        client = _clients.get(address)
        if client is not None and client.status == "running":
            return client
        if not _exit_hook:
            _exit_hook.append(atexit.register(close_dask_clients))  # runs before distributed's
        client = _clients[address] = distributed.Client(address, set_as_default=False)
        return client


def _payload_future(client: Any, payload: WorkerPayload) -> Any:
    """The payload on every worker: scattered once per client and content."""
    with _lock:
        kept = _scattered.setdefault(client, OrderedDict())
        future = kept.get(payload.token)
        if future is not None and future.status == "finished":
            kept.move_to_end(payload.token)
            return future
    future = client.scatter(payload, broadcast=True, hash=False)
    with _lock:
        kept[payload.token] = future
        while len(kept) > _KEEP:
            kept.popitem(last=False)  # tasks still waiting for it keep it on the workers
    return future


def close_dask_clients() -> None:
    """Close the clients this module opened (the clusters keep running)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        _scattered.pop(client, None)
        client.close(timeout=5)


class DaskRun:
    """A `distributed.Future` seen as a `StrategyRun`; its result is fetched as soon as the task
    ends (`fetch`, from the future's callback), not when the walk reaches it in schema order."""

    __slots__ = ("_error", "_fetched", "_future", "_stats")

    def __init__(self, future: Any) -> None:
        self._future = future
        self._fetched = threading.Event()
        self._stats: BacktestStatistics | None = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return bool(self._future.done())

    def cancel(self) -> bool:
        if self._future.done():
            return False
        self._future.cancel()  # a running task cannot be interrupted; its result is dropped
        return True

    def fetch(self) -> None:
        """Bring the ended task's result (or error) over; blocks, so not on an event loop."""
        try:
            self._stats = self._future.result()
        except BaseException as exc:
            self._error = exc
        finally:
            self._fetched.set()

    async def result(self) -> BacktestStatistics:
        if not self._fetched.is_set():
            await anyio.to_thread.run_sync(self._fetched.wait, abandon_on_cancel=True)
        if self._error is not None:
            if self._future.cancelled():
                raise CancelledError() from self._error
            raise self._error
        assert self._stats is not None
        return self._stats


class DaskWalkerExecutor:
    """One backtest per worker thread of the cluster at a time, longest expected first."""

    def __init__(self, cluster: Any, *, capacity: int | None = None) -> None:
        self._target = cluster
        self._capacity = capacity
        self._payload: WorkerPayload | None = None
        self._client: Any = None
        self._scattered: Any = None
        self._dispatcher: Dispatcher | None = None
        self._free: list[str] = []  # a worker address per idle thread
        self._futures: list[Any] = []

    @property
    def capacity(self) -> int:
        return self._capacity or 1

    def prepare(self, symbol: str, walker: WalkerSchema) -> None:
        _distributed()
        self._payload = build_worker_payload(symbol, walker)
        if self._capacity is None:
            self._capacity = len(walker.strategies)

    def _connect(self, payload: WorkerPayload) -> Dispatcher:
        if self._dispatcher is None:
            client = _client(self._target)
            self._scattered = _payload_future(client, payload)
            threads = client.nthreads()  # workers joining later serve the next walk
            self._free = [address for address, n in threads.items() for _ in range(n)]
            self._client = client
            self._dispatcher = Dispatcher(max(1, len(self._free)), self._launch)
        return self._dispatcher

    def _launch(self, job: StrategyJob, finished: Callable[[], None]) -> StrategyRun:
        """On an idle worker thread: the scheduler's own placement may queue two strategies on
        one worker while another idles; the worker stays a preference if it is gone."""
        free = self._free  # this walk's, even if the callback comes after the next walk began
        worker = free.pop() if free else None
        future = self._client.submit(
            run_strategy_job,
            self._scattered,
            job.strategy,
            pure=False,
            workers=None if worker is None else [worker],
            allow_other_workers=True,
        )

        run = DaskRun(future)

        def done(_: Any) -> None:  # in a thread of the client's, not its event loop
            if worker is not None:
                free.append(worker)
            finished()  # the next strategy starts first
            run.fetch()

        future.add_done_callback(done)
        self._futures.append(future)
        return run

    async def submit(self, job: StrategyJob) -> StrategyRun:
        payload = self._payload
        if payload is None:
            raise RuntimeError("DaskWalkerExecutor.submit before prepare")
        dispatcher = self._dispatcher
        if dispatcher is None:
            dispatcher = await anyio.to_thread.run_sync(self._connect, payload)
        return dispatcher.enqueue(job)

    def close(self) -> None:
        """Cancel what is left (the client and the scattered payload stay for the next walk)."""
        dispatcher, self._dispatcher = self._dispatcher, None  # the next walk connects anew
        if dispatcher is not None:
            dispatcher.close()
        client, self._client = self._client, None
        futures, self._futures = self._futures, []
        self._scattered = None
        if client is None:
            return
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
