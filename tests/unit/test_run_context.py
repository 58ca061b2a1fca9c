"""A run's execution context: current inside the engine, the consumer's own while an
`async for` consumer holds a result; `run_sync`, which runs nothing between results, keeps the
run's context for the whole run (no swap per result) and returns the same results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import anyio
import numpy as np
import pytest

from backtestkit.actors import Backtest, Signal, add_exchange, add_frame, add_strategy
from backtestkit.actors.core.context import ExecutionContext, execution_context
from backtestkit.actors.core.facade_support import collected, in_context
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles

T0 = 1_704_067_200_000  # 2024-01-01T00:00Z
MINUTE = 60_000


@pytest.fixture(autouse=True)
def engine() -> Iterator[None]:
    reset_engine()
    yield
    reset_engine()


def setup_run() -> None:
    """Flat, then rising candles; a long signal asked every 10 minutes."""
    count = 200
    close = np.r_[np.full(100, 100.0), np.linspace(100.0, 103.0, 100)]
    columns = {
        "timestamp": T0 - 10 * MINUTE + np.arange(count, dtype=np.int64) * MINUTE,
        "open": close,
        "high": close + 0.05,
        "low": close - 0.05,
        "close": close,
        "volume": np.ones(count),
    }
    add_exchange("flat", candles=MemoryCandles({"BTCUSDT": columns}))
    add_frame("two-hours", start=T0, end=T0 + 120 * MINUTE)

    def every_ten(symbol: str, when: datetime) -> Signal | None:
        if when.minute % 10:
            return None
        return Signal("long", 101.0 + when.minute / 100, 99.0, 30)

    add_strategy("ten", interval="1m", get_signal=every_ten)


@pytest.mark.anyio
async def test_an_async_for_consumer_holds_each_result_in_its_own_context() -> None:
    setup_run()
    held: list[object] = []
    async for result in Backtest.run("BTCUSDT", strategy="ten", exchange="flat", frame="two-hours"):
        held.append(execution_context.get())
        assert result.action == "closed"
    assert held and all(context is None for context in held)


@pytest.mark.anyio
async def test_run_sync_returns_what_async_for_yields_and_leaves_no_context() -> None:
    setup_run()
    run = {"strategy": "ten", "exchange": "flat", "frame": "two-hours"}
    iterated = [result async for result in Backtest.run("BTCUSDT", **run)]
    synced = await anyio.to_thread.run_sync(lambda: Backtest.run_sync("BTCUSDT", **run))
    assert execution_context.get() is None
    assert len(synced) > 1 and synced == iterated


@pytest.mark.anyio
async def test_a_collected_run_keeps_its_context_while_the_collector_holds_a_result() -> None:
    context = ExecutionContext("BTCUSDT", T0, True, None)  # type: ignore[arg-type]

    async def results() -> AsyncIterator[int]:
        for i in range(3):
            assert execution_context.get() is context
            yield i

    swapped = [execution_context.get() async for _ in in_context(results(), context)]
    with collected():
        kept_iterator = in_context(results(), context)
    kept = [execution_context.get() async for _ in kept_iterator]
    assert swapped == [None, None, None]
    assert kept == [context, context, context]
    assert execution_context.get() is None
