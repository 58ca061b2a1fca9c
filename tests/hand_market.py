"""A hand-made market whose every close is known, for the plugin and report tests.

Both symbols trade flat at 100 (O = H = L = C = 100, volume 1), so each market entry opens at
exactly 100; single candles spike to 101.5 or dip to 98.5 where a signal must close:

    AAA  long  @ min 20, TP 101 / SL 99  -> take_profit at min 30 (+0.5982 %)
         long  @ min 40                  -> stop_loss   at min 45 (-1.3978 %)
         short @ min 60, TP 99 / SL 101  -> take_profit at min 70 (+0.6018 %)
    BBB  long  @ min 20                  -> take_profit at min 30 (same minute as AAA's)
         long  @ min 50                  -> stop_loss   at min 55
         long  @ min 80, 15 min lifetime -> time_expired at min 94 (-0.3998 %, flat 100)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from backtestkit.actors import Backtest, Signal, add_exchange, add_frame, add_strategy
from backtestkit.adapters.candles import MemoryCandles

__all__ = [
    "EXPECTED",
    "EXPIRED",
    "LONG_SL",
    "LONG_TP",
    "MIN",
    "SHORT_TP",
    "T0",
    "minute_candles",
    "minute_of",
    "planned",
    "register_market",
    "run_market",
]

T0 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000
PLAN = {
    "AAA": {20: Signal("long", 101, 99, 60), 40: Signal("long", 101, 99, 60),
            60: Signal("short", 99, 101, 60)},
    "BBB": {20: Signal("long", 101, 99, 60), 50: Signal("long", 101, 99, 60),
            80: Signal("long", 101, 99, 15)},
}  # fmt: skip
SPIKES = {  # minute -> (high, low)
    "AAA": {30: (101.5, 100.0), 45: (100.0, 98.5), 70: (100.0, 98.5)},
    "BBB": {30: (101.5, 100.0), 55: (100.0, 98.5)},
}
LONG_TP, LONG_SL, SHORT_TP, EXPIRED = 0.5982017982018, -1.3978021978022, 0.6018018018018, -0.3998
EXPECTED = [  # (symbol, close minute, close reason, pnl %), in the order the runs produce them
    ("AAA", 30, "take_profit", LONG_TP),
    ("AAA", 45, "stop_loss", LONG_SL),
    ("AAA", 70, "take_profit", SHORT_TP),
    ("BBB", 30, "take_profit", LONG_TP),
    ("BBB", 55, "stop_loss", LONG_SL),
    ("BBB", 94, "time_expired", EXPIRED),
]


def _candles(spikes: dict[int, tuple[float, float]]) -> dict[str, Any]:
    flat = np.full(200, 100.0)
    high, low = flat.copy(), flat.copy()
    for minute, (hi, lo) in spikes.items():
        high[minute], low[minute] = hi, lo
    return {"timestamp": T0 + np.arange(200) * MIN, "open": flat, "high": high, "low": low,
            "close": flat, "volume": np.ones(200)}  # fmt: skip


def planned(symbol: str, when: datetime) -> Signal | None:
    """The signal planned for this minute, if any."""
    return PLAN[symbol].get((round(when.timestamp() * 1000) - T0) // MIN)


def minute_candles(symbol: str, start_ms: int, closes: Sequence[float]) -> MemoryCandles:
    """One-minute candles from `start_ms`, one per close: open = close, high / low one above /
    below it, volume 1 (so a VWAP is the mean of its window's closes)."""
    close = np.asarray(closes, dtype=np.float64)
    return MemoryCandles(
        {
            symbol: {
                "timestamp": start_ms + MIN * np.arange(close.size, dtype=np.int64),
                "open": close,
                "high": close + 1.0,
                "low": close - 1.0,
                "close": close,
                "volume": np.ones(close.size),
            }
        }
    )


def register_market() -> None:
    """Exchange "hand", frame "f" and strategy "plan"."""
    add_exchange("hand", candles=MemoryCandles({s: _candles(SPIKES[s]) for s in PLAN}))
    add_frame("f", start=T0 + 10 * MIN, end=T0 + 150 * MIN)
    add_strategy("plan", interval="1m", get_signal=planned)


def run_market() -> None:
    """Register, then backtest AAA and BBB one after the other."""
    register_market()
    for symbol in PLAN:
        Backtest.run_sync(symbol, strategy="plan", exchange="hand", frame="f")


def minute_of(ts: int) -> int:
    """Minutes since T0."""
    return (ts - T0) // MIN
