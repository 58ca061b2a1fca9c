"""Live recording and parity benchmark.

(a) Parity per day of 1m data: a 24-hour live paper run (ReplayCandles + VirtualClock on
    examples/data, 1440 ticks) is recorded, then `parity` replays and diffs it; best of 3.
    Two strategies: the example SMA cross (5m throttle, 30-candle look-back) and "follow"
    (a position whenever flat: a transition every few ticks). Target <= 10 s per day.
(b) The recording's cost: 1440 idle live ticks with and without recording (median of 5 runs
    each, the difference per tick), its write(2) and fsync calls and bytes per idle tick. The
    state's own writes per idle tick stay 0 (bench_live); the recording adds one write(2) per tick
    and no fsync until a transition (or once an hour of ticks).

Run: `python benchmarks/bench_parity.py`. Always exits 0 (benchmarks report, tests assert).
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

from backtestkit.actors import (
    Live,
    Signal,
    VirtualClock,
    add_exchange,
    add_strategy,
    get_average_price,
    get_candles,
    parity,
)
from backtestkit.actors.live import RecordingWriter
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import CsvCandles, ReplayCandles

DATA = Path(__file__).resolve().parents[1] / "examples" / "data" / "bitstamp_BTCUSD_1m.csv"
START = 1_786_928_400_000  # 2026-08-17T01:00Z
DAY_TICKS = 1440
TTL = 60_001
SYMBOL = "BTCUSD"
PARITY_TARGET_S = 10.0


class EndOfDay(Exception):
    pass


class DayClock(VirtualClock):
    async def sleep(self, ms: int) -> None:
        if self.now() + ms >= START + DAY_TICKS * TTL:
            raise EndOfDay
        await super().sleep(ms)


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    closes = get_candles(symbol, "1m", 30).close
    if len(closes) < 21:
        return None
    fast_now, fast_prev = closes[-5:].mean(), closes[-6:-1].mean()
    slow_now, slow_prev = closes[-20:].mean(), closes[-21:-1].mean()
    price = float(get_average_price(symbol))
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * 1.01, price * 0.993, 240)
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * 0.99, price * 1.007, 240)
    return None


def follow(symbol: str, when: datetime) -> Signal:
    price = float(get_average_price(symbol))
    return Signal("long", price * 1.006, price * 0.994, 30)


def idle(symbol: str, when: datetime) -> None:
    return None


def live_day(
    state_dir: Path, name: str, get_signal: Callable[..., Any], record: bool | RecordingWriter
) -> float:
    """Seconds for one recorded (or not) day of live ticks on virtual time."""
    reset_engine()
    clock = DayClock(START)
    add_exchange("paper", candles=ReplayCandles(CsvCandles(DATA), clock))
    add_strategy(name, interval="5m" if name == "sma-cross" else "1m", get_signal=get_signal)

    async def run() -> None:
        results = Live.run(
            SYMBOL, strategy=name, exchange="paper", clock=clock, state_dir=state_dir, record=record
        )
        try:
            async for _ in results:
                pass
        except EndOfDay:
            pass

    started = time.perf_counter()
    anyio.run(run)
    return time.perf_counter() - started


def bench_parity_day(name: str, get_signal: Callable[..., Any]) -> tuple[float, int, int]:
    """(best parity seconds, ticks, signals) for one recorded day."""
    with tempfile.TemporaryDirectory(prefix="bench_parity_") as tmp:
        live_day(Path(tmp), name, get_signal, True)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            result = parity(tmp)
            best = min(best, time.perf_counter() - started)
        assert result.ok, result.first_divergence()
        return best, result.replay.ticks, len(result.comparisons)


def bench_recording_cost() -> tuple[float, float, float, float, float]:
    """(µs per tick without, µs per tick with, write(2) per tick, fsync per tick, bytes/tick)."""
    plain, recorded = [], []
    writes = fsyncs = size = 0
    for _ in range(5):
        with tempfile.TemporaryDirectory(prefix="bench_record_") as tmp:
            plain.append(live_day(Path(tmp), "idle", idle, False))
        with tempfile.TemporaryDirectory(prefix="bench_record_") as tmp:
            path = Path(tmp, "recording", "idle.rec")
            writer = RecordingWriter(path)
            recorded.append(live_day(Path(tmp), "idle", idle, writer))
            writes, fsyncs, size = writer.writes, writer.fsyncs, path.stat().st_size
    per = 1e6 / DAY_TICKS
    return (
        statistics.median(plain) * per,
        statistics.median(recorded) * per,
        writes / DAY_TICKS,
        fsyncs / DAY_TICKS,
        size / DAY_TICKS,
    )


def main() -> int:
    for name, get_signal in (("sma-cross", sma_cross), ("follow", follow)):
        seconds, ticks, signals = bench_parity_day(name, get_signal)
        verdict = "OK" if seconds <= PARITY_TARGET_S else "MISSED"
        print(
            f"parity.day, {name}: {seconds:.3f} s to replay and diff one day of 1m data "
            f"({ticks} ticks, {signals} signals, 0 mismatches), best of 3 "
            f"(target <= {PARITY_TARGET_S:g} s per day) {verdict}"
        )
    without, with_, writes, fsyncs, size = bench_recording_cost()
    print(
        f"live.recording: {with_ - without:+.1f} µs per idle tick ({without:.1f} -> {with_:.1f} "
        f"µs, median of 5 days); {writes:.3f} write(2) and {fsyncs:.4f} fsync per idle tick, "
        f"{size:.0f} bytes per tick ({size * DAY_TICKS / 1024:.0f} KiB per day) "
        "(reference: recording off)"
    )
    reset_engine()
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
