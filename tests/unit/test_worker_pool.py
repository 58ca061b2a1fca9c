"""Worker pools kept between walks: reused while healthy and while the source files loaded in
this process are unchanged; a dead worker or an edited strategy module gets a fresh pool."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
import walker_strategies as ws

from backtestkit.actors import Walker, add_exchange, add_frame, add_strategy, add_walker
from backtestkit.actors.core.registry import registry
from backtestkit.actors.testing import reset_engine
from backtestkit.actors.workers.payload import build_worker_payload
from backtestkit.adapters.candles import MemoryCandles
from backtestkit.adapters.executors import shutdown_worker_pools, worker_pool
from backtestkit.adapters.executors.process_pool import default_context

SYMBOL = "BTCUSDT"
NAMES = ["sma-5-20", "sma-8-30", "sma-3-12"]
FUNCTIONS = [ws.sma_5_20, ws.sma_8_30, ws.sma_3_12]

pytestmark = pytest.mark.slow


def register(
    walker: str = "w", *, seed: int = 7, functions: list[Any] | None = None, rounds: int = 1
) -> None:
    exchange, frame = f"mem-{seed}", f"frame-{seed}"
    add_exchange(exchange, candles=MemoryCandles({SYMBOL: ws.make_candles(days=1, seed=seed)}))
    add_frame(frame, start=ws.START, end=ws.START + 1440 * ws.MINUTE)
    names = [f"{walker}-{name}-{i}" for i in range(rounds) for name in NAMES]
    for name, fn in zip(names, (functions or FUNCTIONS) * rounds, strict=True):
        add_strategy(name, interval="1m", get_signal=fn)
    add_walker(walker, strategies=names, exchange=exchange, frame=frame, metric="total_pnl")


def walk(walker: str = "w", **options: Any) -> list[tuple[str, Any]]:
    async def collect() -> list[tuple[str, Any]]:
        with anyio.fail_after(120):
            return [
                (c.strategy_name, c.stats)
                async for c in Walker.run(SYMBOL, walker=walker, **options)
            ]

    return anyio.run(collect)


def shared_pool() -> worker_pool.SharedPool:
    return worker_pool._pools[(2, default_context())]


def worker_pids(pool: worker_pool.SharedPool) -> set[int]:
    jobs = [pool.submit(ws.pid_after, 0.3) for _ in range(2)]
    return {job.result(timeout=60) for job in jobs}


def test_walks_in_a_row_reuse_the_workers() -> None:
    register()
    expected = walk()
    assert sum(stats.total_signals for _, stats in expected) > 5  # they trade
    assert walk(workers=2) == expected
    pool = shared_pool()
    pids = worker_pids(pool)
    assert len(pids) == 2
    assert walk(workers=2) == expected
    assert shared_pool() is pool
    assert worker_pids(pool) == pids


def test_a_killed_worker_gets_the_next_walk_a_fresh_pool() -> None:
    register()
    expected = walk()
    assert walk(workers=2) == expected
    pool = shared_pool()
    victim = min(worker_pids(pool))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{victim}").exists():  # until reaped by its parent (the fork server)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert walk(workers=2) == expected
    fresh = shared_pool()
    assert fresh is not pool
    assert victim not in worker_pids(fresh)


def test_an_edited_strategy_module_is_not_run_stale(tmp_path: Path) -> None:
    module_path = tmp_path / "edited_strategy.py"
    source = (
        "from backtestkit.actors import Signal, get_average_price\n"
        "TAKE = {take}\n"
        "def long_every_hour(symbol, when):\n"
        "    if when.minute:\n"
        "        return None\n"
        "    price = get_average_price(symbol)\n"
        "    return Signal('long', price * (1 + TAKE), price * (1 - 0.007), 45)\n"
    )
    module_path.write_text(source.format(take="0.01"))
    sys.path.insert(0, str(tmp_path))
    try:
        module: Any = importlib.import_module("edited_strategy")
        register(functions=[module.long_every_hour, ws.sma_8_30, ws.sma_3_12])
        before = walk(workers=2)
        pool = shared_pool()
        module_path.write_text(source.format(take="0.0123"))  # another size, another mtime
        stat = module_path.stat()
        os.utime(module_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        module = importlib.reload(module)
        reset_engine()
        register(functions=[module.long_every_hour, ws.sma_8_30, ws.sma_3_12])
        expected = walk()
        assert expected[0] != before[0]  # the edit changes the first strategy's results
        assert walk(workers=2) == expected
        assert shared_pool() is not pool
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("edited_strategy", None)


def test_two_walks_at_once_share_the_pool() -> None:
    register("a", seed=7)
    register("b", seed=8)
    expected = {"a": walk("a"), "b": walk("b")}
    assert expected["a"] != expected["b"]

    async def both() -> dict[str, list[tuple[str, Any]]]:
        async def one(name: str) -> list[tuple[str, Any]]:
            return [
                (c.strategy_name, c.stats) async for c in Walker.run(SYMBOL, walker=name, workers=2)
            ]

        a, b = await asyncio.gather(one("a"), one("b"))
        return {"a": a, "b": b}

    assert asyncio.run(both()) == expected


def test_payload_files_are_kept_for_two_idle_walks_and_removed_at_shutdown() -> None:
    paths: list[str] = []
    for seed in (7, 8, 9):
        reset_engine()
        register(seed=seed)
        walk(workers=2)
        pool = shared_pool()
        payload = build_worker_payload(SYMBOL, registry.walker("w"))
        paths.append(pool.files[payload.token])
    assert len(set(paths)) == 3
    assert not os.path.exists(paths[0])  # the oldest idle payload went
    assert all(os.path.exists(path) for path in paths[1:])
    assert len(pool.files) == 2
    shutdown_worker_pools()
    assert not any(os.path.exists(path) for path in paths)
    assert (2, default_context()) not in worker_pool._pools


def test_dask_walks_in_a_row_reuse_the_client_and_the_scattered_schemas(
    dask_cluster: str,
) -> None:
    from backtestkit.adapters.executors import dask_cluster as dask_executor

    register()
    token = build_worker_payload(SYMBOL, registry.walker("w")).token
    expected = walk()
    assert walk(dask=dask_cluster) == expected
    client = dask_executor._clients[dask_cluster]
    scattered = dask_executor._scattered[client][token].key
    assert walk(dask=dask_cluster) == expected
    assert dask_executor._clients[dask_cluster] is client
    assert dask_executor._scattered[client][token].key == scattered
    reset_engine()
    register(seed=8)  # other candles: another payload, scattered beside the first
    walk(dask=dask_cluster)
    kept = dask_executor._scattered[client]
    assert len(kept) == 2
    assert kept[token].key == scattered


def test_dask_starts_one_strategy_per_idle_worker_thread(dask_cluster: str) -> None:
    from distributed import get_task_stream

    from backtestkit.adapters.executors import dask_cluster as dask_executor

    register()
    expected = walk()
    walk(dask=dask_cluster)  # connects the kept client
    client = dask_executor._clients[dask_cluster]
    with get_task_stream(client) as stream:
        assert walk(dask=dask_cluster) == expected
    computes = sorted(
        (span["start"], span["stop"], task["worker"])
        for task in stream.data
        if "run_strategy_job" in task["key"]
        for span in task["startstops"]
        if span["action"] == "compute"
    )
    assert len(computes) == len(NAMES)
    assert computes[0][2] != computes[1][2]  # the first two went to the two workers
    for worker in {worker for _, _, worker in computes}:
        spans = [(start, stop) for start, stop, on in computes if on == worker]
        for (_, stop), (later, _) in itertools.pairwise(spans):
            assert later >= stop - 0.05  # one at a time on a single-thread worker


def test_a_walk_still_running_on_a_replaced_pool_finishes_there(tmp_path: Path) -> None:
    module_path = tmp_path / "touched_module.py"
    module_path.write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.import_module("touched_module")
        register("a", seed=7, rounds=3)  # 9 strategies: most start after the edit
        register("b", seed=8)
        expected = {"a": walk("a"), "b": walk("b")}

        async def both() -> dict[str, list[tuple[str, Any]]]:
            got: dict[str, list[tuple[str, Any]]] = {"a": [], "b": []}
            first = asyncio.Event()

            async def walk_a() -> None:
                async for c in Walker.run(SYMBOL, walker="a", workers=2):
                    got["a"].append((c.strategy_name, c.stats))
                    first.set()

            async def walk_b_after_an_edit() -> None:
                await first.wait()
                stat = module_path.stat()
                os.utime(module_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
                async for c in Walker.run(SYMBOL, walker="b", workers=2):
                    got["b"].append((c.strategy_name, c.stats))

            pool_a = asyncio.create_task(walk_a())
            await walk_b_after_an_edit()
            await pool_a
            return got

        walk("a", workers=2)  # the pool walk "a" will start on
        old = shared_pool()
        assert asyncio.run(both()) == expected
        assert shared_pool() is not old  # walk "b" got a fresh pool...
        assert old.retired and not old.files  # ...and "a"'s closed when "a" was done
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("touched_module", None)


@pytest.mark.parametrize("where", ["pool", "dask"])
def test_one_executor_serves_walks_in_a_row(where: str, request: pytest.FixtureRequest) -> None:
    from backtestkit.adapters.executors import DaskWalkerExecutor, ProcessPoolWalkerExecutor

    register()
    expected = walk()
    executor: Any = (
        DaskWalkerExecutor(request.getfixturevalue("dask_cluster"))
        if where == "dask"
        else ProcessPoolWalkerExecutor(2)
    )
    assert walk(executor=executor) == expected
    assert walk(executor=executor) == expected
