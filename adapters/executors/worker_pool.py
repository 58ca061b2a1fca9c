"""Worker processes shared by walks: started by the first `workers=N` walk, reused by the next.

Walk-forward analysis and parameter sweeps run many walkers in a row; starting N processes
and loading the candles into each for every walk would cost more than a short walk itself.
A pool is kept per (workers, start method) and reused while its workers live and while no Python
source file loaded in this process (outside the standard library and site-packages) changed
on disk since the pool started: workers import strategy modules once, so an edited module
would otherwise run stale in them. Idle workers keep the last payloads in memory (two each);
`shutdown_worker_pools()` releases them, and it runs at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import sys
import sysconfig
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from backtestkit.actors.workers.payload import WorkerPayload

from .worker_lifeline import start_worker

__all__ = [
    "SharedPool",
    "SoloPool",
    "acquire_pool",
    "discard_pool",
    "shutdown_worker_pools",
]

_KEEP = 2  # payload files kept on disk per pool once no walk uses them
_PRELOAD = [
    "backtestkit.actors",
    "backtestkit.actors.workers.payload",
    "backtestkit.adapters.executors.worker_lifeline",
]
_LIBRARIES = tuple(
    {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)

Stamps = dict[str, tuple[int, int]]


def _context(name: str) -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(name)
    if name == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context


def source_stamps() -> Stamps:
    """(mtime_ns, size) of every loaded module file that is not part of a library."""
    stamps: Stamps = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or path.startswith(_LIBRARIES):
            continue
        try:
            status = os.stat(path)
        except OSError:
            continue
        stamps[path] = (status.st_mtime_ns, status.st_size)
    return stamps


def _write(payload: WorkerPayload) -> str:
    handle, path = tempfile.mkstemp(prefix="backtestkit-walker-", suffix=".pickle")
    with os.fdopen(handle, "wb") as out:
        pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@dataclass(eq=False)
class SharedPool:
    """One process pool and the payload files its workers may still need to read."""

    key: tuple[int, str]
    executor: ProcessPoolExecutor
    stamps: Stamps
    files: OrderedDict[str, str] = field(default_factory=OrderedDict)  # token -> path
    users: dict[str, int] = field(default_factory=dict)  # token -> walks using it now
    retired: bool = False  # replaced: closes when its last walk releases it

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self.executor.submit(fn, *args)

    def release(self, token: str) -> None:
        """A walk is over: its payload file may go once `_KEEP` newer ones are kept."""
        with _lock:
            left = self.users.get(token, 0) - 1
            if left > 0:
                self.users[token] = left
            else:
                self.users.pop(token, None)
            if self.retired and not self.users:
                self._close()
            else:
                self._evict()

    def _ship(self, payload: WorkerPayload) -> str:
        path = self.files.get(payload.token)
        if path is None:
            path = self.files[payload.token] = _write(payload)
        self.files.move_to_end(payload.token)
        self.users[payload.token] = self.users.get(payload.token, 0) + 1
        return path

    def _evict(self) -> None:
        idle = [token for token in self.files if token not in self.users]
        for token in idle[: max(0, len(self.files) - _KEEP)]:
            _unlink(self.files.pop(token))

    def _healthy(self) -> bool:
        """No worker died since the last walk (the executor only notices at the next job)."""
        if getattr(self.executor, "_broken", False):
            return False
        processes = getattr(self.executor, "_processes", None) or {}
        return all(process.is_alive() for process in processes.values())

    def _stale(self, now: Stamps) -> bool:
        changed = any(self.stamps.get(path, stamp) != stamp for path, stamp in now.items())
        for path, stamp in now.items():
            self.stamps.setdefault(path, stamp)
        return changed

    def _close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        for path in self.files.values():
            _unlink(path)
        self.files.clear()


@dataclass(eq=False)
class SoloPool:
    """One worker of its own for one job run again after its worker died: a job that kills
    its worker then takes no other job with it."""

    executor: ProcessPoolExecutor
    path: str

    @classmethod
    def start(cls, context: str, payload: WorkerPayload) -> SoloPool:
        path = _write(payload)
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=_context(context),
            initializer=start_worker,
            initargs=(path, os.getpid()),
        )
        return cls(executor, path)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        _unlink(self.path)


_lock = threading.Lock()
_pools: dict[tuple[int, str], SharedPool] = {}


def acquire_pool(workers: int, context: str, payload: WorkerPayload) -> tuple[SharedPool, str]:
    """The shared pool for (workers, context) and the file holding `payload` for its workers.

    The caller submits `run_pooled_job(payload.token, path, strategy)` and calls
    `pool.release(payload.token)` when its walk is over.
    """
    key = (workers, context)
    now = source_stamps()
    with _lock:
        pool = _pools.get(key)
        if pool is not None and (pool._stale(now) or not pool._healthy()):
            del _pools[key]
            pool.retired = True  # walks still on it finish there
            if not pool.users:
                pool._close()
            pool = None
        if pool is None:
            path = _write(payload)
            executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=_context(context),
                initializer=start_worker,  # dies with this process, then loads the payload
                initargs=(path, os.getpid()),
            )
            pool = _pools[key] = SharedPool(key, executor, now)
            pool.files[payload.token] = path
            pool.users[payload.token] = 1
            return pool, path
        return pool, pool._ship(payload)


def discard_pool(pool: SharedPool) -> None:
    """Stop using a broken pool (a worker died); the next walk starts a new one."""
    with _lock:
        if _pools.get(pool.key) is pool:
            del _pools[pool.key]
        pool._close()


def shutdown_worker_pools() -> None:
    """Stop every shared pool's workers (jobs already running finish) and remove its files."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool._close()


def _forget_inherited_pools() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _pools.clear()  # a forked child does not own its parent's workers


atexit.register(shutdown_worker_pools)
if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_forget_inherited_pools)
