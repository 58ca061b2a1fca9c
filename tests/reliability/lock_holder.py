"""A live trader in its own process for the state-dir lock tests: `python lock_holder.py DIR`.

It trades strategy "holder" (risk profile "one", at most one position) on flat candles at
100 on a virtual clock that really sleeps 50 ms per tick, prints `ready` once its long is open
(on disk), and runs until it is killed.
"""

from __future__ import annotations

import sys
from datetime import datetime

import anyio

from backtestkit.actors import Live, Signal, VirtualClock, add_exchange, add_risk, add_strategy
from backtestkit.actors.market import Candle
from backtestkit.actors.market.intervals import CANDLE_INTERVALS, MINUTE_MS

START = 1_704_067_200_000  # 2024-01-01T00:00Z


class FlatCandles:
    """Every candle o/c 100, h 101, l 99, volume 10."""

    def fetch(self, symbol: str, interval: str, since_ms: int, limit: int) -> list[Candle]:
        step = CANDLE_INTERVALS[interval] * MINUTE_MS
        return [Candle(since_ms + i * step, 100.0, 101.0, 99.0, 100.0, 10.0) for i in range(limit)]


class SlowClock(VirtualClock):
    async def sleep(self, ms: int) -> None:
        await super().sleep(ms)
        await anyio.sleep(0.05)


def register(strategy: str) -> None:
    add_exchange("paper", candles=FlatCandles())
    add_risk("one", max_concurrent_positions=1)

    def enter(symbol: str, when: datetime) -> Signal:
        return Signal("long", 102.0, 98.0, 600)

    add_strategy(strategy, interval="1m", get_signal=enter, risk="one")


async def main(state_dir: str) -> None:
    register("holder")
    async for _ in Live.run(
        "BTCUSD", strategy="holder", exchange="paper", clock=SlowClock(START), state_dir=state_dir
    ):
        print("ready", flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1])
