"""User-style strategies that `mypy --strict` must accept with no ignore (tests/test_typing.py)."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from backtestkit.actors import Signal, get_average_price, get_candles
from backtestkit.actors.market import Candles


def sma_cross(symbol: str, when: datetime) -> Signal | None:
    closes: np.ndarray = get_candles(symbol, "1m", 30).close
    price = get_average_price(symbol)
    if closes[-10:].mean() > closes.mean():
        return Signal("long", price * 1.01, price * 0.99, 60)
    return None


def breakout(symbol: str, when: datetime) -> Signal | None:
    candles: Candles = get_candles(symbol, "5m", 12)
    newest = candles[-1]
    highest = float(candles.high[:-1].max())
    entry: float = get_average_price(symbol)
    if len(candles) == 12 and newest.close > highest:
        return Signal("long", entry + 2 * (newest.high - newest.low), newest.low, 120)
    return None


async def sma_cross_async(symbol: str, when: datetime) -> Signal | None:
    closes = (await get_candles(symbol, "1m", 30)).close
    price = await get_average_price(symbol)
    rows = [candle.close for candle in await get_candles(symbol, "1h", 2)]
    if rows and closes[-10:].mean() > closes.mean():
        return Signal("long", price * 1.01, price * 0.99, 60, price_open=price)
    return None


async def reads_without_await(symbol: str, when: datetime) -> Signal | None:
    price = get_average_price(symbol) * 1.0
    return Signal("short", price * 0.99, price * 1.01, 60) if price > 0 else None
