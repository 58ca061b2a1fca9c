"""Helpers a strategy calls inside get_signal; they read the current execution context."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from sys import getrefcount
from typing import Literal

from ..market.candles import Candles
from .context import current_context, execution_context

__all__ = [
    "format_price",
    "format_quantity",
    "get_average_price",
    "get_candles",
    "get_date",
    "get_mode",
]


def get_candles(symbol: str, interval: str, limit: int) -> Candles | Awaitable[Candles]:
    """The newest `limit` candles of `interval` stamped at or before the execution minute.

    Returns Candles (awaitable too) for in-memory sources, a coroutine for async sources.
    """
    context = execution_context.get() or current_context("get_candles")
    window = context.windows.get((symbol, interval))
    if window is not None and limit >= 2:  # ExchangeActor.lookback's index math, inside the table
        view: Candles
        table, origin, step, n, view = window
        elapsed = context.when - origin  # the newest allowed stamp minus the first candle's
        hi = elapsed // step + 1
        lo = hi - limit if elapsed % step == 0 else hi - limit + 1  # since's offset, rounded up
        if lo >= 0 and hi <= n:
            if getrefcount(view) == 3:  # the last view is held by nobody else: reused
                view._lo = lo
                view._hi = hi
                return view
            view = window[4] = Candles(table, lo, hi)
            return view
    exchange = context.exchange
    candles = exchange.lookback(symbol, interval, limit, context.when, context.safe)
    table = exchange.fast_table(symbol, interval)
    if table is not None and (symbol, interval) not in context.windows:
        origin = table.t0 + (table.step_ms if context.safe else 0)
        context.windows[(symbol, interval)] = [table, origin, table.step_ms, table.n, candles]
    return candles


def get_average_price(symbol: str) -> float | Awaitable[float]:
    """VWAP of the last CC_AVG_PRICE_CANDLES_COUNT one-minute candles (SPEC 7.3)."""
    context = execution_context.get() or current_context("get_average_price")
    return context.exchange.average_price(symbol, context.when, context.safe)


def format_price(symbol: str, price: float) -> str:
    return current_context("format_price").exchange.format_price(symbol, price)


def format_quantity(symbol: str, quantity: float) -> str:
    return current_context("format_quantity").exchange.format_quantity(symbol, quantity)


def get_date() -> datetime:
    """The execution time (UTC) of the current tick."""
    return current_context("get_date").date


def get_mode() -> Literal["backtest", "live"]:
    return current_context("get_mode").mode
