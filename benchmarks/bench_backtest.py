"""Backtest speed and memory on a generated year of one-minute candles (issues 4 and 13).

Workloads: (a) SMA cross (5m throttle, 30-candle look-back, TP 1 %, SL 0.7 %, 240 min);
(b) idle (1m, reads 5 candles, returns None). Each runs as a plain function and as a coroutine
function written as reference users write them (`await get_candles(...)`). The reference engine
runs both workloads on the same candles in the same run (benchmarks/reference.py). Peer:
backtesting.py on the same candles and strategy (a), when the `bench` extra is installed.
Prints figures; never fails.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
from floor import Floor, floor_of, record_instants
from reference import ReferenceRun, time_reference

from backtestkit.actors import (
    Backtest,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    get_average_price,
    get_candles,
)
from backtestkit.actors.testing import reset_engine
from backtestkit.adapters.candles import MemoryCandles

MINUTE = 60_000
FRAMES = 524_161  # 364 days of one-minute frames, both ends included
START = 1_704_067_200_000  # 2024-01-01T00:00Z
TARGET_SMA_SECONDS = 0.6
TARGET_IDLE_FPS = 150_000
TARGET_ASYNC_SMA_RATIO = 50  # times faster than the reference, async strategy
TARGET_ASYNC_IDLE_RATIO = 55
TARGET_OVERHEAD = 0.3  # the engine's own time as a share of the strategy floor's
TARGET_RSS_MB = 150


def make_year(seed: int = 42) -> dict[str, np.ndarray]:
    """Seeded geometric random walk from 42 000 with wicks and some zero-volume candles."""
    rng = np.random.default_rng(seed)
    count = FRAMES + 600
    returns = rng.standard_t(4, count) * 0.0006
    close = 42_000 * np.exp(np.cumsum(returns))
    open_ = np.r_[42_000.0, close[:-1]]
    body_top = np.maximum(open_, close)
    body_bottom = np.minimum(open_, close)
    high = body_top * (1 + np.abs(rng.normal(0, 0.0004, count)))
    low = body_bottom * (1 - np.abs(rng.normal(0, 0.0004, count)))
    volume = rng.lognormal(0, 1, count)
    volume[rng.random(count) < 0.02] = 0.0
    timestamp = START - 300 * MINUTE + np.arange(count, dtype=np.int64) * MINUTE
    return {
        "timestamp": timestamp,
        "open": np.round(open_, 2),
        "high": np.round(high, 2) + 0.01,
        "low": np.round(low, 2) - 0.01,
        "close": np.round(close, 2),
        "volume": volume,
    }


def sma_decision(symbol: str, closes: np.ndarray) -> Signal | None:
    if len(closes) < 21:
        return None
    c = closes[-21:].tolist()
    slow_prev = sum(c[:20]) / 20
    slow_now = sum(c[1:]) / 20
    fast_prev = sum(c[15:20]) / 5
    fast_now = sum(c[16:]) / 5
    if fast_prev <= slow_prev and fast_now > slow_now:
        price: Any = get_average_price(symbol)
        return Signal("long", price * 1.01, price * 0.993, 240)
    if fast_prev >= slow_prev and fast_now < slow_now:
        price = get_average_price(symbol)
        return Signal("short", price * 0.99, price * 1.007, 240)
    return None


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    return sma_decision(symbol, get_candles(symbol, "1m", 30).close)


async def sma_cross_async(symbol: str, when: datetime) -> Signal | None:
    candles = await get_candles(symbol, "1m", 30)
    return sma_decision(symbol, candles.close)


def idle(symbol: str, when: datetime) -> None:
    get_candles(symbol, "1m", 5)
    return None


async def idle_async(symbol: str, when: datetime) -> None:
    await get_candles(symbol, "1m", 5)
    return None


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(
    columns: dict[str, np.ndarray],
    name: str,
    interval: str,
    fn: Any,
    repeats: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Best of `repeats` timed runs (the machine is shared); the candle table is preloaded."""
    reset_engine()
    source = MemoryCandles({"BTCUSDT": columns})
    source.table("BTCUSDT", "1m")  # load and validate outside the timed loop
    add_exchange("gen", candles=source)
    add_frame("year", start=START, end=START + (FRAMES - 1) * MINUTE)
    add_strategy(name, interval=interval, get_signal=fn)
    best = float("inf")
    results: list[Any] = []
    for _ in range(repeats):
        gc.collect()
        started = clock()
        results = Backtest.run_sync("BTCUSDT", strategy=name, exchange="gen", frame="year")
        best = min(best, clock() - started)
    return {"seconds": best, "results": len(results)}


def rss_growth(columns: dict[str, np.ndarray]) -> tuple[float, float]:
    """RSS after a quarter and after the whole async idle run: a flat engine keeps them equal."""
    from backtestkit.bus import topics

    reset_engine()
    source = MemoryCandles({"BTCUSDT": columns})
    add_exchange("gen", candles=source)
    add_frame("year", start=START, end=START + (FRAMES - 1) * MINUTE)
    add_strategy("idle", interval="1m", get_signal=idle_async)
    marks: dict[str, float] = {}

    def on_progress(event: Any) -> None:
        if event.progress >= 0.25 and "quarter" not in marks:
            marks["quarter"] = rss_mb()

    topics.progress_backtest.subscribe(on_progress)
    Backtest.run_sync("BTCUSDT", strategy="idle", exchange="gen", frame="year")
    return marks.get("quarter", 0.0), rss_mb()


def run_backtesting_py(columns: dict[str, np.ndarray]) -> float | None:
    try:
        import pandas as pd
        from backtesting import Backtest as PyBacktest
        from backtesting import Strategy
    except ImportError:
        return None

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            close = pd.Series(self.data.Close)
            self.fast = self.I(lambda: close.rolling(5).mean().to_numpy())
            self.slow = self.I(lambda: close.rolling(20).mean().to_numpy())

        def next(self) -> None:
            bar = len(self.data) - 1
            for trade in self.trades:
                if bar - trade.entry_bar >= 240:
                    trade.close()
            if bar % 5 or self.position:
                return
            price = self.data.Close[-1]
            if self.fast[-2] <= self.slow[-2] and self.fast[-1] > self.slow[-1]:
                self.buy(tp=price * 1.01, sl=price * 0.993)
            elif self.fast[-2] >= self.slow[-2] and self.fast[-1] < self.slow[-1]:
                self.sell(tp=price * 0.99, sl=price * 1.007)

    frame = pd.DataFrame(
        {
            "Open": columns["open"],
            "High": columns["high"],
            "Low": columns["low"],
            "Close": columns["close"],
            "Volume": columns["volume"],
        },
        index=pd.to_datetime(columns["timestamp"], unit="ms"),
    )
    started = time.perf_counter()
    PyBacktest(frame, SmaCross, cash=10_000_000, commission=0.001).run()
    return time.perf_counter() - started


def compare(ours: float, reference: ReferenceRun) -> str:
    ratio = reference.seconds / ours
    return f"reference {reference.seconds:.2f} s ({reference.label}) -> {ratio:.0f}x"


def overhead(
    columns: dict[str, np.ndarray],
    name: str,
    interval: str,
    fn: Any,
    reference: ReferenceRun,
    rounds: int = 5,
) -> str:
    """The engine's overhead over the floor of `fn`: engine run and floor interleaved in each
    round, each timed in CPU seconds of this process (other processes on the shared machine
    then stretch neither), best of `rounds` each."""
    instants = record_instants(columns, START, FRAMES, interval, fn)
    engine = floor_seconds = float("inf")
    calls = 0
    for _ in range(rounds):
        run = run_engine(columns, name, interval, fn, repeats=1, clock=time.process_time)
        engine = min(engine, run["seconds"])
        floor: Floor = floor_of(columns, instants, fn, repeats=1, clock=time.process_time)
        floor_seconds, calls = min(floor_seconds, floor.seconds), floor.calls
    ratio = (engine - floor_seconds) / floor_seconds
    verdict = "OK" if ratio <= TARGET_OVERHEAD else "MISSED"
    if reference.cpu_seconds is None:
        versus = f"the reference's {(reference.seconds - floor_seconds) / floor_seconds:.0f}x "
        versus += f"({reference.label}, wall time)"
    else:
        cpu = reference.cpu_seconds
        versus = (
            f"the reference's {(cpu - floor_seconds) / floor_seconds:.0f}x (its CPU time "
            f"{cpu:.2f} s: {cpu / engine:.0f}x ours)"
        )
    return (
        f"    CPU: engine {engine:.3f} s, floor {floor_seconds:.3f} s ({calls} calls, "
        f"{floor_seconds / calls * 1e6:.2f} us/call) -> engine overhead {ratio:.2f}x the floor "
        f"(target <= {TARGET_OVERHEAD}x) {verdict}; {versus}"
    )


def memory() -> tuple[float, float, float]:
    """Peak RSS of a process that runs the four workloads once, then RSS at 25 % and 100 % of
    the async idle run: measured in a child, so the floor's instant lists do not count."""
    child = subprocess.run(
        [sys.executable, __file__, "--memory"], capture_output=True, text=True, check=True
    )
    peak, quarter, end = json.loads(child.stdout.strip().splitlines()[-1])
    return peak, quarter, end


def memory_child() -> None:
    columns = make_year()
    for name, interval, fn in WORKLOADS:
        run_engine(columns, name, interval, fn, repeats=1)
    quarter, end = rss_growth(columns)
    print(json.dumps([peak_rss_mb(), quarter, end]))


def peak_rss_mb() -> float:
    """This process image's peak RSS (VmHWM): ru_maxrss would keep the forking parent's peak
    across fork and exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    columns = make_year()
    print(f"backtest benchmark: {FRAMES} one-minute frames, generated random walk (seed 42)")
    ref_sma = time_reference(columns, "sma", FRAMES)
    ref_idle = time_reference(columns, "idle", FRAMES)
    sma = run_engine(columns, "sma-cross", "5m", sma_cross)
    sma_async = run_engine(columns, "sma-cross-async", "5m", sma_cross_async)
    verdict = "OK" if sma["seconds"] <= TARGET_SMA_SECONDS else "MISSED"
    print(
        f"(a) sma-cross, sync:  {sma['seconds']:.3f} s, {sma['results']} closed signals, "
        f"{FRAMES / sma['seconds']:,.0f} frames/s (target <= {TARGET_SMA_SECONDS} s) {verdict}; "
        + compare(sma["seconds"], ref_sma)
    )
    ratio = ref_sma.seconds / sma_async["seconds"]
    verdict = "OK" if ratio >= TARGET_ASYNC_SMA_RATIO else "MISSED"
    print(
        f"(a) sma-cross, async: {sma_async['seconds']:.3f} s, {sma_async['results']} closed "
        f"signals; {compare(sma_async['seconds'], ref_sma)} (target >= "
        f"{TARGET_ASYNC_SMA_RATIO}x) {verdict}"
    )
    if ref_sma.closed is not None:
        same = ref_sma.closed == sma["results"] == sma_async["results"]
        print(
            f"    closed signals: reference {ref_sma.closed}, sync {sma['results']}, async "
            f"{sma_async['results']}: " + ("equal" if same else "DIFFERENT")
        )
    print(overhead(columns, "sma-cross", "5m", sma_cross, ref_sma))
    print(overhead(columns, "sma-cross-async", "5m", sma_cross_async, ref_sma))
    quiet = run_engine(columns, "idle", "1m", idle)
    quiet_async = run_engine(columns, "idle-async", "1m", idle_async)
    fps = FRAMES / quiet["seconds"]
    verdict = "OK" if fps >= TARGET_IDLE_FPS else "MISSED"
    print(
        f"(b) idle, sync:  {quiet['seconds']:.3f} s, {fps:,.0f} frames/s (target >= "
        f"{TARGET_IDLE_FPS:,}) {verdict}; " + compare(quiet["seconds"], ref_idle)
    )
    ratio = ref_idle.seconds / quiet_async["seconds"]
    verdict = "OK" if ratio >= TARGET_ASYNC_IDLE_RATIO else "MISSED"
    print(
        f"(b) idle, async: {quiet_async['seconds']:.3f} s, "
        f"{FRAMES / quiet_async['seconds']:,.0f} frames/s; "
        f"{compare(quiet_async['seconds'], ref_idle)} (target >= {TARGET_ASYNC_IDLE_RATIO}x) "
        f"{verdict}"
    )
    print(overhead(columns, "idle", "1m", idle, ref_idle))
    print(overhead(columns, "idle-async", "1m", idle_async, ref_idle))
    peak, quarter, end = memory()
    verdict = "OK" if peak <= TARGET_RSS_MB and end - quarter < 5 else "MISSED"
    print(
        f"memory: peak RSS {peak:.0f} MB (target <= {TARGET_RSS_MB} MB), idle run RSS at 25 % "
        f"{quarter:.0f} MB and at 100 % {end:.0f} MB (growth {end - quarter:+.1f} MB) {verdict}"
    )
    peer = run_backtesting_py(columns)
    if peer is None:
        print("peer backtesting.py: not installed (pip install -e '.[bench]')")
    else:
        print(
            f"peer backtesting.py, strategy (a) on the same candles: {peer:.2f} s -> "
            f"backtestkit is {peer / sma['seconds']:.1f}x faster (sync), "
            f"{peer / sma_async['seconds']:.1f}x (async)"
        )
    sys.stdout.flush()


WORKLOADS = (
    ("sma-cross", "5m", sma_cross),
    ("sma-cross-async", "5m", sma_cross_async),
    ("idle", "1m", idle),
    ("idle-async", "1m", idle_async),
)

if __name__ == "__main__":
    if sys.argv[1:] == ["--memory"]:
        memory_child()
    else:
        main()
