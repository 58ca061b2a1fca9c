"""Helpers a strategy calls inside get_signal; they read the current execution context."""

from __future__ import annotations

from datetime import datetime
from sys import getrefcount
from typing import Any, Literal

from ..core.context import current_context, execution_context
from ..market.awaitables import AveragePrice, PendingCandles, PendingPrice
from ..market.candles import Candles

__all__ = [
    "format_price",
    "format_quantity",
    "get_average_price",
    "get_candles",
    "get_date",
    "get_mode",
]

# bound once: `execution_context.get()` on an imported name compiles to an attribute load
# Python 3.11 cannot specialise (a bound method built per call, about 40 ns)
_running_context = execution_context.get


def get_candles(symbol: str, interval: str, limit: int) -> Candles:
    """The newest `limit` candles of `interval` stamped at or before the execution minute.

    Candles, which `await` returns unchanged; an async source's are a `PendingCandles`
    that only `await` resolves.
    """
    context = _running_context() or current_context("get_candles")
    recent = context.recent_window
    if recent[5] is symbol and recent[6] is interval:
        window: list[Any] | None = recent
    else:
        window = context.windows.get((symbol, interval))
        if window is not None:
            context.recent_window = window
    if window is not None and limit >= 2:  # ExchangeActor.lookback's index math, inside the table
        view: Candles
        table, origin, step, n, view, _, _ = window
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
    if not isinstance(candles, Candles):
        return PendingCandles(candles, f"get_candles({symbol!r}, {interval!r}, {limit!r})")
    table = exchange.fast_table(symbol, interval)
    key = (symbol, interval)
    if table is not None and key not in context.windows:
        origin = table.t0 + (table.step_ms if context.safe else 0)
        context.windows[key] = [table, origin, table.step_ms, table.n, candles, *key]
    return candles


def get_average_price(symbol: str) -> AveragePrice:
    """VWAP of the last CC_AVG_PRICE_CANDLES_COUNT one-minute candles (SPEC 7.3): a float,
    which `await` returns unchanged; an async source's is a `PendingPrice` to `await`."""
    context = _running_context() or current_context("get_average_price")
    price = context.exchange.average_price(symbol, context.when, context.safe)
    if isinstance(price, float):
        return AveragePrice(price)
    return PendingPrice(price, f"get_average_price({symbol!r})")


def format_price(symbol: str, price: float) -> str:
    return current_context("format_price").exchange.format_price(symbol, price)


def format_quantity(symbol: str, quantity: float) -> str:
    return current_context("format_quantity").exchange.format_quantity(symbol, quantity)


def get_date() -> datetime:
    """The execution time (UTC) of the current tick."""
    return current_context("get_date").date


def get_mode() -> Literal["backtest", "live"]:
    return current_context("get_mode").mode
