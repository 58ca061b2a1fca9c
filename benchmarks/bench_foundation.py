"""Foundation benchmark: CSV candle loading and the exchange's look-back/VWAP hot path.

Run: `python benchmarks/bench_foundation.py`. Prints one line per measurement with its target;
always exits 0 (benchmarks report, tests assert).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from backtestkit.actors import add_exchange, get_average_price, get_candles, reset_config
from backtestkit.actors.core import ExecutionContext, reset_registry
from backtestkit.actors.core.context import execution_context
from backtestkit.actors.exchange import ExchangeActor
from backtestkit.adapters.candles import CsvCandles

ROWS = 525_600  # one year of 1-minute candles
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE_MS = 60_000
SYMBOL = "BTCUSDT"
CSV_LOAD_TARGET_S = 1.5
GET_CANDLES_TARGET_US = 3.0


def write_random_walk_csv(path: Path, rows: int = ROWS, seed: int = 42) -> None:
    """Seeded geometric random walk from 42000 with wicks around each candle body."""
    rng = np.random.default_rng(seed)
    log_returns = rng.normal(0.0, 0.0008, rows)
    close = 42_000.0 * np.exp(np.cumsum(log_returns))
    open_ = np.empty(rows)
    open_[0] = 42_000.0
    open_[1:] = close[:-1]
    body_top = np.maximum(open_, close)
    body_bottom = np.minimum(open_, close)
    high = body_top * (1.0 + np.abs(rng.normal(0.0, 0.0004, rows)))
    low = body_bottom * (1.0 - np.abs(rng.normal(0.0, 0.0004, rows)))
    volume = rng.gamma(2.0, 5.0, rows)
    # round to the cents, then keep the wicks around the rounded body
    open_, close = np.round(open_, 2), np.round(close, 2)
    high = np.maximum(np.round(high, 2), np.maximum(open_, close))
    low = np.minimum(np.round(low, 2), np.minimum(open_, close))
    volume = np.round(volume, 6)
    timestamp = START_MS + np.arange(rows, dtype=np.int64) * MINUTE_MS
    with path.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,open,high,low,close,volume\n")
        for start in range(0, rows, 50_000):
            chunk = slice(start, start + 50_000)
            lines = [
                f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v:.6f}"
                for t, o, h, lo, c, v in zip(
                    timestamp[chunk].tolist(),
                    open_[chunk].tolist(),
                    high[chunk].tolist(),
                    low[chunk].tolist(),
                    close[chunk].tolist(),
                    volume[chunk].tolist(),
                    strict=True,
                )
            ]
            handle.write("\n".join(lines))
            handle.write("\n")


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def report(name: str, value: float, unit: str, target: float | None) -> None:
    if target is None:
        print(f"{name}: {value:.2f} {unit}")
        return
    verdict = "OK" if value <= target else "MISS"
    print(f"{name}: {value:.2f} {unit} (target <= {target:g} {unit}) {verdict}")


def bench_csv_load(path: Path) -> float:
    def load() -> None:
        table = CsvCandles(path).table(SYMBOL, "1m")
        assert table.n == ROWS

    return best_of(3, load)


def per_call_us(calls: int, loop: Callable[[int], None]) -> float:
    """Best of 3 runs of `loop(calls)`, in microseconds per call."""
    return best_of(3, lambda: loop(calls)) / calls * 1e6


def bench_exchange(path: Path) -> tuple[float, float, float]:
    reset_registry()
    reset_config()
    exchange = ExchangeActor(add_exchange("bench", candles=CsvCandles(path)))
    exchange.table(SYMBOL, "1m")  # load outside the timing
    context = ExecutionContext(SYMBOL, START_MS, True, exchange)
    token = execution_context.set(context)
    rng = np.random.default_rng(7)
    whens = (START_MS + rng.integers(30, ROWS, 100_000) * MINUTE_MS).tolist()
    try:

        def candles_loop(calls: int) -> None:
            for when in whens[:calls]:
                context.when = when
                get_candles(SYMBOL, "1m", 30)

        def vwap_loop(calls: int) -> None:
            for when in whens[:calls]:
                context.when = when
                get_average_price(SYMBOL)

        async def awaited(when: int) -> None:
            await get_candles(SYMBOL, "1m", 30)

        def awaited_loop(calls: int) -> None:
            for when in whens[:calls]:  # each coroutine stepped as the engine does: no loop
                context.when = when
                try:
                    awaited(when).send(None)
                except StopIteration:
                    continue

        candles_loop(1_000)  # warm-up
        candles_us = per_call_us(len(whens), candles_loop)
        awaited_us = per_call_us(len(whens), awaited_loop)
        vwap_us = per_call_us(len(whens), vwap_loop)
    finally:
        execution_context.reset(token)
        reset_registry()
    return candles_us, awaited_us, vwap_us


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench_foundation_") as tmp:
        path = Path(tmp) / "random_walk_1m.csv"
        write_random_walk_csv(path)
        seconds = bench_csv_load(path)
        report(f"candles.csv_load_{ROWS}", seconds, "s", CSV_LOAD_TARGET_S)
        candles_us, awaited_us, vwap_us = bench_exchange(path)
        report("exchange.get_candles_1m_30", candles_us, "µs", GET_CANDLES_TARGET_US)
        report("exchange.get_candles_1m_30_awaited", awaited_us, "µs", GET_CANDLES_TARGET_US)
        report("exchange.get_average_price", vwap_us, "µs", None)
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
