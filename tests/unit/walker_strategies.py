"""Importable strategies and candles for the walker tests: worker processes import them by
reference (`walker_strategies:sma_5_20`), so they are module-level functions."""

from __future__ import annotations

import logging
import os
import signal
import time
from datetime import datetime
from typing import Any

import numpy as np
import structlog

from backtestkit.actors import Signal, get_average_price, get_candles

START = 1_704_067_200_000  # 2024-01-01T00:00Z
MINUTE = 60_000


def make_candles(days: int = 2, seed: int = 7, lead_minutes: int = 60) -> dict[str, np.ndarray]:
    """A seeded random walk of one-minute candles from START - lead_minutes."""
    rng = np.random.default_rng(seed)
    count = days * 1440 + lead_minutes + 600
    close = 42_000 * np.exp(np.cumsum(rng.standard_t(4, count) * 0.0008))
    open_ = np.r_[42_000.0, close[:-1]]
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0005, count)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0005, count)))
    return {
        "timestamp": START - lead_minutes * MINUTE + np.arange(count, dtype=np.int64) * MINUTE,
        "open": np.round(open_, 2),
        "high": np.round(high, 2) + 0.01,
        "low": np.round(low, 2) - 0.01,
        "close": np.round(close, 2),
        "volume": rng.lognormal(0, 1, count),
    }


def _sma(symbol: str, fast: int, slow: int, take: float, stop: float) -> Signal | None:
    closes = get_candles(symbol, "1m", slow + 1).close
    if len(closes) < slow + 1:
        return None
    c = closes.tolist()
    fast_now, fast_prev = sum(c[-fast:]) / fast, sum(c[-fast - 1 : -1]) / fast
    slow_now, slow_prev = sum(c[-slow:]) / slow, sum(c[-slow - 1 : -1]) / slow
    price: Any = get_average_price(symbol)
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * (1 + take), price * (1 - stop), 240)
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * (1 - take), price * (1 + stop), 240)
    return None


def sma_5_20(symbol: str, when: datetime) -> Signal | None:
    return _sma(symbol, 5, 20, 0.01, 0.007)


def sma_8_30(symbol: str, when: datetime) -> Signal | None:
    return _sma(symbol, 8, 30, 0.008, 0.006)


def sma_3_12(symbol: str, when: datetime) -> Signal | None:
    return _sma(symbol, 3, 12, 0.012, 0.008)


def never(symbol: str, when: datetime) -> None:
    return None


def make_scaled(factor: float) -> Any:
    """A closure: not importable by reference."""

    def scaled(symbol: str, when: datetime) -> Signal | None:
        return _sma(symbol, 5, 20, 0.01 * factor, 0.007)

    return scaled


def pid_after(seconds: float) -> int:
    """A pool job that holds its worker a while: two at once show both workers' pids."""
    time.sleep(seconds)
    return os.getpid()


def sma_5_20_slowly(symbol: str, when: datetime) -> Signal | None:
    """sma_5_20 taking at least 0.2 ms a call: a day of 1m frames lasts 0.3 s or more."""
    time.sleep(0.0002)
    return sma_5_20(symbol, when)


def sma_grid(symbol: str, when: datetime, *, fast: int, slow: int) -> Signal | None:
    """The SMA cross with its windows as parameters, for parameter sweeps."""
    return _sma(symbol, fast, slow, 0.01, 0.007)


def long_grid(symbol: str, when: datetime, *, take: float, stop: float) -> Signal | None:
    """Always long at the average price with the given take-profit / stop-loss distances."""
    price: Any = get_average_price(symbol)
    return Signal("long", price * (1 + take), price * (1 - stop), 240)


def trending_candles(drift: float = 0.00003) -> dict[str, np.ndarray]:
    """The walker tests' random walk with a steady upward drift per minute."""
    candles = make_candles(days=4, seed=5)
    growth = np.exp(drift * np.arange(len(candles["close"])))
    for key in ("open", "high", "low", "close"):
        candles[key] = np.round(candles[key] * growth, 2)
    return candles


def when_warnings_are_muted(symbol: str, when: datetime) -> Signal | None:
    """sma_5_20 while this process logs at error or above, else None: its results tell the
    log level of the process it ran in."""
    level = structlog.get_logger().bind().get_effective_level()
    return sma_5_20(symbol, when) if level > logging.WARNING else None


def dies_once(symbol: str, when: datetime, *, marker: str) -> Signal | None:
    """sma_5_20, but the first run anywhere SIGKILLs its own worker at its 100th call (as the
    OOM killer would), leaving `marker` behind so that the next run trades normally."""
    global _calls
    _calls += 1
    if _calls == 100 and not os.path.exists(marker):
        with open(marker, "w") as out:
            out.write(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return sma_5_20(symbol, when)


def kills_its_worker(symbol: str, when: datetime, *, marker: str) -> Signal | None:
    """SIGKILLs its worker at its 100th call, every run (appending its pid to `marker`)."""
    global _calls
    _calls += 1
    if _calls == 100:
        with open(marker, "a") as out:
            out.write(f"{os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)
    return None


def slow_never(symbol: str, when: datetime) -> None:
    """Holds its worker 5 ms a call: a day of 1m frames lasts 7 s or more."""
    time.sleep(0.005)
    return None


_calls = 0
