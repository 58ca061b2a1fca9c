"""Dispatcher: strategies start when the walk first waits, `slots` at a time, longest expected
first (durations of earlier runs; never-timed strategies first, in schema order)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

import anyio
import pytest

from backtestkit.actors.walker.durations import record_duration
from backtestkit.actors.walker.executor import StrategyJob, StrategyRun
from backtestkit.actors.workers.dispatch import Dispatcher

pytestmark = pytest.mark.anyio


def job(index: int, symbol: str = "BTCUSDT") -> StrategyJob:
    return StrategyJob(symbol, "w", f"s{index}", "ex", "fr", index)


class FakeRun:
    def __init__(self, name: str) -> None:
        self.name = name
        self.value: Any = None
        self.finished = False
        self.event = anyio.Event()

    def done(self) -> bool:
        return self.finished

    def cancel(self) -> bool:
        return False

    async def result(self) -> Any:
        await self.event.wait()
        return self.value


class Workers:
    """A launch function that records what started and lets the test finish jobs."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.running: dict[str, tuple[FakeRun, Callable[[], None]]] = {}
        self.fail: set[str] = set()

    def launch(self, job: StrategyJob, finished: Callable[[], None]) -> StrategyRun:
        if job.strategy in self.fail:
            raise RuntimeError(f"cannot start {job.strategy}")
        run = FakeRun(job.strategy)
        self.started.append(job.strategy)
        self.running[job.strategy] = (run, finished)
        return run

    def finish(self, name: str, value: Any = None) -> None:
        run, finished = self.running.pop(name)
        run.value = value if value is not None else f"stats of {name}"
        run.finished = True
        run.event.set()
        finished()


async def test_nothing_starts_before_the_walk_waits_then_slots_limit_it() -> None:
    workers = Workers()
    dispatcher = Dispatcher(2, workers.launch)
    runs = [dispatcher.enqueue(job(i)) for i in range(5)]
    assert workers.started == []
    workers_done: list[Any] = []

    async def first_result() -> None:
        workers_done.append(await runs[0].result())

    async with anyio.create_task_group() as tg:
        tg.start_soon(first_result)
        await anyio.wait_all_tasks_blocked()
        assert workers.started == ["s0", "s1"]  # two slots, schema order: nothing timed yet
        workers.finish("s1")
        assert workers.started == ["s0", "s1", "s2"]
        workers.finish("s0")
    assert workers_done == ["stats of s0"]
    assert workers.started == ["s0", "s1", "s2", "s3"]
    assert await runs[1].result() == "stats of s1"


async def test_longest_expected_first_and_never_timed_before_timed() -> None:
    for index, seconds in [(0, 0.4), (1, 0.9), (2, 0.5), (4, 1.2)]:
        record_duration("BTCUSDT", f"s{index}", seconds)
    record_duration("ETHUSDT", "s0", 99.0)  # another symbol's timing does not count
    workers = Workers()
    dispatcher = Dispatcher(1, workers.launch)
    for i in range(6):
        dispatcher.enqueue(job(i))
    dispatcher.start()
    for _ in range(6):
        workers.finish(workers.started[-1])
    assert workers.started == ["s3", "s5", "s4", "s1", "s2", "s0"]


async def test_finished_jobs_record_their_duration_for_the_next_walk() -> None:
    workers = Workers()
    first = Dispatcher(1, workers.launch)
    for i in range(2):
        first.enqueue(job(i))
    first.start()
    await anyio.sleep(0.05)
    workers.finish("s0")  # s0 took 50 ms or more, s1 about nothing
    workers.finish("s1")
    again = Workers()
    second = Dispatcher(1, again.launch)
    for i in range(2):
        second.enqueue(job(i))
    second.start()
    again.finish("s0")
    assert again.started == ["s0", "s1"]
    record_duration("BTCUSDT", "s1", 10.0)
    third = Workers()
    dispatcher = Dispatcher(1, third.launch)
    for i in range(2):
        dispatcher.enqueue(job(i))
    dispatcher.start()
    assert third.started == ["s1"]


async def test_cancelled_or_closed_queued_jobs_never_start() -> None:
    workers = Workers()
    dispatcher = Dispatcher(1, workers.launch)
    runs = [dispatcher.enqueue(job(i)) for i in range(4)]
    dispatcher.start()
    assert runs[2].cancel() is True
    assert runs[2].done()
    with pytest.raises(CancelledError):
        await runs[2].result()
    workers.finish("s0")
    assert workers.started == ["s0", "s1"]
    dispatcher.close()
    workers.finish("s1")
    assert workers.started == ["s0", "s1"]  # s3 was queued when the walk closed
    with pytest.raises(CancelledError):
        await runs[3].result()
    assert await runs[1].result() == "stats of s1"


async def test_a_job_that_cannot_start_fails_alone() -> None:
    workers = Workers()
    workers.fail.add("s1")
    dispatcher = Dispatcher(1, workers.launch)
    runs = [dispatcher.enqueue(job(i)) for i in range(3)]
    dispatcher.start()
    workers.finish("s0")  # s1 fails to start; s2 takes the slot
    assert workers.started == ["s0", "s2"]
    with pytest.raises(RuntimeError, match="cannot start s1"):
        await runs[1].result()
    workers.finish("s2")
    assert await runs[2].result() == "stats of s2"


def test_in_process_walks_time_their_strategies_too() -> None:
    import walker_strategies as ws

    from backtestkit.actors import Walker, add_exchange, add_frame, add_strategy, add_walker
    from backtestkit.actors.walker.durations import expected_seconds
    from backtestkit.adapters.candles import MemoryCandles

    add_exchange("mem", candles=MemoryCandles({"BTCUSDT": ws.make_candles(days=1)}))
    add_frame("day", start=ws.START, end=ws.START + 1440 * ws.MINUTE)
    add_strategy("a", interval="1m", get_signal=ws.sma_5_20)
    add_strategy("b", interval="1m", get_signal=ws.never)
    add_walker("w", strategies=["a", "b"], exchange="mem", frame="day")

    async def walk() -> None:
        async for _ in Walker.run("BTCUSDT", walker="w"):
            pass

    anyio.run(walk)
    assert 0 < expected_seconds("BTCUSDT", "a") < 60
    assert 0 < expected_seconds("BTCUSDT", "b") < 60
    assert expected_seconds("ETHUSDT", "a") == float("inf")
