"""Live-mode persistence benchmark.

(a) One persisted transition: the atomic, fsync'd write of a pending signal row
    (JsonStateStore.write: temp file, fsync, rename, directory fsync), median of 200 writes
    in a temporary directory, best of 3 rounds (fsync times on shared machines are noisy).
    Target <= 1 ms.
(b) Disk writes during 1000 idle live ticks on virtual time (get_signal returns None; candles
    through ReplayCandles): a tick that changes no state must not touch the disk. Target 0.
    Once with a plain function, once with a coroutine function.

Run: `python benchmarks/bench_live.py`. Always exits 0 (benchmarks report, tests assert).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import numpy as np

from backtestkit.actors import Live, SignalRow, VirtualClock, add_exchange, add_strategy
from backtestkit.actors.live import JsonStateStore
from backtestkit.actors.live.state_json import row_to_json
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles, ReplayCandles
from backtestkit.bus import listen_signal_live

START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE_MS = 60_000
SYMBOL = "BTCUSDT"
WRITES = 200
IDLE_TICKS = 1000
WRITE_TARGET_MS = 1.0
IDLE_WRITES_TARGET = 0


def pending_row(i: int) -> SignalRow:
    return SignalRow(
        id=f"bench:{SYMBOL}:{START_MS + i * MINUTE_MS}",
        position="long",
        price_open=42_000.0 + i,
        price_take_profit=42_420.0 + i,
        price_stop_loss=41_790.0 + i,
        minute_estimated_time=240,
        note="bench",
        scheduled_at=START_MS + i * MINUTE_MS,
        pending_at=START_MS + i * MINUTE_MS,
        symbol=SYMBOL,
        exchange_name="bench",
        strategy_name="bench",
        is_scheduled=False,
    )


def bench_transition_ms(rounds: int = 3) -> float:
    """Best of `rounds` medians of one atomic fsync'd write of a pending row."""
    return min(_median_write_ms() for _ in range(rounds))


def _median_write_ms() -> float:
    """Median wall time of one atomic fsync'd write of a pending row (a new row each time)."""
    with tempfile.TemporaryDirectory(prefix="bench_live_") as tmp:
        store = JsonStateStore(tmp)
        path = store.path("signal", f"{SYMBOL}_bench", f"{SYMBOL}.json")
        store.write(path, None)  # the directory exists, as after the first transition
        samples = []
        for i in range(WRITES):
            document = row_to_json(pending_row(i))
            started = time.perf_counter()
            store.write(path, document)
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def flat_candles(minutes: int) -> MemoryCandles:
    rng = np.random.default_rng(7)
    close = 42_000.0 + np.cumsum(rng.normal(0.0, 5.0, minutes))
    timestamp = START_MS - 10 * MINUTE_MS + np.arange(minutes, dtype=np.int64) * MINUTE_MS
    return MemoryCandles(
        {
            SYMBOL: {
                "timestamp": timestamp,
                "open": close,
                "high": close + 3.0,
                "low": close - 3.0,
                "close": close,
                "volume": np.full(minutes, 1.5),
            }
        }
    )


def idle(symbol: str, when: datetime) -> None:
    return None


async def idle_async(symbol: str, when: datetime) -> None:
    return None


def bench_idle_writes(get_signal: Callable[[str, datetime], Any]) -> tuple[int, float]:
    """(disk writes, seconds) over IDLE_TICKS idle live ticks on a VirtualClock."""
    reset_engine()
    clock = VirtualClock(START_MS)
    add_exchange("bench", candles=ReplayCandles(flat_candles(IDLE_TICKS + 60), clock))
    add_strategy("bench", interval="1m", get_signal=get_signal)
    writes = 0

    def count(phase: str, path: Path) -> None:
        nonlocal writes
        if phase == "before_write":
            writes += 1

    ticks = 0

    async def stop_at_last(result: Any) -> None:
        nonlocal ticks
        ticks += 1
        if ticks == IDLE_TICKS:
            await Live.stop(SYMBOL, "bench")

    listen_signal_live(stop_at_last)

    async def run(state_dir: str) -> None:
        store = JsonStateStore(state_dir, on_phase=count)
        async for _ in Live.run(
            SYMBOL, strategy="bench", exchange="bench", clock=clock, state_dir=store
        ):
            pass

    with tempfile.TemporaryDirectory(prefix="bench_live_") as tmp:
        started = time.perf_counter()
        anyio.run(run, tmp)
        seconds = time.perf_counter() - started
    reset_engine()
    assert ticks == IDLE_TICKS
    return writes, seconds


def main() -> int:
    median_ms = bench_transition_ms()
    verdict = "OK" if median_ms <= WRITE_TARGET_MS else "MISSED"
    print(
        f"live.persisted_transition: median {median_ms:.3f} ms over {WRITES} fsync'd atomic "
        f"writes of a pending row, best of 3 (target <= {WRITE_TARGET_MS:g} ms) {verdict}"
    )
    for style, get_signal in (("sync", idle), ("async", idle_async)):
        writes, seconds = bench_idle_writes(get_signal)
        verdict = "OK" if writes <= IDLE_WRITES_TARGET else "MISSED"
        print(
            f"live.idle_ticks, {style}: {writes} disk writes over {IDLE_TICKS} idle ticks on "
            f"virtual time (target {IDLE_WRITES_TARGET}) {verdict}; "
            f"{IDLE_TICKS / seconds:,.0f} ticks/s (reference: none, its live loop runs on the "
            "wall clock)"
        )
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
