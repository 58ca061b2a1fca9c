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
import resource
import sys
import time
from datetime import datetime
from typing import Any

import numpy as np
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
TARGET_ASYNC_IDLE_RATIO = 29
TARGET_RSS_MB = 250


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
    columns: dict[str, np.ndarray], name: str, interval: str, fn: Any, repeats: int = 3
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
        started = time.perf_counter()
        results = Backtest.run_sync("BTCUSDT", strategy=name, exchange="gen", frame="year")
        best = min(best, time.perf_counter() - started)
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
    quarter, end = rss_growth(columns)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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


if __name__ == "__main__":
    main()
