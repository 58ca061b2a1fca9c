"""A flat market for engine tests: every candle o = h = l = c = `price`, volume 1, so every VWAP
is exactly `price`; one-minute candles from T0 - 10 minutes."""

from __future__ import annotations

from backtestkit.adapters.candles import MemoryCandles

MIN = 60_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00Z
SYMBOL = "BTCUSDT"


def flat_market(minutes: int = 120, price: float = 100.0) -> MemoryCandles:
    stamps = [T0 - 10 * MIN + k * MIN for k in range(minutes)]
    same = [price] * minutes
    return MemoryCandles(
        {
            SYMBOL: {
                "timestamp": stamps,
                "open": same,
                "high": same,
                "low": same,
                "close": same,
                "volume": [1.0] * minutes,
            }
        }
    )
