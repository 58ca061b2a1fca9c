"""Shared set-up of the plugin demos (not an example itself): two synthetic symbols, one strategy.

Prices are a seeded random walk, so every run of a demo prints the same thing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from backtestkit.actors import (
    Backtest,
    Signal,
    add_exchange,
    add_frame,
    add_strategy,
    get_average_price,
    get_candles,
)
from backtestkit.adapters.candles import MemoryCandles

SYMBOLS = ("AAAUSD", "BBBUSD")
START = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES = 3 * 24 * 60


def _walk(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0015, MINUTES)))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.normal(0, 0.0008, MINUTES)) * close
    return {
        "timestamp": int(START.timestamp() * 1000) + np.arange(MINUTES) * 60_000,
        "open": open_,
        "high": np.maximum(open_, close) + wick,
        "low": np.minimum(open_, close) - wick,
        "close": close,
        "volume": rng.uniform(1, 5, MINUTES),
    }


def breakout(symbol: str, when: datetime) -> Signal | None:
    """Long when the close breaks the last hour's closes upwards, short downwards."""
    closes = get_candles(symbol, "1m", 61).close
    price = get_average_price(symbol)
    if closes[-1] > closes[:-1].max():
        return Signal("long", price * 1.01, price * 0.992, 180)
    if closes[-1] < closes[:-1].min():
        return Signal("short", price * 0.99, price * 1.008, 180)
    return None


def run_demo() -> None:
    """Register the demo schemas and backtest both symbols, one after the other."""
    add_exchange("synthetic", candles=MemoryCandles({s: _walk(i) for i, s in enumerate(SYMBOLS)}))
    add_frame(
        "3d", start=datetime(2026, 1, 1, 2, tzinfo=UTC), end=datetime(2026, 1, 3, 20, tzinfo=UTC)
    )
    add_strategy("breakout", interval="15m", get_signal=breakout)
    for symbol in SYMBOLS:
        Backtest.run_sync(symbol, strategy="breakout", exchange="synthetic", frame="3d")
