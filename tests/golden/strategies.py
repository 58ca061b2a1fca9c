"""Python ports of the golden-fixture strategies (tests/golden/README.md), same float order."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from backtestkit.actors import (
    RiskValidation,
    Signal,
    add_exchange,
    add_frame,
    add_risk,
    add_strategy,
    get_average_price,
    get_candles,
)
from backtestkit.adapters.candles import CsvCandles

DATA = "tests/data/kaggle_BTCUSD_1m.csv"
FRAME_START = 1521810000000
FRAME_END = 1522105200000
M = 0xFFFFFFFF


def mulberry32(a: int) -> Callable[[], float]:
    a &= M

    def nxt() -> float:
        nonlocal a
        a = (a + 0x6D2B79F5) & M
        t = ((a ^ (a >> 15)) * (1 | a)) & M
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & M)) & M) ^ t
        return ((t ^ (t >> 14)) & M) / 4294967296

    return nxt


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    closes = get_candles(symbol, "1m", 30).close.tolist()
    if len(closes) < 21:
        return None

    def sma(n: int, end: int) -> float:
        s = 0.0
        for i in range(end - n, end):
            s = s + closes[i]
        return s / n

    size = len(closes)
    fast_now, fast_prev = sma(5, size), sma(5, size - 1)
    slow_now, slow_prev = sma(20, size), sma(20, size - 1)
    price: Any = get_average_price(symbol)
    sid = str(_ms(when))
    if fast_prev <= slow_prev and fast_now > slow_now:
        return Signal("long", price * 1.01, price * 0.993, 240, id=sid)
    if fast_prev >= slow_prev and fast_now < slow_now:
        return Signal("short", price * 0.99, price * 1.007, 240, id=sid)
    return None


def scheduled_limit(symbol: str, when: datetime) -> Signal:
    price: Any = get_average_price(symbol)
    ms = _ms(when)
    if math.floor(ms / 900000) % 2 == 0:
        po = price * 0.997
        return Signal("long", po * 1.008, po * 0.993, 120, price_open=po, id=str(ms))
    po = price * 1.003
    return Signal("short", po * 0.992, po * 1.007, 120, price_open=po, id=str(ms))


def always_long(symbol: str, when: datetime) -> Signal:
    price: Any = get_average_price(symbol)
    return Signal("long", price * 1.005, price * 0.99, 60, id=str(_ms(when)))


def fuzz(seed: int) -> Callable[[str, datetime], Signal | None]:
    def get_signal(symbol: str, when: datetime) -> Signal | None:
        price: Any = get_average_price(symbol)
        ms = _ms(when)
        rnd = mulberry32((seed * 1000003 + math.floor(ms / 60000)) & M)
        if rnd() < 0.7:
            return None
        u1, u2, u3, u4, u5, u6 = (rnd() for _ in range(6))
        long = u1 < 0.5
        entry = price
        price_open = None
        if not u2 < 0.5:
            off = 0.001 + 0.004 * u3
            entry = price * (1 - off) if long else price * (1 + off)
            price_open = entry
        tp_pct = 0.3 + 1.5 * u4
        sl_pct = 0.3 + 1.5 * u5
        if long:
            tp, sl = entry * (1 + tp_pct / 100), entry * (1 - sl_pct / 100)
        else:
            tp, sl = entry * (1 - tp_pct / 100), entry * (1 + sl_pct / 100)
        return Signal(
            "long" if long else "short",
            tp,
            sl,
            1 + math.floor(u6 * 300),
            price_open=price_open,
            id=str(ms),
        )

    return get_signal


def outside_hours(check: Any) -> None:
    if (check.timestamp // 3_600_000) % 24 < 6:
        raise ValueError("outside trading hours")


STRATEGIES: dict[str, tuple[str, Callable[..., Any], str | None]] = {
    "sma-cross": ("5m", sma_cross, None),
    "scheduled-limit": ("15m", scheduled_limit, None),
    "always-long": ("1m", always_long, None),
    "risky-long": ("1m", always_long, "hours"),
    **{f"fuzz-{s}": ("1m", fuzz(s), "hours" if s >= 5 else None) for s in range(1, 7)},
}


def register(*names: str) -> None:
    """Register the exchange, frame, risk and the named golden strategies."""
    add_exchange("kaggle", candles=CsvCandles(DATA), format_price=lambda s, p: f"{p:.2f}")
    add_frame("f", start=FRAME_START, end=FRAME_END, interval="1m")
    add_risk("hours", validations=[RiskValidation(outside_hours, note="trading hours 06-24 UTC")])
    for name in names:
        interval, fn, risk = STRATEGIES[name]
        add_strategy(name, interval=interval, get_signal=fn, risk=risk)
